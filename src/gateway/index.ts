/**
 * Gateway: the data-plane server. Resolves API, stage and route, identifies the tenant by API
 * key, applies the usage plan's buckets and quota through the counter engine, records the
 * admission in the usage ledger, proxies to the upstream over a keep-alive pool, and logs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Gateway, type GatewayOptions } from "./gateway.js";

export { AccessLog, type AccessLogEntry } from "./access-log.js";
export { type GatewayConfig, loadGatewayConfig } from "./config.js";
export { Gateway, type GatewayOptions, IDENTITY_HEADERS } from "./gateway.js";

export interface RunningGateway {
  gateway: Gateway;
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts the gateway's HTTP server once its configuration is loaded. */
export async function startGateway(
  options: GatewayOptions,
  listen: { host: string; port: number },
): Promise<RunningGateway> {
  const gateway = new Gateway(options);
  await gateway.start();
  const server = createServer({ keepAliveTimeout: 65_000 }, gateway.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    gateway,
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      // Stop accepting, let in-flight requests finish, then release the upstream pool.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await gateway.close();
    },
  };
}
