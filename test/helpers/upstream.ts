import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

/**
 * A real upstream on loopback: echoes what it received as JSON, counts requests, and has a
 * `/slow` route that answers after a second (for timeouts).
 */
export interface Upstream {
  url: string;
  seen: SeenRequest[];
  count(): number;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    // Counted on arrival: a request is received once its head is parsed, whatever happens next.
    const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes: 0 };
    seen.push(request);
    req.on("data", (chunk: Buffer) => {
      request.bodyBytes += chunk.length;
    });
    req.on("end", () => {
      const reply = () => {
        const body = JSON.stringify(request);
        res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
        res.end(body);
      };
      if (req.url?.startsWith("/slow")) setTimeout(reply, 1000);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    count: () => seen.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
