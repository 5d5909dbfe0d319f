// Socket.IO 4 rooms for bench/relay-peers.ts (WebSocket transport only, no auth): `subscribe(channel)`
// joins a room, `publish(channel, data)` emits `message` to the room's other members. Prints `PORT <n>`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
io.on("connection", (socket) => {
  socket.on("subscribe", (channel) => socket.join(channel));
  socket.on("publish", (channel, data) => socket.to(channel).emit("message", { channel, data }));
});
http.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${http.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
