/**
 * Gateway: the data-plane server. Resolves API, stage and route, identifies the tenant by API
 * key, applies the usage plan's buckets and quota through the counter engine, records the
 * admission in the usage ledger, proxies to the upstream over a keep-alive pool, and logs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { GatewayCors } from "./cors.js";
import { Gateway, type GatewayOptions } from "./gateway.js";

export { AccessLog, type AccessLogEntry } from "./access-log.js";
export { trustedProxies } from "./client-ip.js";
export { type GatewayConfig, loadGatewayConfig } from "./config.js";
export { GatewayCors } from "./cors.js";
export { Gateway, type GatewayOptions, IDENTITY_HEADERS } from "./gateway.js";
export { GatewayMetrics } from "./metrics.js";
export { type CacheBackend, MemoryCacheBackend, RedisCacheBackend } from "./response-cache.js";
export { authorizerTester } from "./test-invoke-authorizer.js";

export interface RunningGateway {
  gateway: Gateway;
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Slow-client protection of the gateway's server (node:http's own limits). */
export interface ServerLimits {
  /** Time to receive a request's head, ms (node's `headersTimeout`): a slow sender gets 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included, ms (node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** Largest request head, bytes (node's `maxHeaderSize`): larger gets 431. */
  maxHeaderBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  maxHeaderBytes: 16_384,
};

/**
 * Starts the gateway's HTTP server once its configuration is loaded. With `cors`, requests
 * from its origins (the developer portal's try-it) get CORS headers and preflights an answer.
 */
export async function startGateway(
  options: GatewayOptions,
  listen: { host: string; port: number; cors?: GatewayCors; limits?: Partial<ServerLimits> },
): Promise<RunningGateway> {
  const gateway = new Gateway({ ...options, cors: options.cors ?? listen.cors });
  await gateway.start();
  const limits = { ...DEFAULT_SERVER_LIMITS, ...listen.limits };
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often node looks for requests past those deadlines (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      maxHeaderSize: limits.maxHeaderBytes,
    },
    gateway.handle,
  );
  // Connections are tracked (per connection, not per request) so that a shutdown can end them.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    gateway,
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      // Stop accepting, let in-flight requests finish, then release the upstream pool. Answers
      // not yet begun say `Connection: close`, and each connection is closed once idle, so the
      // server is closed as soon as the last answer is sent (not after the keep-alive timeout).
      const noKeepAlive = (_req: unknown, res: { shouldKeepAlive: boolean }) => {
        res.shouldKeepAlive = false;
      };
      server.prependListener("request", noKeepAlive);
      for (const socket of sockets) {
        const res = (socket as Socket & { _httpMessage?: { headersSent: boolean; shouldKeepAlive: boolean } })
          ._httpMessage;
        if (res && !res.headersSent) res.shouldKeepAlive = false;
      }
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearInterval(sweep);
      await gateway.close();
    },
  };
}
