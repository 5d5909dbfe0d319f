// What the relay benchmarks share: one app with one secret key, an HTTP stand-in for the control
// plane that serves that app's state (by its key id) and an unchanging change feed and acknowledges
// usage, and tokens for the key.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import type { z } from "zod";
import { ControlPlanePath, effectiveLimitsSchema } from "../relay/src/protocol";
import type { AppStatesResponse, SnapshotApp } from "../relay/src/protocol";
import { secretKey } from "../relay/test/helpers";

export interface BenchApp {
  appId: string;
  keyId: string;
  signingSecret: string;
  limits: SnapshotApp["limits"];
}

/** An app with a fresh secret key and every action on every channel; `limits` are its plan's. */
/** Limits the benchmark sets; the frame budget's fields default to the plan defaults when left out. */
export function benchApp(appId: string, limits: z.input<typeof effectiveLimitsSchema>): BenchApp {
  return { appId, keyId: `sk_id_${randomBytes(8).toString("hex")}`, signingSecret: `sk_secret_${randomBytes(24).toString("hex")}`, limits: effectiveLimitsSchema.parse(limits) };
}

function appStates(app: BenchApp): AppStatesResponse {
  const nowSec = Math.floor(Date.now() / 1000);
  return {
    generatedAtUnixMs: Date.now(),
    apps: [
      {
        appId: app.appId,
        status: "active",
        planName: "bench",
        limits: app.limits,
        billing: {
          overagesAllowed: false,
          overagesEnabled: false,
          balanceMinor: 0,
          autoRechargeEnabled: false,
          overagePricePer1000MessagesMinor: 0,
          overagePricePerConnectionMinor: 0,
          usageBilledFromBalance: false,
        },
        period: { startUnix: nowSec - 3600, endUnix: nowSec + 86_400 },
        changesAtUnix: null,
        version: "1",
        usage: { messagesUsed: 0, overageMessages: 0, overageConnections: 0, peakConcurrent: 0 },
        keys: [secretKey({ keyId: app.keyId, signingSecret: app.signingSecret })],
      },
    ],
  };
}

/** Serves the app's state and a change feed where nothing changes, and acknowledges every usage batch. */
export async function startBenchControlPlane(app: BenchApp): Promise<{ url: string; close(): void }> {
  const body = JSON.stringify(appStates(app));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === ControlPlanePath.appStates) {
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      } else if (req.url?.startsWith(ControlPlanePath.changes)) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ cursor: "1", changes: [], more: false }));
      } else if (req.url === ControlPlanePath.usage) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ applied: true, apps: [{ appId: app.appId, balanceMinor: 0 }] }));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** A token of the app's key for peer `sub`, valid for `lifetimeSec`. */
export function benchToken(app: BenchApp, sub: string, lifetimeSec = 3600): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", kid: app.keyId, typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSec)
    .sign(new TextEncoder().encode(app.signingSecret));
}
