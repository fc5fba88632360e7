import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateDeploymentCommand,
  ImportRestApiCommand,
  type PatchOperation,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import type { TestTollgate } from "../../helpers/tollgate.js";

export const CACHE_OPENAPI = readFileSync(
  new URL("../../fixtures/openapi/gateway-cache.yaml", import.meta.url),
);

/**
 * An upstream whose answers change on every request (`n` counts them), so a test can tell a
 * cached answer from a fresh one. `/control/{mode}` answers with the Cache-Control (or status,
 * or cookie) its mode names.
 */
export interface CountingUpstream {
  url: string;
  /** Requests received, by path (query included). */
  seen: string[];
  count(prefix?: string): number;
  close(): Promise<void>;
}

export async function startCountingUpstream(): Promise<CountingUpstream> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? "");
    req.resume();
    req.on("end", () => {
      const url = req.url ?? "";
      const headers: Record<string, string> = { "content-type": "application/json" };
      let status = 200;
      if (url.startsWith("/control/no-store")) headers["cache-control"] = "no-store";
      else if (url.startsWith("/control/private")) headers["cache-control"] = "private, max-age=60";
      else if (url.startsWith("/control/max-age-1")) headers["cache-control"] = "public, max-age=1";
      else if (url.startsWith("/control/cookie")) headers["set-cookie"] = "session=1";
      else if (url.startsWith("/control/missing")) status = 404;
      const body = JSON.stringify({
        n: seen.length,
        url,
        tenant: req.headers["x-tollgate-tenant-id"] ?? null,
        locale: req.headers["x-locale"] ?? null,
      });
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    count: (prefix = "") => seen.filter((u) => u.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Imports the cache API, deploys it to `dev` and turns the stage's cache on for GET methods. */
export async function deployCachedApi(
  t: TestTollgate,
  upstreamUrl: string,
  extra: PatchOperation[] = [],
): Promise<string> {
  const api = await t.apigateway.send(new ImportRestApiCommand({ body: CACHE_OPENAPI }));
  await t.apigateway.send(
    new CreateDeploymentCommand({
      restApiId: api.id!,
      stageName: "dev",
      variables: { upstream: new URL(upstreamUrl).host },
    }),
  );
  await t.apigateway.send(
    new UpdateStageCommand({
      restApiId: api.id!,
      stageName: "dev",
      patchOperations: [
        { op: "replace", path: "/cacheClusterEnabled", value: "true" },
        { op: "replace", path: "/*/*/caching/enabled", value: "true" },
        { op: "replace", path: "/*/*/caching/ttlInSeconds", value: "60" },
        ...extra,
      ],
    }),
  );
  return api.id!;
}
