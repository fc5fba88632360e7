/**
 * The floor for any Node.js proxy: node:http in front of an undici keep-alive pool, nothing
 * else. Usage: UPSTREAM=http://127.0.0.1:9000 PORT=9100 node --import tsx bench/peers/undici-proxy.ts
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "te", "trailer"]);
const pool = new Pool(process.env.UPSTREAM ?? "http://127.0.0.1:9000", { connections: 128 });

createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name] as string | string[];
  const hasBody =
    req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  pool
    .request({
      path: req.url ?? "/",
      method: (req.method ?? "GET") as "GET",
      headers,
      body: hasBody ? req : null,
    })
    .then(
      ({ statusCode, headers: upstreamHeaders, body }) => {
        const out: Record<string, string | string[]> = {};
        for (const name in upstreamHeaders)
          if (!HOP.has(name)) out[name] = upstreamHeaders[name] as string | string[];
        res.writeHead(statusCode, out);
        body.pipe(res);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
}).listen(Number(process.env.PORT ?? 9100), "127.0.0.1");
