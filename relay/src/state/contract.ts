// The contract every RelayState implementation meets (memory and Redis). Run it with
// `describeStateContract(name, createCluster)` from a *.test.ts next to the implementation.
import { afterEach, describe, expect, it } from "vitest";
import type { PresenceMember, PresenceStore, RelayStateCluster } from "./types";
import { describeBusContract, eventually } from "./contract-bus";
import { describeHistoryContract } from "./contract-history";
import { SimulatedRelay } from "./simulated-metering";

/** A channel's whole roster, read page by page (small pages, so tests walk several). */
export async function readWholeRoster(presence: PresenceStore, appId: string, channel: string, pageSize = 2): Promise<PresenceMember[]> {
  const members: PresenceMember[] = [];
  let after: string | null = null;
  do {
    const page = await presence.rosterPage(appId, channel, after, pageSize);
    members.push(...page.members);
    after = page.nextAfter;
  } while (after !== null);
  return members;
}

export function describeStateContract(name: string, createCluster: () => RelayStateCluster | Promise<RelayStateCluster>): void {
  describe(`relay state contract: ${name}`, () => {
    const clusters: RelayStateCluster[] = [];
    let appSeq = 0;
    // Unique app ids per test so implementations backed by a shared server need no flushing.
    const freshApp = () => `app_contract_${process.pid}_${Date.now()}_${++appSeq}`;

    async function cluster(): Promise<RelayStateCluster> {
      const created = await createCluster();
      clusters.push(created);
      return created;
    }

    afterEach(async () => {
      await Promise.all(clusters.splice(0).map((c) => c.close()));
    });

    describe("connection leases", () => {
      it("acquires up to the limit and refuses the next", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        expect(await state.leases.acquire(appId, "c1", 2)).toEqual({ acquired: true, count: 1 });
        expect(await state.leases.acquire(appId, "c2", 2)).toEqual({ acquired: true, count: 2 });
        expect(await state.leases.acquire(appId, "c3", 2)).toEqual({ acquired: false, count: 2 });
        expect(await state.leases.count(appId)).toBe(2);
      });

      it("a null limit always acquires (overage and uncapped connections)", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        await state.leases.acquire(appId, "c1", 1);
        expect(await state.leases.acquire(appId, "c2", null)).toEqual({ acquired: true, count: 2 });
      });

      it("is idempotent per connection id and frees the slot on release", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        await state.leases.acquire(appId, "c1", 1);
        expect(await state.leases.acquire(appId, "c1", 1)).toEqual({ acquired: true, count: 1 });
        await state.leases.release(appId, "c1");
        await state.leases.release(appId, "c1");
        expect(await state.leases.count(appId)).toBe(0);
        expect((await state.leases.acquire(appId, "c2", 1)).acquired).toBe(true);
      });

      it("counts globally across nodes and separately per app", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        const otherApp = freshApp();
        await a.leases.acquire(appId, "a:1", 2);
        await b.leases.acquire(appId, "b:1", 2);
        expect((await b.leases.acquire(appId, "b:2", 2)).acquired).toBe(false);
        expect((await a.leases.acquire(otherApp, "a:2", 2)).acquired).toBe(true);
        expect(await a.leases.count(appId)).toBe(2);
        expect(await b.leases.count(otherApp)).toBe(1);
      });
    });

    describe("message counters", () => {
      it("starts from the baseline and increments synchronously", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        state.counters.setBaseline(appId, 1000, 40);
        expect(state.counters.increment(appId, 1000, 1)).toBe(41);
        expect(state.counters.increment(appId, 1000, 2)).toBe(43);
        expect(state.counters.total(appId, 1000)).toBe(43);
      });

      it("an acknowledgement moves its batch into the baseline at once: the count never falls back", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        state.counters.setBaseline(appId, 1000, 10);
        state.counters.increment(appId, 1000, 5);
        state.counters.sent(appId, 1000, 5);
        // A snapshot generated after the batch was applied, read before its acknowledgement: waits.
        state.counters.setBaseline(appId, 1000, 15);
        expect(state.counters.total(appId, 1000)).toBe(15);
        state.counters.acknowledge(appId, 1000, 5, 15);
        expect(state.counters.total(appId, 1000)).toBe(15);
        // A snapshot generated before the acknowledgement, read after it, is older: ignored.
        state.counters.setBaseline(appId, 1000, 10);
        expect(state.counters.total(appId, 1000)).toBe(15);
        state.counters.increment(appId, 1000, 1);
        state.counters.setBaseline(appId, 1000, 15);
        expect(state.counters.total(appId, 1000)).toBe(16);
        // Another relay's usage shows up in a newer snapshot once nothing of ours is in flight.
        state.counters.setBaseline(appId, 1000, 20);
        expect(state.counters.total(appId, 1000)).toBe(21);
      });

      it("random interleavings of increment, flush, acknowledgement and snapshot refresh never miscount on one node", async () => {
        const state = (await cluster()).node("a");
        for (let seed = 1; seed <= 60; seed++) {
          const appId = freshApp();
          const relay = new SimulatedRelay(state.counters, appId, seed, 7);
          for (let step = 0; step < 300; step++) {
            relay.randomStep();
            // Exact after every step: neither below (overshoot) nor above (refusing too early).
            expect(state.counters.total(appId, 1000), `seed ${seed}, step ${step}: ${relay.lastOp}`).toBe(relay.trueTotal);
          }
        }
      });

      it("random interleavings on two nodes agree exactly once every batch is acknowledged", async () => {
        const shared = await cluster();
        const nodes = [shared.node("a"), shared.node("b")];
        for (let seed = 1; seed <= 8; seed++) {
          const appId = freshApp();
          const controlPlane = { total: 3 };
          const relays = nodes.map((node, index) => new SimulatedRelay(node.counters, appId, seed * 10 + index, 3, controlPlane));
          for (let step = 0; step < 120; step++) {
            const relay = relays[step % 2];
            relay?.randomStep();
          }
          for (const relay of relays) relay.drain();
          const everything = relays.reduce((sum, relay) => sum + relay.ownIncrements, 3);
          expect(controlPlane.total).toBe(everything);
          await eventually(() => {
            for (const node of nodes) expect(node.counters.total(appId, 1000), `seed ${seed}`).toBe(everything);
          });
        }
      });

      it("a new period starts afresh and a stale period never rewinds it", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        state.counters.setBaseline(appId, 1000, 99);
        state.counters.increment(appId, 1000, 1);
        state.counters.setBaseline(appId, 2000, 0);
        expect(state.counters.total(appId, 2000)).toBe(0);
        expect(state.counters.increment(appId, 2000, 1)).toBe(1);
        state.counters.setBaseline(appId, 1000, 500);
        expect(state.counters.total(appId, 2000)).toBe(1);
      });

      it("counts across nodes (eventually)", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        a.counters.setBaseline(appId, 1000, 0);
        b.counters.setBaseline(appId, 1000, 0);
        a.counters.increment(appId, 1000, 3);
        b.counters.increment(appId, 1000, 2);
        await eventually(() => {
          expect(a.counters.total(appId, 1000)).toBe(5);
          expect(b.counters.total(appId, 1000)).toBe(5);
        });
      });
    });

    describe("presence", () => {
      it("announces a peer on its first connection and removes it with its last", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        expect(await state.presence.join(appId, "room", { peerId: "alice", metadataJson: '{"n":1}' }, "c1")).toEqual({ firstForPeer: true, activeChannels: 1 });
        expect(await state.presence.join(appId, "room", { peerId: "alice", metadataJson: '{"n":2}' }, "c2")).toEqual({ firstForPeer: false });
        expect(await state.presence.join(appId, "room", { peerId: "alice" }, "c2")).toEqual({ firstForPeer: false });
        expect(await readWholeRoster(state.presence, appId, "room")).toEqual([{ peerId: "alice", metadataJson: '{"n":1}' }]);
        expect(await state.presence.leave(appId, "room", "alice", "c1")).toEqual({ lastForPeer: false });
        expect(await readWholeRoster(state.presence, appId, "room")).toHaveLength(1);
        expect(await state.presence.leave(appId, "room", "alice", "c2")).toEqual({ lastForPeer: true });
        expect(await readWholeRoster(state.presence, appId, "room")).toEqual([]);
        expect(await state.presence.leave(appId, "room", "alice", "c2")).toEqual({ lastForPeer: false });
      });

      it("keeps channels and apps apart and shares rosters across nodes", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        const otherApp = freshApp();
        await a.presence.join(appId, "room", { peerId: "alice" }, "a:1");
        await b.presence.join(appId, "room", { peerId: "bob" }, "b:1");
        await b.presence.join(appId, "other", { peerId: "carol" }, "b:2");
        await b.presence.join(otherApp, "room", { peerId: "dave" }, "b:3");
        const roster = await readWholeRoster(b.presence, appId, "room");
        expect(roster.map((m) => m.peerId)).toEqual(["alice", "bob"]);
        expect((await a.presence.join(appId, "room", { peerId: "bob" }, "a:2")).firstForPeer).toBe(false);
        expect((await b.presence.leave(appId, "room", "bob", "b:1")).lastForPeer).toBe(false);
        expect((await a.presence.leave(appId, "room", "bob", "a:2")).lastForPeer).toBe(true);
      });

      it("reads the roster a page at a time in peerId order; the last page has no next cursor", async () => {
        const state = (await cluster()).node("a");
        const appId = freshApp();
        for (const peerId of ["p-05", "p-01", "p-03", "p-02", "p-04"]) await state.presence.join(appId, "room", { peerId, metadataJson: `{"id":"${peerId}"}` }, `c-${peerId}`);
        await state.presence.join(appId, "room", { peerId: "p-03" }, "c-p-03-second");
        const ids = (members: PresenceMember[]) => members.map((m) => m.peerId);

        const first = await state.presence.rosterPage(appId, "room", null, 2);
        expect(first).toEqual({ members: [{ peerId: "p-01", metadataJson: '{"id":"p-01"}' }, { peerId: "p-02", metadataJson: '{"id":"p-02"}' }], nextAfter: "p-02" });
        const second = await state.presence.rosterPage(appId, "room", "p-02", 2);
        expect(second).toEqual({ members: [{ peerId: "p-03", metadataJson: '{"id":"p-03"}' }, { peerId: "p-04", metadataJson: '{"id":"p-04"}' }], nextAfter: "p-04" });
        expect(await state.presence.rosterPage(appId, "room", "p-04", 2)).toEqual({ members: [{ peerId: "p-05", metadataJson: '{"id":"p-05"}' }], nextAfter: null });
        // A page that ends exactly at the last peer is the last page.
        expect(ids((await state.presence.rosterPage(appId, "room", null, 5)).members)).toEqual(["p-01", "p-02", "p-03", "p-04", "p-05"]);
        expect((await state.presence.rosterPage(appId, "room", null, 5)).nextAfter).toBeNull();
        // A cursor whose peer has left still continues after it.
        await state.presence.leave(appId, "room", "p-02", "c-p-02");
        expect(ids((await state.presence.rosterPage(appId, "room", "p-02", 10)).members)).toEqual(["p-03", "p-04", "p-05"]);
        expect(await state.presence.rosterPage(appId, "room", "p-05", 10)).toEqual({ members: [], nextAfter: null });
        expect(await state.presence.rosterPage(freshApp(), "room", null, 10)).toEqual({ members: [], nextAfter: null });
      });

      it("a peer present throughout a paged read appears exactly once while others join and leave", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        const steady = Array.from({ length: 20 }, (_, i) => `steady-${String(i).padStart(2, "0")}`);
        for (const peerId of steady) await a.presence.join(appId, "room", { peerId }, `a:${peerId}`);
        const transient = Array.from({ length: 20 }, (_, i) => `steady-${String(i).padStart(2, "0")}x`);
        for (const peerId of transient.slice(0, 10)) await b.presence.join(appId, "room", { peerId }, `b:${peerId}`);

        const seen: string[] = [];
        let after: string | null = null;
        let turn = 0;
        do {
          const page = await b.presence.rosterPage(appId, "room", after, 3);
          seen.push(...page.members.map((m) => m.peerId));
          after = page.nextAfter;
          // Between pages, peers on both sides of the cursor come and go.
          const joining = transient[10 + (turn % 10)];
          const leaving = transient[turn % 10];
          if (joining !== undefined) await b.presence.join(appId, "room", { peerId: joining }, `b:${joining}`);
          if (leaving !== undefined) await b.presence.leave(appId, "room", leaving, `b:${leaving}`);
          turn += 1;
        } while (after !== null);

        for (const peerId of steady) expect(seen.filter((id) => id === peerId)).toEqual([peerId]);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual([...seen].sort());
      });
    });

    describe("channel limits (checked in the join itself)", () => {
      const peerLimit = (max: number) => ({ maxPeersPerChannel: max, maxActiveChannels: null });
      const channelLimit = (max: number) => ({ maxPeersPerChannel: null, maxActiveChannels: max });

      it("admits exactly maxPeersPerChannel distinct peers across nodes; the same peer counts once; a leave frees a place", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        const limits = peerLimit(3);
        expect(await a.presence.join(appId, "room", { peerId: "p1" }, "a:1", limits)).toEqual({ firstForPeer: true, activeChannels: 1 });
        expect(await b.presence.join(appId, "room", { peerId: "p2" }, "b:1", limits)).toEqual({ firstForPeer: true });
        expect(await a.presence.join(appId, "room", { peerId: "p3" }, "a:2", limits)).toEqual({ firstForPeer: true });
        expect(await b.presence.join(appId, "room", { peerId: "p4" }, "b:2", limits)).toEqual({
          firstForPeer: false,
          refused: { limit: "maxPeersPerChannel", max: 3, count: 3 },
        });
        // A second connection of a present peer, on another node, is not a new peer.
        expect(await b.presence.join(appId, "room", { peerId: "p1" }, "b:3", limits)).toEqual({ firstForPeer: false });
        expect((await readWholeRoster(a.presence, appId, "room")).map((m) => m.peerId)).toEqual(["p1", "p2", "p3"]);
        // The refused join left nothing behind: its leave is not a peer leaving.
        expect(await b.presence.leave(appId, "room", "p4", "b:2")).toEqual({ lastForPeer: false });
        expect(await a.presence.join(appId, "other", { peerId: "p4" }, "a:3", limits)).toEqual({ firstForPeer: true, activeChannels: 2 });
        await b.presence.leave(appId, "room", "p2", "b:1");
        expect(await b.presence.join(appId, "room", { peerId: "p4" }, "b:4", limits)).toEqual({ firstForPeer: true });
        expect((await readWholeRoster(b.presence, appId, "room")).map((m) => m.peerId)).toEqual(["p1", "p3", "p4"]);
      });

      it("admits exactly maxActiveChannels channels of an app across nodes; a channel's last leave frees one", async () => {
        const shared = await cluster();
        const a = shared.node("a");
        const b = shared.node("b");
        const appId = freshApp();
        const limits = channelLimit(2);
        await a.presence.join(appId, "ch-1", { peerId: "p1" }, "a:1", limits);
        await b.presence.join(appId, "ch-2", { peerId: "p2" }, "b:1", limits);
        expect(await a.presence.join(appId, "ch-3", { peerId: "p1" }, "a:2", limits)).toEqual({
          firstForPeer: false,
          refused: { limit: "maxActiveChannels", max: 2, count: 2 },
        });
        // More peers in an active channel open nothing; another app has its own channels.
        expect((await b.presence.join(appId, "ch-1", { peerId: "p3" }, "b:2", limits)).refused).toBeUndefined();
        expect((await b.presence.join(freshApp(), "ch-3", { peerId: "p1" }, "b:3", limits)).refused).toBeUndefined();
        expect(await a.presence.activeChannelCount(appId)).toBe(2);
        expect(await b.presence.activeChannelCount(appId)).toBe(2);
        await a.presence.leave(appId, "ch-1", "p1", "a:1");
        expect(await a.presence.activeChannelCount(appId)).toBe(2);
        await b.presence.leave(appId, "ch-1", "p3", "b:2");
        expect(await a.presence.activeChannelCount(appId)).toBe(1);
        expect(await a.presence.join(appId, "ch-3", { peerId: "p1" }, "a:2", limits)).toEqual({ firstForPeer: true, activeChannels: 2 });
        expect(await b.presence.activeChannelCount(appId)).toBe(2);
      });

      it("concurrent joins from three nodes never pass either limit", async () => {
        const shared = await cluster();
        const nodes = [shared.node("a"), shared.node("b"), shared.node("c")];
        const nodeOf = (index: number) => {
          const node = nodes[index % nodes.length];
          if (!node) throw new Error(`no node ${index}`);
          return node;
        };
        const appId = freshApp();
        const peers = await Promise.all(
          Array.from({ length: 15 }, (_, i) => nodeOf(i).presence.join(appId, "room", { peerId: `p${i}` }, `c${i}`, peerLimit(5))),
        );
        expect(peers.filter((joined) => !joined.refused)).toHaveLength(5);
        expect(await readWholeRoster(nodeOf(0).presence, appId, "room")).toHaveLength(5);
        const otherApp = freshApp();
        const channels = await Promise.all(
          Array.from({ length: 12 }, (_, i) => nodeOf(i).presence.join(otherApp, `ch-${i}`, { peerId: "p" }, `d${i}`, channelLimit(4))),
        );
        expect(channels.filter((joined) => !joined.refused)).toHaveLength(4);
        expect(await nodeOf(1).presence.activeChannelCount(otherApp)).toBe(4);
      });
    });

    describeBusContract(cluster, freshApp);
    describeHistoryContract(cluster, freshApp);
  });
}
