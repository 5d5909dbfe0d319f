// The set-up most relay test files share: one fake control plane and one relay for the file, the test's
// clients closed after each test, and everything stopped after the last. (Kept apart from helpers.ts,
// which the benchmarks import without vitest.)
import { afterAll, afterEach, beforeAll } from "vitest";
import type { SnapshotApp } from "../src/protocol";
import type { RelayHandle } from "../src/server";
import { FakeControlPlane, removeTempDirs, startTestRelay } from "./helpers";
import type { RelayConfigOverrides, TestClient } from "./helpers";

/**
 * Registers the file's hooks; `started` receives the control plane and relay once they run (assign them
 * to the file's own variables). `apps` are the control plane's from the start, `config` the relay's
 * overrides. Returns the list a test adds its clients to, to be closed after it.
 */
export function relayPerFile(
  started: (running: { controlPlane: FakeControlPlane; relay: RelayHandle }) => void,
  { config = {}, apps = [] }: { config?: RelayConfigOverrides; apps?: SnapshotApp[] } = {},
): TestClient[] {
  const openClients: TestClient[] = [];
  let running: { controlPlane: FakeControlPlane; relay: RelayHandle } | undefined;
  beforeAll(async () => {
    const controlPlane = await new FakeControlPlane().start();
    controlPlane.setApps(apps);
    running = { controlPlane, relay: await startTestRelay(controlPlane, config) };
    started(running);
  });
  afterEach(() => {
    for (const client of openClients.splice(0)) client.close();
  });
  afterAll(async () => {
    await running?.relay.close();
    await running?.controlPlane.stop();
    await removeTempDirs();
  });
  return openClients;
}
