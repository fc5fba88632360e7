import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/secrets.js";
import type {
  BucketSpec,
  CounterEngine,
  Decision,
  QuotaSpec,
  RateLimitHeaderValues,
  TakeRequest,
} from "../counters/index.js";
import { quotaPeriod, rateLimitHeaders } from "../counters/index.js";
import { effectiveUsage, quotaCounterId, type UsageLedger, utcDay } from "../metering/index.js";
import type { Store } from "../store/index.js";
import type { AccessLog, AccessLogEntry } from "./access-log.js";
import {
  type GatewayConfig,
  type KeyEntry,
  loadGatewayConfig,
  type PlanEntry,
  planFor,
  type StageEntry,
  type Throttle,
} from "./config.js";
import { mockResponse } from "./mock.js";
import { ProxyHandler } from "./proxy.js";
import { forwardedHeaderLines, type RequestHeaders, scanRequestHeaders } from "./request-headers.js";
import { FORBIDDEN, LIMIT_EXCEEDED, sendGatewayError, TIMED_OUT, TOO_MANY_REQUESTS } from "./responses.js";
import type { Route } from "./router.js";
import { type CompiledUri, compileUri } from "./upstream.js";
import { Upstreams } from "./upstream-pool.js";

export interface GatewayOptions {
  store: Store;
  engine: CounterEngine;
  ledger: UsageLedger;
  secrets: SecretBox;
  clock: Clock;
  /** The account-wide bucket every request passes (AWS's default: 10,000 rps, burst 5,000). */
  accountThrottle: Throttle;
  accessLog?: AccessLog;
  /** How often to look for configuration changes, ms. */
  reloadIntervalMs?: number;
}

/** Headers the gateway sets for the upstream; copies sent by a client are dropped. */
export const IDENTITY_HEADERS = {
  tenant: "x-tollgate-tenant-id",
  key: "x-tollgate-api-key-id",
  plan: "x-tollgate-usage-plan-id",
  requestId: "x-tollgate-request-id",
} as const;

/** Headers a client may not set for the upstream: the key stays at the gateway, identities are ours. */
const GATEWAY_OWNED = new Set(["x-api-key", ...Object.values(IDENTITY_HEADERS)]);

/** What the gateway knows of one request once it is admitted. */
interface RequestContext {
  stage: StageEntry;
  route: Route;
  params: Record<string, string>;
  query: string;
  headers: RequestHeaders;
  /** The gateway's own response headers: request id, RateLimit fields. */
  own: Record<string, string>;
  key?: KeyEntry;
  plan?: PlanEntry;
  requestId: string;
  log: AccessLogEntry;
  finish(status: number): void;
  fail(e: { status: number; type: string; message: string }): void;
  now: number;
  /** Why the usage ledger could not count this request (then it is not sent). */
  unrecorded?: string;
}

const UNRECORDED = {
  status: 503,
  type: "ServiceUnavailableException",
  message: "Usage could not be recorded; the request was not forwarded",
} as const;

/** Where a client connection keeps the last key it presented (see `keyHash`). */
const LAST_KEY = Symbol("tollgate.lastKey");
const EXECUTE_API_HOST = /^([a-z0-9]+)\.execute-api\./;
const DEFAULT_TIMEOUT_MS = 29_000;

/**
 * The data plane: resolve API, stage and route; identify the key; authorize; throttle and
 * count the quota in one step; record the admission; proxy; log. Everything it reads per
 * request is in `config`, rebuilt when the store's configuration revision moves.
 */
export class Gateway {
  private config!: GatewayConfig;
  private readonly upstreams = new Upstreams({ maxConnections: 256, idleTimeoutMs: 30_000 });
  private readonly uris = new WeakMap<Route, CompiledUri>();
  private readonly limitCache = new WeakMap<KeyEntry | StageEntry, Map<Route, BucketSpec[]>>();
  private readonly periods = new Map<string, { start: number; end: number }>();
  private reloadTimer?: NodeJS.Timeout;
  private lastTime = 0;
  private lastIso = "";
  private reloading?: Promise<void>;

  constructor(private readonly options: GatewayOptions) {}

  async start(): Promise<void> {
    this.config = await loadGatewayConfig(this.options.store);
    await this.resumeQuotas();
    this.reloadTimer = setInterval(() => void this.reloadIfChanged(), this.options.reloadIntervalMs ?? 250);
    this.reloadTimer.unref();
  }

  /** Rebuilds the configuration when the store's revision changed since the last build. */
  async reloadIfChanged(): Promise<void> {
    // One reload at a time; a caller arriving during one waits for it, then looks again.
    while (this.reloading) await this.reloading;
    this.reloading = this.reload();
    try {
      await this.reloading;
    } finally {
      this.reloading = undefined;
    }
  }

  private async reload(): Promise<void> {
    try {
      const revision = await this.options.store.revision();
      if (revision !== this.config.revision) this.config = await loadGatewayConfig(this.options.store);
    } catch {
      // The store is briefly unreachable: keep serving the last good configuration.
    }
  }

  /**
   * Raises the engine's quota counts to what the ledger holds for the current periods, so a
   * restarted gateway (or a fresh Redis) never admits more than a quota allows.
   */
  private async resumeQuotas(): Promise<void> {
    const now = this.options.clock.now();
    const plans = new Map<string, PlanEntry>();
    for (const stages of this.config.plans.values()) {
      for (const plan of stages.values()) if (plan.quota) plans.set(plan.id, plan);
    }
    for (const plan of plans.values()) {
      const period = quotaPeriod(now, plan.quota!.period, plan.quota!.offset ?? 0);
      // Ledger plus update-usage and top-up adjustments: what the quota counters must hold.
      const used = await effectiveUsage(this.options.store.db, plan.id, period);
      for (const [keyId, { effective }] of used)
        await this.options.engine.seedQuota(quotaCounterId(keyId, plan.id), period.start, effective);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.reloadTimer);
    this.upstreams.close();
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const now = this.options.clock.now();
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    // One pass over the raw header list; node's header object is never built.
    const headers = scanRequestHeaders(req.rawHeaders);
    const log: AccessLogEntry = {
      requestId,
      time: this.isoTime(now),
      ip: req.socket.remoteAddress ?? "",
      method,
      path: url,
      status: 0,
      latencyMs: 0,
      bytesIn: Number(headers.contentLength ?? 0) || 0,
      bytesOut: 0,
    };
    const own: Record<string, string> = { "x-amzn-requestid": requestId };
    const finish = (status: number) => {
      log.status = status;
      log.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      this.options.accessLog?.write(log);
    };
    const fail = (e: { status: number; type: string; message: string }) => {
      sendGatewayError(res, e.status, e.type, e.message, own);
      finish(e.status);
    };

    const q = url.indexOf("?");
    const rawPath = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q);

    const resolved = this.resolve(headers.host, rawPath);
    if ("error" in resolved) return fail({ status: 404, type: "NotFoundException", message: resolved.error });
    const { stage, path } = resolved;
    log.apiId = stage.restApiId;
    log.stage = stage.stageName;
    const match = stage.router.match(method, path);
    if (!match) {
      return fail({
        status: 404,
        type: "NotFoundException",
        message: `No route for ${method} ${path} in stage '${stage.stageName}' of API ${stage.restApiId}`,
      });
    }
    const { route, params } = match;
    log.resourcePath = route.resourcePath;

    // Identification and authorization.
    let key: KeyEntry | undefined;
    let plan: PlanEntry | undefined;
    if (route.method.apiKeyRequired) {
      const value = headers.apiKey;
      if (!value) return fail(FORBIDDEN);
      key = this.config.keys.get(this.keyHash(req.socket, value));
      plan = key && planFor(key, stage.apiStageId);
      if (!key?.enabled || !plan || this.config.disabledTenants.has(key.tenantId)) return fail(FORBIDDEN);
      log.keyId = key.id;
      log.tenantId = key.tenantId;
      log.usagePlanId = plan.id;
    }

    // Every applicable bucket and the quota, checked and taken together.
    const take: TakeRequest = {
      buckets: this.buckets(stage, route, key, plan),
      quota: key && plan?.quota ? this.quota(key, plan, now) : undefined,
      now,
    };
    const decision = this.options.engine.take(take);
    const proceed = (d: Decision) => {
      addRateLimitHeaders(own, rateLimitHeaders(d, take));
      if (!d.admitted) {
        if (d.reason === "unavailable") {
          return fail({
            status: 503,
            type: "ServiceUnavailableException",
            message: "Rate limiting is unavailable",
          });
        }
        return fail(d.reason === "quota" ? LIMIT_EXCEEDED : TOO_MANY_REQUESTS);
      }
      this.answer(req, res, {
        stage,
        route,
        params,
        query,
        headers,
        own,
        key,
        plan,
        requestId,
        log,
        finish,
        fail,
        now,
      });
    };
    if (decision instanceof Promise) {
      decision.then(proceed, () =>
        fail({ status: 503, type: "ServiceUnavailableException", message: "Rate limiting is unavailable" }),
      );
    } else proceed(decision);
  };

  /** `now` as an ISO 8601 string; requests in the same millisecond share one. */
  private isoTime(now: number): string {
    if (now !== this.lastTime) {
      this.lastTime = now;
      this.lastIso = new Date(now).toISOString();
    }
    return this.lastIso;
  }

  /**
   * The lookup hash of a key value. A keep-alive connection usually presents the same key
   * again, so the last value and hash are kept on the socket; the comparison is constant-time.
   */
  private keyHash(socket: Socket & { [LAST_KEY]?: { value: Buffer; hash: string } }, value: string): string {
    const last = socket[LAST_KEY];
    if (last && last.value.length === value.length) {
      const presented = Buffer.from(value, "latin1");
      if (presented.length === last.value.length && timingSafeEqual(presented, last.value)) return last.hash;
    }
    const hash = this.options.secrets.hash(value);
    socket[LAST_KEY] = { value: Buffer.from(value, "latin1"), hash };
    return hash;
  }

  /** Which API and stage a request addresses, and the path below the stage. */
  private resolve(
    hostHeader: string,
    rawPath: string,
  ): { stage: StageEntry; path: string } | { error: string } {
    const host = hostHeader.replace(/:\d+$/, "").toLowerCase();
    const slash = rawPath.indexOf("/", 1);
    const first = slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash);
    const rest = slash === -1 ? "/" : rawPath.slice(slash);

    const executeApi = EXECUTE_API_HOST.exec(host);
    if (executeApi) {
      const stage = this.config.stages.get(`${executeApi[1]}/${first}`);
      return stage
        ? { stage, path: rest }
        : { error: `No stage '${first}' is deployed for API ${executeApi[1]}` };
    }
    const mappings = this.config.domains.get(host);
    if (mappings) {
      const mapping = mappings.get(first) ?? mappings.get("(none)");
      if (!mapping) return { error: `No base path mapping of ${host} matches '/${first}'` };
      const below = mappings.has(first) ? rest : rawPath;
      if (mapping.stage) {
        const stage = this.config.stages.get(`${mapping.restApiId}/${mapping.stage}`);
        return stage
          ? { stage, path: below }
          : { error: `Stage '${mapping.stage}' of API ${mapping.restApiId} is not deployed` };
      }
      // A mapping without a stage takes the stage from the next path segment.
      const s2 = below.indexOf("/", 1);
      const stageName = s2 === -1 ? below.slice(1) : below.slice(1, s2);
      const stage = this.config.stages.get(`${mapping.restApiId}/${stageName}`);
      return stage
        ? { stage, path: s2 === -1 ? "/" : below.slice(s2) }
        : { error: `No stage '${stageName}' is deployed for API ${mapping.restApiId}` };
    }
    // Any other host: the first segment is the stage, and it must name exactly one deployed API.
    const candidates = this.config.stagesByName.get(first) ?? [];
    if (candidates.length === 1) return { stage: candidates[0]!, path: rest };
    if (candidates.length > 1) {
      return {
        error: `Stage '${first}' exists in several APIs (${candidates.map((c) => c.restApiId).join(", ")}): address one with the Host header {restApiId}.execute-api.<domain> or a custom domain name`,
      };
    }
    return { error: `No deployed stage is named '${first}'` };
  }

  /** The buckets a request must pass, most specific first; cached per key (or stage) and route. */
  private buckets(
    stage: StageEntry,
    route: Route,
    key: KeyEntry | undefined,
    plan: PlanEntry | undefined,
  ): BucketSpec[] {
    const owner = key ?? stage;
    let byRoute = this.limitCache.get(owner);
    if (!byRoute) {
      byRoute = new Map();
      this.limitCache.set(owner, byRoute);
    }
    let buckets = byRoute.get(route);
    if (buckets) return buckets;
    buckets = [];
    const methodKey = `${route.resourcePath}/${route.httpMethod}`;
    const stageId = `${stage.restApiId}/${stage.stageName}`;
    if (key && plan) {
      const perMethod = plan.methodThrottles.get(methodKey);
      if (perMethod)
        buckets.push({
          id: `k:${key.id}:${plan.id}:${methodKey}`,
          rate: perMethod.rate,
          burst: perMethod.burst,
        });
      if (plan.throttle)
        buckets.push({ id: `k:${key.id}:${plan.id}`, rate: plan.throttle.rate, burst: plan.throttle.burst });
    }
    const stageMethod = stage.methodThrottles.get(methodKey);
    if (stageMethod)
      buckets.push({ id: `s:${stageId}:${methodKey}`, rate: stageMethod.rate, burst: stageMethod.burst });
    if (stage.defaultThrottle)
      buckets.push({
        id: `s:${stageId}`,
        rate: stage.defaultThrottle.rate,
        burst: stage.defaultThrottle.burst,
      });
    const account = this.options.accountThrottle;
    buckets.push({ id: "account", rate: account.rate, burst: account.burst });
    byRoute.set(route, buckets);
    return buckets;
  }

  private quota(key: KeyEntry, plan: PlanEntry, now: number): QuotaSpec {
    const q = plan.quota!;
    const periodKey = `${q.period}:${q.offset}`;
    let period = this.periods.get(periodKey);
    if (!period || now >= period.end || now < period.start) {
      period = quotaPeriod(now, q.period, q.offset ?? 0);
      this.periods.set(periodKey, period);
    }
    return { id: `q:${key.id}:${plan.id}`, limit: q.limit, start: period.start, end: period.end };
  }

  /** Answers an admitted request: a MOCK integration from its example, an HTTP one from the upstream. */
  private answer(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    const integration = ctx.route.method.methodIntegration;
    if (!integration) {
      ctx.fail({
        status: 500,
        type: "InternalServerErrorException",
        message: `Method ${ctx.route.httpMethod} ${ctx.route.resourcePath} has no integration`,
      });
      return;
    }
    if (integration.type === "MOCK") {
      if (!this.record(ctx)) {
        ctx.fail(UNRECORDED);
        return;
      }
      const mock = mockResponse(ctx.stage.definition, ctx.route, integration);
      const length = Buffer.byteLength(mock.body);
      res.writeHead(mock.status, { ...ctx.own, "content-type": mock.contentType, "content-length": length });
      res.end(mock.body);
      ctx.log.bytesOut = length;
      this.done(ctx, mock.status);
      return;
    }

    let uri = this.uris.get(ctx.route);
    if (!uri) {
      uri = compileUri(integration);
      this.uris.set(ctx.route, uri);
    }
    const vars = ctx.stage.variables;
    const origin = typeof uri.origin === "string" ? uri.origin : uri.origin(vars);
    let path = uri.path(ctx.params, vars);
    if (ctx.query) path += path.includes("?") ? `&${ctx.query.slice(1)}` : ctx.query;

    const { headers } = ctx;
    const ip = req.socket.remoteAddress ?? "";
    let lines = forwardedHeaderLines(req.rawHeaders, GATEWAY_OWNED, headers.connection);
    lines += `x-forwarded-for: ${headers.forwardedFor ? `${headers.forwardedFor}, ${ip}` : ip}\r\nx-forwarded-proto: ${headers.forwardedProto ?? "http"}\r\nx-forwarded-host: ${headers.host}\r\n${IDENTITY_HEADERS.requestId}: ${ctx.requestId}\r\n`;
    if (ctx.key && ctx.plan) {
      lines += `${IDENTITY_HEADERS.tenant}: ${ctx.key.tenantId}\r\n${IDENTITY_HEADERS.key}: ${ctx.key.id}\r\n${IDENTITY_HEADERS.plan}: ${ctx.plan.id}\r\n`;
    }
    // A body of known length goes as it came; one of unknown length (chunked) is sent chunked.
    const chunked = headers.transferEncoding !== undefined;
    if (headers.contentLength !== undefined && !chunked)
      lines += `content-length: ${headers.contentLength}\r\n`;
    const hasBody = chunked || (headers.contentLength !== undefined && headers.contentLength !== "0");
    // The integration's method, or the client's when the integration says ANY.
    const method =
      integration.httpMethod && integration.httpMethod !== "ANY"
        ? integration.httpMethod
        : (req.method ?? "GET");

    const handler = new ProxyHandler(
      res,
      ctx.own,
      () => this.record(ctx),
      (result) => {
        ctx.log.upstreamLatencyMs = result.upstreamLatencyMs;
        ctx.log.bytesOut = result.bytesOut;
        if (result.error && !res.headersSent) {
          ctx.log.error = ctx.unrecorded ?? result.error;
          if (ctx.unrecorded) return ctx.fail(UNRECORDED);
          if (result.timedOut) return ctx.fail(TIMED_OUT);
          return ctx.fail({
            status: 502,
            type: "BadGatewayException",
            message: result.invalid
              ? `The upstream ${origin} sent an invalid response (${result.error})`
              : `The upstream ${origin} could not be reached (${result.error})`,
          });
        }
        if (result.error) ctx.log.error = result.error;
        this.done(ctx, result.status);
      },
    );
    handler.exchange = this.upstreams.get(origin).dispatch(
      {
        method,
        path,
        headerLines: lines,
        body: hasBody ? req : null,
        chunked,
        timeoutMs: integration.timeoutInMillis || DEFAULT_TIMEOUT_MS,
      },
      handler,
    );
  }

  /**
   * Counts a keyed request in the usage ledger at the moment it is sent on; false when the
   * ledger's journal cannot be written, and then the request must not go.
   */
  private record(ctx: RequestContext): boolean {
    if (!ctx.key || !ctx.plan) return true;
    try {
      this.options.ledger.record({
        day: utcDay(ctx.now),
        keyId: ctx.key.id,
        usagePlanId: ctx.plan.id,
        tenantId: ctx.key.tenantId,
        restApiId: ctx.stage.restApiId,
        stage: ctx.stage.stageName,
        resourcePath: ctx.route.resourcePath,
        httpMethod: ctx.route.httpMethod,
      });
      return true;
    } catch (error) {
      ctx.unrecorded = `usage journal: ${(error as Error).message}`;
      return false;
    }
  }

  private done(ctx: RequestContext, status: number): void {
    ctx.finish(status);
    if (ctx.key) {
      this.options.ledger.outcome({
        day: utcDay(ctx.now),
        keyId: ctx.key.id,
        restApiId: ctx.stage.restApiId,
        stage: ctx.stage.stageName,
        resourcePath: ctx.route.resourcePath,
        httpMethod: ctx.route.httpMethod,
        status,
        latencyMs: ctx.log.latencyMs,
        bytesIn: ctx.log.bytesIn,
        bytesOut: ctx.log.bytesOut,
      });
    }
  }
}

/** Adds the header fields of a decision that apply to `headers`. */
function addRateLimitHeaders(headers: Record<string, string>, values: RateLimitHeaderValues): void {
  if (values.retryAfter) headers["retry-after"] = values.retryAfter;
  if (values.rateLimit) headers.ratelimit = values.rateLimit;
  if (values.rateLimitPolicy) headers["ratelimit-policy"] = values.rateLimitPolicy;
}
