// Baseline of bench/relay-peers.ts: the simplest correct channel pub/sub on bare `ws` (no auth, no
// limits, no metering). Frames: {"type":"subscribe","channel"} and {"type":"publish","channel","data"};
// every other subscriber gets {"type":"message","channel","data"}. Prints `PORT <n>` when listening.
import { WebSocket, WebSocketServer } from "ws";

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false, clientTracking: false });
const channels = new Map();
wss.on("connection", (ws) => {
  const joined = new Set();
  ws.on("message", (raw) => {
    let frame;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (frame.type === "subscribe" && typeof frame.channel === "string") {
      let members = channels.get(frame.channel);
      if (!members) channels.set(frame.channel, (members = new Set()));
      members.add(ws);
      joined.add(frame.channel);
    } else if (frame.type === "publish" && typeof frame.channel === "string") {
      const members = channels.get(frame.channel);
      if (!members) return;
      const out = JSON.stringify({ type: "message", channel: frame.channel, data: frame.data });
      for (const member of members) if (member !== ws && member.readyState === WebSocket.OPEN) member.send(out);
    }
  });
  ws.on("close", () => {
    for (const channel of joined) channels.get(channel)?.delete(ws);
  });
});
wss.on("listening", () => process.stdout.write(`PORT ${wss.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
