/**
 * Shows what wrk's latency figures do with rare stalls: a node:net server that answers at once,
 * except every 500th request, which it answers 20 ms late (0.2 % of requests). Run it, then
 * `wrk -t1 -c1 -d5s --latency -s bench/raw-latency.lua http://127.0.0.1:9988/`: wrk's p99 is
 * about 20 ms, the requests' own p99 (the script's line) well under 1 ms.
 */
import { createServer } from "node:net";

const ANSWER = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
const port = Number(process.env.PORT ?? 9988);
let requests = 0;

createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => socket.destroy());
  socket.on("data", () => {
    if (++requests % 500 === 0) setTimeout(() => socket.write(ANSWER), 20);
    else socket.write(ANSWER);
  });
}).listen(port, "127.0.0.1", () => console.log(`stall server on http://127.0.0.1:${port}/`));
