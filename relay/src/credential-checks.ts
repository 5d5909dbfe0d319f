// Live-credential checks: closes connections whose key was revoked or has expired (4001), whose app
// was deleted (4001) or suspended (4012), and hands the others their key as of the app's latest state
// (patterns and actions may change while connected). Runs whenever app states change and at the moment
// a key expires (a rolled key expires by the clock without its app's state changing).
import type { LocalHub } from "./hub";
import type { PlanCache } from "./plan-cache";
import { Disconnect } from "./protocol";

export function enforceCredentials(hub: LocalHub, planCache: PlanCache, nowMs: number = Date.now()): void {
  const nowSec = Math.floor(nowMs / 1000);
  for (const connection of hub.eachConnection()) {
    const snapshotApp = planCache.app(connection.appId);
    if (!snapshotApp) {
      connection.close(Disconnect.AppRemoved);
      continue;
    }
    if (snapshotApp.status === "suspended") {
      connection.close(Disconnect.AppSuspended);
      continue;
    }
    const key = planCache.key(connection.keyId)?.key;
    if (!key || key.revoked || (key.expiresAtUnix !== null && key.expiresAtUnix <= nowSec)) {
      connection.close(Disconnect.KeyRevoked);
      continue;
    }
    connection.updateKey(key);
  }
}

/** When the next key of a held app expires by the clock (ms), or null when none will. */
export function nextKeyExpiryMs(planCache: PlanCache, nowMs: number = Date.now()): number | null {
  let next = Infinity;
  for (const app of planCache.apps()) {
    for (const key of app.keys) {
      if (key.revoked || key.expiresAtUnix === null) continue;
      const expiresAtMs = key.expiresAtUnix * 1000;
      if (expiresAtMs > nowMs && expiresAtMs < next) next = expiresAtMs;
    }
  }
  return Number.isFinite(next) ? next : null;
}
