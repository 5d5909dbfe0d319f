// The message bus part of the state contract (./contract.ts): fan-out reaches the nodes watching an
// app, direct sends and disconnects the nodes where the peer arrived.
import { describe, expect, it } from "vitest";
import { eventuallyWithin } from "../../test/eventually";
import type { ChannelMessageEvent, DirectEvent, LocalDelivery, PresenceEvent, RelayStateCluster } from "./types";

/** A LocalDelivery that records events and pretends to hold the given peers' connections. */
class RecordingDelivery implements LocalDelivery {
  readonly channelMessages: ChannelMessageEvent[] = [];
  readonly presenceEvents: PresenceEvent[] = [];
  readonly directs: DirectEvent[] = [];
  readonly disconnects: Array<{ appId: string; peerId: string; closeCode: number }> = [];

  /** appId/peerId → number of local connections of that peer. */
  constructor(private readonly localPeers: Record<string, number> = {}) {}

  deliverChannelMessage(event: ChannelMessageEvent): number {
    this.channelMessages.push(event);
    return 1;
  }

  deliverPresence(event: PresenceEvent): number {
    this.presenceEvents.push(event);
    return 1;
  }

  deliverDirect(event: DirectEvent): number {
    this.directs.push(event);
    return this.localPeers[`${event.appId}/${event.toPeerId}`] ?? 0;
  }

  disconnectPeer(appId: string, peerId: string, closeCode: number): number {
    this.disconnects.push({ appId, peerId, closeCode });
    return this.localPeers[`${appId}/${peerId}`] ?? 0;
  }
}

/** Waits until `check` passes: cross-node delivery may be asynchronous in networked implementations. */
export function eventually(check: () => void | Promise<void>, timeoutMs = 2_000): Promise<void> {
  return eventuallyWithin(check, timeoutMs);
}

export function describeBusContract(cluster: () => Promise<RelayStateCluster>, freshApp: () => string): void {
  describe("message bus", () => {
    /** Nodes a and b of one cluster, each with its recording delivery attached. */
    async function twoAttachedNodes(deliveryA = new RecordingDelivery(), deliveryB = new RecordingDelivery()) {
      const shared = await cluster();
      const a = shared.node("a");
      const b = shared.node("b");
      a.bus.attach(deliveryA);
      b.bus.attach(deliveryB);
      return { a, b, deliveryA, deliveryB };
    }

    it("delivers channel messages to every node watching the app, the own node synchronously", async () => {
      const { a, b, deliveryA, deliveryB } = await twoAttachedNodes();
      const event: ChannelMessageEvent = { appId: freshApp(), channel: "room", fromPeerId: "alice", dataJson: '{"x":1}', excludeConnectionId: "a:1" };
      await Promise.all([a.bus.watchApp(event.appId), b.bus.watchApp(event.appId)]);
      expect(a.bus.publishChannelMessage(event)).toBe(1);
      expect(deliveryA.channelMessages).toEqual([event]);
      await eventually(() => expect(deliveryB.channelMessages).toEqual([event]));
      const presence: PresenceEvent = { appId: event.appId, channel: "room", joined: [{ peerId: "alice" }], left: [], excludePeerId: "alice" };
      b.bus.publishPresence(presence);
      await eventually(() => expect(deliveryA.presenceEvents).toEqual([presence]));
    });

    it("a counted channel message (REST publish) reports the connections reached on all nodes", async () => {
      const { a, b, deliveryA, deliveryB } = await twoAttachedNodes();
      const event: ChannelMessageEvent = { appId: freshApp(), channel: "room", fromPeerId: "server", dataJson: '"rest"' };
      await b.bus.watchApp(event.appId);
      expect(await a.bus.publishChannelMessageCounted(event)).toBe(2);
      expect(deliveryA.channelMessages).toEqual([event]);
      expect(deliveryB.channelMessages).toEqual([event]);
    });

    it("direct sends report the connections reached on all nodes; 0 only when no node has the peer", async () => {
      const appId = freshApp();
      const { a, b, deliveryB } = await twoAttachedNodes(new RecordingDelivery(), new RecordingDelivery({ [`${appId}/bob`]: 2 }));
      await b.bus.peerArrived(appId, "bob");
      const toBob: DirectEvent = { appId, toPeerId: "bob", fromPeerId: "alice", dataJson: "null" };
      expect(await a.bus.sendDirect(toBob)).toBe(2);
      expect(deliveryB.directs.some((d) => d.toPeerId === "bob")).toBe(true);
      expect(await a.bus.sendDirect({ ...toBob, toPeerId: "nobody" })).toBe(0);
      expect(await a.bus.sendDirect({ ...toBob, appId: freshApp() })).toBe(0);
    });

    it("disconnects a peer on every node and reports how many connections closed", async () => {
      const appId = freshApp();
      const { a, b, deliveryA } = await twoAttachedNodes(new RecordingDelivery({ [`${appId}/bob`]: 1 }), new RecordingDelivery({ [`${appId}/bob`]: 1 }));
      await Promise.all([a.bus.peerArrived(appId, "bob"), b.bus.peerArrived(appId, "bob")]);
      expect(await b.bus.disconnectPeer(appId, "bob", 4020, "test")).toBe(2);
      expect(deliveryA.disconnects).toEqual([{ appId, peerId: "bob", closeCode: 4020 }]);
      expect(await b.bus.disconnectPeer(appId, "nobody", 4020, "test")).toBe(0);
    });

    it("gathers the other nodes' usage reports of an app, each answering with its own", async () => {
      const shared = await cluster();
      const node = (id: string) => {
        const state = shared.node(id);
        state.bus.attach(new RecordingDelivery());
        state.bus.reportUsageWith((appId) => ({ relayId: id, measuredAtUnixMs: 1, periodStartUnix: 1000, connections: appId.length, activeChannels: 0, peakConcurrent: 0, unflushed: [] }));
        return state;
      };
      const [a] = [node("a"), node("b"), node("c")];
      const appId = freshApp();
      const { reports, complete } = await a.bus.gatherUsageReports(appId);
      expect(reports.map((report) => report.relayId).sort()).toEqual(["b", "c"]);
      expect(reports.every((report) => report.connections === appId.length)).toBe(true);
      expect(complete).toBe(true);
    });

    it("gathers the other nodes' connection lists of an app, with the requested limit", async () => {
      const shared = await cluster();
      const node = (id: string) => {
        const state = shared.node(id);
        state.bus.attach(new RecordingDelivery());
        state.bus.listConnectionsWith((appId, limit) => ({
          relayId: id,
          open: limit,
          connections: [{ connectionId: `${id}:1`, peerId: appId, keyId: "pk_x", address: "127.0.0.1", origin: null, connectedAtUnixMs: 1 }],
          recentlyClosed: [],
        }));
        return state;
      };
      const [a] = [node("a"), node("b"), node("c")];
      const appId = freshApp();
      const { nodes, complete } = await a.bus.gatherConnections(appId, 7);
      expect(nodes.map((listed) => listed.relayId).sort()).toEqual(["b", "c"]);
      expect(nodes.every((listed) => listed.open === 7 && listed.connections[0]?.peerId === appId)).toBe(true);
      expect(complete).toBe(true);
    });

    it("a node hears an app's channel traffic only while it watches the app", async () => {
      const { a, b, deliveryB } = await twoAttachedNodes();
      const [watchedApp, otherApp] = [freshApp(), freshApp()];
      await b.bus.watchApp(watchedApp);
      const message = (appId: string, dataJson: string): ChannelMessageEvent => ({ appId, channel: "room", fromPeerId: "alice", dataJson });
      a.bus.publishChannelMessage(message(otherApp, "1"));
      a.bus.publishPresence({ appId: otherApp, channel: "room", joined: [{ peerId: "alice" }], left: [] });
      a.bus.publishChannelMessage(message(watchedApp, "2"));
      await eventually(() => expect(deliveryB.channelMessages.map((m) => m.dataJson)).toEqual(["2"]));
      expect(deliveryB.presenceEvents).toEqual([]);
      b.bus.unwatchApp(watchedApp);
      // Published after the unwatch, and after a message to a watched app that shows delivery is done.
      await b.bus.watchApp(otherApp);
      a.bus.publishChannelMessage(message(watchedApp, "3"));
      a.bus.publishChannelMessage(message(otherApp, "4"));
      await eventually(() => expect(deliveryB.channelMessages.map((m) => m.dataJson)).toEqual(["2", "4"]));
    });

    it("direct sends and disconnects reach only the nodes where the peer arrived, until it departs", async () => {
      const appId = freshApp();
      const shared = await cluster();
      const [a, b, c] = [shared.node("a"), shared.node("b"), shared.node("c")];
      const [deliveryB, deliveryC] = [new RecordingDelivery({ [`${appId}/bob`]: 1 }), new RecordingDelivery()];
      a.bus.attach(new RecordingDelivery());
      b.bus.attach(deliveryB);
      c.bus.attach(deliveryC);
      await b.bus.peerArrived(appId, "bob");
      const toBob: DirectEvent = { appId, toPeerId: "bob", fromPeerId: "alice", dataJson: "1" };
      expect(await a.bus.sendDirect(toBob)).toBe(1);
      expect(await a.bus.disconnectPeer(appId, "bob", 4020, "test")).toBe(1);
      expect(deliveryC.directs).toEqual([]);
      expect(deliveryC.disconnects).toEqual([]);
      b.bus.peerDeparted(appId, "bob");
      await eventually(async () => expect(await a.bus.sendDirect(toBob)).toBe(0));
      expect(deliveryC.directs).toEqual([]);
    });

    it("a closed node no longer receives events", async () => {
      const shared = await cluster();
      const a = shared.node("a");
      const b = shared.node("b");
      const deliveryB = new RecordingDelivery();
      a.bus.attach(new RecordingDelivery());
      b.bus.attach(deliveryB);
      const appId = freshApp();
      await b.bus.watchApp(appId);
      await b.close();
      a.bus.publishChannelMessage({ appId, channel: "room", fromPeerId: "x", dataJson: "1" });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(deliveryB.channelMessages).toEqual([]);
    });
  });
}
