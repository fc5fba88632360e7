/**
 * Gateway: the data-plane server. Resolves API, stage and route, identifies the tenant by API
 * key, applies the usage plan's buckets and quota through the counter engine, records the
 * admission in the usage ledger, proxies to the upstream over a keep-alive pool, and logs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { GatewayCors } from "./cors.js";
import { Gateway, type GatewayOptions } from "./gateway.js";

export { AccessLog, type AccessLogEntry } from "./access-log.js";
export { type GatewayConfig, loadGatewayConfig } from "./config.js";
export { GatewayCors } from "./cors.js";
export { Gateway, type GatewayOptions, IDENTITY_HEADERS } from "./gateway.js";

export interface RunningGateway {
  gateway: Gateway;
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the gateway's HTTP server once its configuration is loaded. With `cors`, requests
 * from its origins (the developer portal's try-it) get CORS headers and preflights an answer.
 */
export async function startGateway(
  options: GatewayOptions,
  listen: { host: string; port: number; cors?: GatewayCors },
): Promise<RunningGateway> {
  const gateway = new Gateway(options);
  await gateway.start();
  const cors = listen.cors;
  const listener = cors
    ? (req: IncomingMessage, res: ServerResponse) => {
        if (!cors.handle(req, res)) gateway.handle(req, res);
      }
    : gateway.handle;
  const server = createServer({ keepAliveTimeout: 65_000 }, listener);
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
