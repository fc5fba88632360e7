/**
 * The floor of any Node.js server on this machine: node:net answering every request with a
 * fixed 200, without parsing it or calling anyone. Its unloaded latency (p50, p99) is what the
 * runtime and the scheduler cost before a proxy does anything.
 * Usage: PORT=9150 node --import tsx bench/peers/node-floor.ts
 */
import { createServer } from "node:net";

const ANSWER = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 21\r\n\r\n{"pet":"rex","id":42}',
);
// wrk sends one request at a time per connection and waits for the answer.
createServer((socket) => {
  socket.on("data", () => socket.write(ANSWER));
  socket.on("error", () => socket.destroy());
}).listen(Number(process.env.PORT ?? 9150), "127.0.0.1");
