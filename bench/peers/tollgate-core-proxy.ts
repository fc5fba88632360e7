/**
 * Tollgate's HTTP server (`src/gateway/http-server.ts`) in front of its upstream client
 * (`src/gateway/upstream-pool.ts`) and nothing else: what Tollgate's proxying costs before any of
 * its checks, next to the bare undici proxy.
 * Usage: UPSTREAM=http://127.0.0.1:9000 PORT=9250 node --import tsx bench/peers/tollgate-core-proxy.ts
 */
import { GatewayServer } from "../../src/gateway/http-server.js";
import { passedFields } from "../../src/gateway/proxy.js";
import { UpstreamPool } from "../../src/gateway/upstream-pool.js";

const pool = new UpstreamPool(process.env.UPSTREAM ?? "http://127.0.0.1:9000");
const limits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  maxHeaderBytes: 16_384,
  keepAliveTimeoutMs: 65_000,
};

const server = new GatewayServer(limits, (req, res) => {
  let held: Buffer | undefined;
  pool.dispatch(
    { method: req.method, path: req.url, headerLines: "", body: null, chunked: false, timeoutMs: 29_000 },
    {
      onSend: () => true,
      onHead: (status, headers) => {
        res.writeHead(status, undefined, passedFields(headers, {}));
      },
      onData: (chunk) => {
        if (held) res.write(held);
        held = chunk;
        return true;
      },
      onEnd: () => res.end(held),
      onError: () => {
        res.writeHead(502, { "content-length": 0 });
        res.end();
      },
    },
  );
});
await server.listen(Number(process.env.PORT ?? 9250), "127.0.0.1");
