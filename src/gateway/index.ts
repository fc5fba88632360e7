/**
 * Gateway: the data-plane server. Resolves API, stage and route, identifies the tenant by API
 * key, applies the usage plan's buckets and quota through the counter engine, records the
 * admission in the usage ledger, proxies to the upstream over a keep-alive pool, and logs.
 */
import type { AddressInfo } from "node:net";
import type { GatewayCors } from "./cors.js";
import { Gateway, type GatewayOptions } from "./gateway.js";
import { GatewayServer, type HttpServerLimits } from "./http-server.js";

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
  server: GatewayServer;
  port: number;
  close(): Promise<void>;
}

/** Slow-client protection of the gateway's server that operators set (the keep-alive timeout is fixed). */
export type ServerLimits = Omit<HttpServerLimits, "keepAliveTimeoutMs">;

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
  const server = new GatewayServer({ ...limits, keepAliveTimeoutMs: 65_000 }, gateway.handle);
  await server.listen(listen.port, listen.host);
  return {
    gateway,
    server,
    port: (server.tcp.address() as AddressInfo).port,
    async close() {
      // Stop accepting, let in-flight requests finish (their answers say `Connection: close`),
      // close idle connections at once, then release the upstream pool.
      await server.close();
      await gateway.close();
    },
  };
}
