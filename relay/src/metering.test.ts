// Metering's cut/retry cycle with a control plane that fails and then answers: a batch keeps its id
// across retries (so the control plane applies it once), later counts go into a later batch, and
// nothing is acknowledged twice or lost.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ControlPlaneClient, ControlPlaneResult } from "./control-plane-client";
import { silentLogger } from "./log";
import { Meter } from "./metering";
import type { UsageBatch, UsageBatchResponse } from "./protocol";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function fakeControlPlane() {
  const posted: UsageBatch[] = [];
  let failing = true;
  const client = {
    postUsage: async (batch: UsageBatch): Promise<ControlPlaneResult<UsageBatchResponse>> => {
      posted.push(batch);
      return failing ? { ok: false, kind: "unreachable", error: "down" } : { ok: true, value: { applied: true, apps: [], periods: [], asOfUnixMs: Date.now() } };
    },
  };
  return { client: client as unknown as ControlPlaneClient, posted, recover: () => (failing = false) };
}

async function meterWith(controlPlane: ControlPlaneClient, acknowledged: UsageBatch[]): Promise<Meter> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "tollgate-meter-"));
  dirs.push(dataDir);
  return new Meter({ relayId: "node-1", controlPlane, dataDir, logger: silentLogger, onSending: () => undefined, onAcknowledged: (batch) => acknowledged.push(batch) });
}

describe("Meter cut and retry", () => {
  it("retries a failed batch under the same id, keeps later counts in a later batch, and acknowledges each once", async () => {
    const controlPlane = fakeControlPlane();
    const acknowledged: UsageBatch[] = [];
    const meter = await meterWith(controlPlane.client, acknowledged);
    meter.messageAccepted("app_a", 1_700_000_000, "sk_id_1");
    meter.messageAccepted("app_a", 1_700_000_000, "sk_id_1");
    await meter.flush();
    expect(meter.pendingBatchCount).toBe(1);
    expect(acknowledged).toEqual([]);

    meter.messageAccepted("app_a", 1_700_000_000, null);
    controlPlane.recover();
    await meter.flush();
    expect(meter.pendingBatchCount).toBe(0);
    const ids = controlPlane.posted.map((batch) => batch.batchId);
    // First attempt, its retry (same id), then the second batch.
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(acknowledged.map((batch) => batch.apps[0]?.messagesAccepted)).toEqual([2, 1]);
    await meter.flush();
    expect(controlPlane.posted).toHaveLength(3);
  });

  it("keeps an unacknowledged batch on disk for the next process", async () => {
    const controlPlane = fakeControlPlane();
    const meter = await meterWith(controlPlane.client, []);
    meter.messageAccepted("app_a", 1_700_000_000, null);
    await meter.flush();
    const dataDir = dirs[0] ?? "";
    const restarted = new Meter({ relayId: "node-1", controlPlane: controlPlane.client, dataDir, logger: silentLogger, onSending: () => undefined, onAcknowledged: () => undefined });
    await restarted.loadPending();
    expect(restarted.pendingMessages()).toEqual([{ appId: "app_a", periodStartUnix: 1_700_000_000, messages: 1 }]);
  });
});

describe("Meter live reports", () => {
  it("lists an app's counts not yet acknowledged under the batch id they are sent with, until acknowledged", async () => {
    const controlPlane = fakeControlPlane();
    const meter = await meterWith(controlPlane.client, []);
    meter.messageAccepted("app_a", 1_700_000_000, null);
    meter.delivered("app_a", 1_700_000_000, 3, 5_000);
    meter.connectionMinutes("app_a", 1_700_000_000, 2);
    meter.messageAccepted("app_b", 1_700_000_000, null);
    const open = meter.unflushed("app_a");
    expect(open).toEqual([
      expect.objectContaining({ periodStartUnix: 1_700_000_000, messagesAccepted: 1, deliveredMessages: 3, egressBytes: 15_000, egressBlocks: 6, connectionMinutes: 2 }),
    ]);

    await meter.flush();
    expect(controlPlane.posted[0]?.batchId).toBe(open[0]?.batchId);
    meter.messageAccepted("app_a", 1_700_000_000, null);
    const afterCut = meter.unflushed("app_a");
    expect(afterCut.map((entry) => [entry.batchId, entry.messagesAccepted])).toEqual([
      [open[0]?.batchId, 1],
      [expect.not.stringMatching(open[0]?.batchId ?? ""), 1],
    ]);

    controlPlane.recover();
    await meter.flush();
    expect(meter.unflushed("app_a")).toEqual([]);
    expect(meter.unflushed("app_nobody")).toEqual([]);
  });
});
