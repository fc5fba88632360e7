/**
 * node:http in front of Tollgate's own upstream client (`src/gateway/upstream-pool.ts`) and
 * nothing else: what Tollgate's proxying costs before any of its checks, next to the bare undici
 * proxy. Usage: UPSTREAM=http://127.0.0.1:9000 PORT=9250 node --import tsx bench/peers/upstream-pool-proxy.ts
 */
import { createServer } from "node:http";
import { UpstreamPool } from "../../src/gateway/upstream-pool.js";

const pool = new UpstreamPool(process.env.UPSTREAM ?? "http://127.0.0.1:9000");

createServer((req, res) => {
  let held: Buffer | undefined;
  pool.dispatch(
    {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headerLines: "",
      body: null,
      chunked: false,
      timeoutMs: 29_000,
    },
    {
      onSend: () => true,
      onHead: (status, headers) => {
        delete headers.connection;
        res.writeHead(status, headers);
      },
      onData: (chunk) => {
        if (held) res.write(held);
        held = chunk;
        return true;
      },
      onEnd: () => res.end(held),
      onError: () => {
        res.writeHead(502);
        res.end();
      },
    },
  );
}).listen(Number(process.env.PORT ?? 9250), "127.0.0.1");
