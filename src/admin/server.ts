import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { BadRequestError } from "../core/errors.js";
import type { Registry } from "../core/metrics.js";
import { type AdminCredentials, authenticate, type Principal, type TenantCredentialLookup } from "./auth.js";
import { AdminError, sendError } from "./errors.js";
import { buildOpenApiDocument } from "./openapi.js";
import { type AdminRoute, type JsonProtocol, RawResponse } from "./route.js";

export interface AdminServerOptions {
  routes: AdminRoute[];
  credentials: AdminCredentials;
  /** Largest accepted request body in bytes (OpenAPI imports can be large). */
  bodyLimit?: number;
  logger?: boolean;
  /** Runs before every authenticated operation (the server commits pending usage counts). */
  beforeHandle?: () => Promise<void>;
  /** Tenant credentials: tenants may call the JSON protocol services only. */
  tenants?: TenantCredentialLookup;
  /** AWS JSON protocol services served at `POST /` by X-Amz-Target (EventBridge). */
  jsonProtocols?: JsonProtocol[];
  /** Served at `/metrics` in the Prometheus text format, without authentication. */
  metrics?: Registry;
  /** Readiness: resolves when the process can serve (store and counters reachable), else throws why not. */
  ready?: () => Promise<void>;
}

/** Paths served without authentication: probes, the scrape endpoint and the API's own description. */
const PUBLIC_PATHS = new Set(["/health", "/ready", "/metrics", "/openapi.json"]);

/**
 * The admin HTTP server: API Gateway's REST control plane (restJson1) over the route table.
 * Bodies are read raw so that SigV4 can hash exactly what was sent, then parsed per route.
 */
export function createAdminServer(options: AdminServerOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new BadRequestError(`No admin operation matches ${request.method} ${request.url.split("?")[0]}`),
    ),
  );

  const principals = new WeakMap<FastifyRequest, Principal>();
  app.addHook("preHandler", async (request) => {
    const path = request.url.split("?")[0] ?? "/";
    if (PUBLIC_PATHS.has(path)) return;
    const principal = await authenticate(
      request.raw,
      bodyOf(request),
      options.credentials,
      Date.now(),
      options.tenants,
    );
    // Tenant credentials reach the event bus (POST / by X-Amz-Target) and nothing else.
    if (principal.kind === "tenant" && !(request.method === "POST" && path === "/")) {
      throw new AdminError(
        403,
        "AccessDeniedException",
        `User: arn:aws:iam::${principal.accountId}:root is not authorized to perform ${request.method} ${path}: tenant credentials reach the event bus only`,
      );
    }
    principals.set(request, principal);
    await options.beforeHandle?.();
  });

  const protocols = new Map((options.jsonProtocols ?? []).map((p) => [p.prefix, p]));
  app.post("/", async (request, reply) => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const cut = target.lastIndexOf(".");
    const protocol = protocols.get(target.slice(0, cut));
    if (cut < 0 || !protocol) {
      throw new AdminError(400, "UnknownOperationException", `Unknown operation: X-Amz-Target '${target}'`);
    }
    const raw = bodyOf(request);
    let body: unknown = {};
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (error) {
        throw new AdminError(
          400,
          "SerializationException",
          `Invalid JSON in request body: ${(error as Error).message}`,
        );
      }
    }
    const result = await protocol.handle(
      target.slice(cut + 1),
      body,
      principals.get(request) ?? { kind: "operator" },
    );
    return reply
      .status(200)
      .type("application/x-amz-json-1.1")
      .send(JSON.stringify(result ?? {}));
  });

  // Liveness: the process answers. Readiness: it can also reach what serving needs.
  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (_request, reply) => {
    try {
      await options.ready?.();
      return { status: "ready" };
    } catch (error) {
      return reply.status(503).send({ status: "not ready", reason: (error as Error).message });
    }
  });
  const metrics = options.metrics;
  if (metrics) {
    app.get("/metrics", async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }
  const document = buildOpenApiDocument(options.routes);
  app.get("/openapi.json", async () => document);

  // Several operations may share a method and path and differ by a query parameter (`mode`).
  const groups = new Map<string, AdminRoute[]>();
  for (const r of options.routes) {
    const key = `${r.method} ${r.path}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, candidates] of groups) {
    const [method, path] = key.split(" ") as [AdminRoute["method"], string];
    // Dispatch on `when` first; the plain operation is the fallback.
    candidates.sort((a, b) => Number(!!b.when) - Number(!!a.when));
    app.route({
      method,
      url: path.replace(/\{([^}]+)\}/g, ":$1"),
      handler: async (request, reply) => {
        const query = firstValues(request.query);
        const chosen = candidates.find((c) => !c.when || query[c.when.query] === c.when.equals);
        if (!chosen) {
          const modes = candidates.map((c) => c.when?.equals).filter(Boolean);
          throw new BadRequestError(
            `Invalid mode '${query.mode ?? ""}': expected one of ${modes.join(", ")}`,
          );
        }
        const raw = bodyOf(request);
        const body = chosen.body ? chosen.body.parse(parseJsonBody(raw)) : undefined;
        const result = await chosen.handle({
          params: request.params as Record<string, string>,
          query,
          rawQuery: new URLSearchParams(request.url.split("?")[1] ?? ""),
          body,
          rawBody: raw,
          headers: request.headers,
        });
        reply.status(chosen.status);
        if (result instanceof RawResponse) {
          return reply.headers(result.headers).type(result.contentType).send(result.body);
        }
        if (result === undefined) return reply.send();
        return reply.type("application/json").send(JSON.stringify(result));
      },
    });
  }
  return app;
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new BadRequestError(`Invalid JSON in request body: ${(error as Error).message}`);
  }
}

function firstValues(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  }
  return out;
}
