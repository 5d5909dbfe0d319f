// The channel-history part of the state contract (./contract.ts): offsets count up per channel across
// nodes, a stream keeps at most historySize messages for historyTtlSeconds, and a lost stream comes
// back under a new epoch.
import { describe, expect, it } from "vitest";
import type { HistoryRetention } from "../protocol";
import type { HistoryStore, RelayStateCluster } from "./types";

const retention: HistoryRetention = { historySize: 5, historyTtlSeconds: 60 };

function message(n: number) {
  return { fromPeerId: `peer-${n}`, dataJson: JSON.stringify({ n }) };
}

async function publishMany(history: HistoryStore, appId: string, channel: string, count: number, keep = retention) {
  const positions = [];
  for (let n = 1; n <= count; n++) positions.push(await history.append(appId, channel, message(n), keep));
  return positions;
}

const dataOf = (entries: { dataJson: string }[]) => entries.map((entry) => (JSON.parse(entry.dataJson) as { n: number }).n);

export function describeHistoryContract(cluster: () => Promise<RelayStateCluster>, freshApp: () => string): void {
  describe("channel history", () => {
    it("numbers a channel's messages 1, 2, 3… under one epoch, on every node, and each channel on its own", async () => {
      const shared = await cluster();
      const a = shared.node("a");
      const b = shared.node("b");
      const appId = freshApp();
      const first = await a.history.append(appId, "room", message(1), retention);
      const second = await b.history.append(appId, "room", message(2), retention);
      const elsewhere = await b.history.append(appId, "lobby", message(3), retention);
      expect(first?.offset).toBe(1);
      expect(second).toEqual({ offset: 2, epoch: first?.epoch });
      expect(elsewhere?.offset).toBe(1);
      expect(elsewhere?.epoch).not.toBe(first?.epoch);
      const read = await a.history.after(appId, "room", 0, 10, retention);
      expect(read).toMatchObject({ epoch: first?.epoch, latestOffset: 2 });
      expect(read.entries.map((entry) => [entry.offset, entry.fromPeerId])).toEqual([
        [1, "peer-1"],
        [2, "peer-2"],
      ]);
    });

    it("keeps the sender's metadata and the data as JSON text", async () => {
      const state = (await cluster()).node("a");
      const appId = freshApp();
      await state.history.append(appId, "room", { fromPeerId: "alice", dataJson: '{"text":"hi"}', fromMetadataJson: '{"name":"Alice"}' }, retention);
      const [entry] = (await state.history.latest(appId, "room", 1, null, retention)).entries;
      expect(entry).toMatchObject({ offset: 1, fromPeerId: "alice", dataJson: '{"text":"hi"}', fromMetadataJson: '{"name":"Alice"}' });
      expect(entry?.publishedAtMs).toBeGreaterThan(Date.now() - 60_000);
    });

    it("reads after an offset oldest first, and the newest before an offset", async () => {
      const state = (await cluster()).node("a");
      const appId = freshApp();
      await publishMany(state.history, appId, "room", 5);
      expect(dataOf((await state.history.after(appId, "room", 2, 10, retention)).entries)).toEqual([3, 4, 5]);
      expect(dataOf((await state.history.after(appId, "room", 2, 2, retention)).entries)).toEqual([3, 4]);
      expect(dataOf((await state.history.after(appId, "room", 5, 10, retention)).entries)).toEqual([]);
      expect(dataOf((await state.history.latest(appId, "room", 2, null, retention)).entries)).toEqual([4, 5]);
      expect(dataOf((await state.history.latest(appId, "room", 2, 4, retention)).entries)).toEqual([2, 3]);
      expect(dataOf((await state.history.latest(appId, "room", 10, 1, retention)).entries)).toEqual([]);
    });

    it("keeps only the newest historySize messages, while offsets keep counting", async () => {
      const state = (await cluster()).node("a");
      const appId = freshApp();
      await publishMany(state.history, appId, "room", 8);
      const read = await state.history.after(appId, "room", 0, 100, retention);
      expect(read.latestOffset).toBe(8);
      expect(read.entries.map((entry) => entry.offset)).toEqual([4, 5, 6, 7, 8]);
    });

    it("a channel never published to has no stream", async () => {
      const state = (await cluster()).node("a");
      expect(await state.history.after(freshApp(), "room", 0, 10, retention)).toEqual({ epoch: null, latestOffset: 0, entries: [] });
      expect(await state.history.latest(freshApp(), "room", 10, null, retention)).toEqual({ epoch: null, latestOffset: 0, entries: [] });
    });

    it("messages expire after the retention time; a stream silent that long starts again under a new epoch", async () => {
      const state = (await cluster()).node("a");
      const appId = freshApp();
      const short: HistoryRetention = { historySize: 5, historyTtlSeconds: 1 };
      const [old] = await publishMany(state.history, appId, "room", 2, short);
      await new Promise((resolve) => setTimeout(resolve, 1_150));
      expect((await state.history.after(appId, "room", 0, 10, short)).entries).toEqual([]);
      const renewed = await state.history.append(appId, "room", message(3), short);
      expect(renewed?.offset).toBe(1);
      expect(renewed?.epoch).not.toBe(old?.epoch);
      expect(dataOf((await state.history.after(appId, "room", 0, 10, short)).entries)).toEqual([3]);
    });

    it("a shorter retention than the messages were kept with hides what it no longer covers", async () => {
      const state = (await cluster()).node("a");
      const appId = freshApp();
      await publishMany(state.history, appId, "room", 2, { historySize: 5, historyTtlSeconds: 60 });
      await new Promise((resolve) => setTimeout(resolve, 1_150));
      await state.history.append(appId, "room", message(3), retention);
      const shortened: HistoryRetention = { historySize: 5, historyTtlSeconds: 1 };
      expect(dataOf((await state.history.after(appId, "room", 0, 10, shortened)).entries)).toEqual([3]);
    });
  });
}
