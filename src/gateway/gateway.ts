import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/secrets.js";
import { SignatureError, verifySigV4 } from "../core/sigv4.js";
import type {
  BucketSpec,
  CounterEngine,
  Decision,
  QuotaSpec,
  RateLimitHeaderValues,
  TakeRequest,
} from "../counters/index.js";
import { quotaPeriod, rateLimitHeaders } from "../counters/index.js";
import {
  type AdmissionSubject,
  effectiveUsage,
  quotaCounterId,
  type UsageLedger,
  utcDay,
} from "../metering/index.js";
import type { Store } from "../store/index.js";
import type { AccessLog, AccessLogEntry } from "./access-log.js";
import type { LogFormat } from "./access-log-format.js";
import {
  type AuthOutcome,
  type AuthorizeRequest,
  AuthorizerRegistry,
  authorizerFailure,
  type Identity,
  identityHeaderLines,
  isRefusal,
} from "./authorizers.js";
import { clientIp, type IpMatcher, rateLimitSubject } from "./client-ip.js";
import {
  type GatewayConfig,
  type KeyEntry,
  loadGatewayConfig,
  type PlanEntry,
  planFor,
  type StageEntry,
  type Throttle,
  tenantKeyFor,
} from "./config.js";
import type { GatewayCors } from "./cors.js";
import type { GatewayRequest, GatewayResponse } from "./http-server.js";
import type { GatewayMetrics } from "./metrics.js";
import { mockResponse } from "./mock.js";
import { ProxyHandler, type ProxyResult } from "./proxy.js";
import { forwardedHeaderLines, type RequestHeaders, scanRequestHeaders } from "./request-headers.js";
import { bodyTooLarge, DEFAULT_MAX_BODY_BYTES, limitedBody, readBody } from "./request-limits.js";
import { bodySchema, checkBody, checkParameters } from "./request-validation.js";
import { authorizerPolicyRefusal, resourcePolicyRefusal } from "./resource-policy.js";
import {
  asksInvalidation,
  type CacheBackend,
  type CachedAnswer,
  CachingProxyHandler,
  cacheKey,
  INVALIDATION_FORBIDDEN,
  INVALIDATION_IGNORED_WARNING,
  mayInvalidate,
  sendCached,
} from "./response-cache.js";
import {
  FORBIDDEN,
  LIMIT_EXCEEDED,
  LIMITS_UNAVAILABLE,
  type Refusal,
  sendRefusal,
  TIMED_OUT,
  TOO_MANY_REQUESTS,
  UNAUTHORIZED,
} from "./responses.js";
import type { Route } from "./router.js";
import { tenantRefusal } from "./tenant-access.js";
import { traceHop, traceIdOf } from "./trace-context.js";
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
  metrics?: GatewayMetrics;
  /** How often to look for configuration changes, ms. */
  reloadIntervalMs?: number;
  /** Largest request body, bytes (AWS's 10 MB by default): larger ones get 413. */
  maxBodyBytes?: number;
  /** Proxies whose X-Forwarded-For names the client (`TOLLGATE_TRUSTED_PROXIES`); none by default. */
  trustedProxies?: IpMatcher;
  /** CORS: the developer portal's origins; APIs' own configurations come with their deployments. */
  cors?: GatewayCors;
  /** Where stages' response caches live (memory, or Redis); without it nothing is cached. */
  cache?: CacheBackend;
  /** Bound of one stage's in-memory cache, bytes (below its cacheClusterSize). */
  cacheMaxBytes?: number;
}

/** Headers the gateway sets for the upstream; copies sent by a client are dropped. */
export const IDENTITY_HEADERS = {
  tenant: "x-tollgate-tenant-id",
  key: "x-tollgate-api-key-id",
  plan: "x-tollgate-usage-plan-id",
  requestId: "x-tollgate-request-id",
} as const;

/**
 * Headers a client may not set for the upstream: the key stays at the gateway, identities are
 * ours (every `x-tollgate-` header is dropped too, see `forwardedHeaderLines`).
 */
const GATEWAY_OWNED = new Set(["x-api-key", "traceparent", ...Object.values(IDENTITY_HEADERS)]);

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
  fail(e: Refusal): void;
  now: number;
  /** Why the usage ledger could not count this request (then it is not sent). */
  unrecorded?: string;
  method: string;
  /** The path below the stage. */
  path: string;
  /** The client's address (the peer's, or a trusted proxy's X-Forwarded-For). */
  ip: string;
  /** `{apiId}/{stage}/{METHOD}{path}`, made when a policy needs it. */
  resource?: string;
  /** Who the method's authorizer says is calling. */
  identity?: Identity;
  /** The body, when it was read to be validated (then it is sent as read). */
  body?: Buffer;
  /** A refusal decided while the request was being forwarded (a chunked body over the limit). */
  refusal?: Refusal;
  /** The response cache key, once looked up (a miss: the answer is stored under it). */
  cacheKey?: string;
  /** An authorized `Cache-Control: max-age=0`: skip the lookup, store the fresh answer. */
  invalidate?: boolean;
  /** The key's (or stage's) state on this route, once looked up. */
  state?: RouteState;
}

/** What a Host header names (see `Gateway.hostOf`). */
interface HostRoute {
  header: string;
  /** The configuration the answer was read from. */
  config: GatewayConfig;
  /** Lower case, without the port. */
  host: string;
  /** The API of an execute-api host (`{restApiId}.execute-api.<anything>`). */
  executeApiId?: string;
  /** A custom domain's base path mappings. */
  mappings?: Map<string, { restApiId: string; stage?: string }>;
}

/** A key's (or, without one, a stage's) buckets on a route, and its ledger subject there. */
interface RouteState {
  buckets: BucketSpec[];
  subject?: AdmissionSubject;
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
  /** What is worked out once per key (or, for key-less requests, per stage) and route. */
  private readonly routeStates = new WeakMap<KeyEntry | StageEntry, Map<Route, RouteState>>();
  private readonly periods = new Map<string, { start: number; end: number }>();
  private reloadTimer?: NodeJS.Timeout;
  private lastTime = 0;
  private lastIso = "";
  private lastSecond = Number.NaN;
  private lastSecondIso = "";
  private lastHost?: HostRoute;
  private reloading?: Promise<void>;
  private readonly authorizers: AuthorizerRegistry;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: GatewayOptions) {
    this.authorizers = new AuthorizerRegistry({ clock: options.clock });
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  async start(): Promise<void> {
    this.config = await loadGatewayConfig(this.options.store, {
      authorizers: this.authorizers,
      cacheMaxBytes: this.options.cacheMaxBytes,
    });
    this.options.cache?.retain(this.config.caches);
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
      if (revision !== this.config.revision) {
        this.config = await loadGatewayConfig(this.options.store, {
          authorizers: this.authorizers,
          cacheMaxBytes: this.options.cacheMaxBytes,
        });
        this.options.cache?.retain(this.config.caches);
      }
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

  /** The gateway server's request listener. */
  readonly handle = (req: GatewayRequest, res: GatewayResponse) => {
    const started = performance.now();
    const now = this.options.clock.now();
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    // One pass over the raw header list; node's header object is never built.
    const headers = scanRequestHeaders(req.rawHeaders, req.headerNames);
    const peer = req.socket.remoteAddress ?? "";
    const trusted = this.options.trustedProxies;
    const ip = trusted === undefined ? peer : clientIp(peer, headers.forwardedFor, trusted);
    // Every field is present from the start, so that all entries share one shape (fast property
    // access in the log, the metrics and the formats); undefined ones are not written.
    const log: AccessLogEntry = {
      requestId,
      time: this.isoTime(now),
      ip,
      method,
      path: url,
      apiId: undefined,
      stage: undefined,
      resourcePath: undefined,
      status: 0,
      keyId: undefined,
      tenantId: undefined,
      usagePlanId: undefined,
      latencyMs: 0,
      upstreamLatencyMs: undefined,
      bytesIn: Number(headers.contentLength ?? 0) || 0,
      bytesOut: 0,
      error: undefined,
      errorType: undefined,
      canary: undefined,
      cache: undefined,
      traceId: undefined,
      integrationStatus: undefined,
      principalId: undefined,
      userAgent: undefined,
      host: undefined,
      protocol: undefined,
    };
    const own: Record<string, string> = { "x-amzn-requestid": requestId };
    // The stage's access log format, once the stage is known (the JSON line without one).
    let logFormat: LogFormat | undefined;
    const finish = (status: number) => {
      log.status = status;
      log.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      this.options.accessLog?.write(log, logFormat);
      this.options.metrics?.observe(log);
    };
    const fail = (e: Refusal) => {
      sendRefusal(res, e, own);
      log.errorType = e.type;
      if (logFormat !== undefined) log.error ??= e.message;
      finish(e.status);
    };

    const q = url.indexOf("?");
    const rawPath = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q);

    // The firewall's rules and the body limit come before anything else.
    const firewall = this.config.firewall;
    if (firewall !== undefined) {
      const blocked = firewall.check(method, rawPath, req.rawHeaders, ip);
      if (blocked) return fail(blocked);
    }
    if (log.bytesIn > this.maxBodyBytes) return fail(bodyTooLarge(this.maxBodyBytes));

    const resolved = this.resolve(headers.host, rawPath);
    if (headers.origin !== undefined && this.options.cors) {
      const cors = this.options.cors.apply(
        "stage" in resolved ? resolved.stage.cors : undefined,
        headers.origin,
        method,
        req.rawHeaders,
        own,
        res,
      );
      if (cors === true) return finish(204);
      if (cors !== false) return fail(cors);
    }
    if ("error" in resolved) return fail({ status: 404, type: "NotFoundException", message: resolved.error });
    let { stage } = resolved;
    const { path } = resolved;
    // The canary release takes its share of the stage's requests.
    if (stage.canary !== undefined && Math.random() * 100 < stage.canary.percent) {
      stage = stage.canary.stage;
      log.canary = true;
    }
    log.apiId = stage.restApiId;
    log.stage = stage.stageName;
    if (stage.logFormat !== undefined) {
      logFormat = stage.logFormat;
      log.userAgent = headers.userAgent;
      log.host = headers.host;
      if (req.httpVersion !== "1.1") log.protocol = `HTTP/${req.httpVersion}`;
    }
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
    const ctx: RequestContext = {
      stage,
      route,
      params,
      query,
      headers,
      own,
      requestId,
      log,
      finish,
      fail,
      now,
      method,
      path,
      ip,
    };
    // Authorizers, resource policies and request validation: most routes have none.
    if (route.policies === undefined && stage.policy === undefined) this.identify(req, res, ctx);
    else this.authorize(req, res, ctx);
  };

  /**
   * Before the key: the method's configuration, a resource policy that reads only the client's
   * address, then the method's authorizer (answered from its cache, or called).
   */
  private authorize(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext) {
    const policies = ctx.route.policies;
    if (policies?.broken) return ctx.fail(policies.broken);
    const policy = ctx.stage.policy;
    if (policy !== undefined && !policy.needsIdentity) {
      const refused = this.resourcePolicy(ctx);
      if (refused) return ctx.fail(refused);
    }
    if (policies?.iam) return this.verifySignature(req, res, ctx);
    const authorizer = policies?.authorizer;
    if (!authorizer) return this.identify(req, res, ctx);
    let outcome: AuthOutcome | Promise<AuthOutcome>;
    try {
      outcome = authorizer.authorize(this.authorizeRequest(req, ctx));
    } catch (error) {
      outcome = authorizerFailure(error);
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => this.authorized(req, res, ctx, o),
        (error) => ctx.fail(authorizerFailure(error)),
      );
    } else this.authorized(req, res, ctx, outcome);
  }

  /**
   * AWS_IAM: the body is read (bounded, the signature covers it) and the request's SigV4
   * signature checked with the key pair of the tenant it names; the caller is that tenant.
   */
  private verifySignature(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext) {
    readBody(req.body(), this.maxBodyBytes).then(async (body) => {
      if (!Buffer.isBuffer(body)) return ctx.fail(body);
      ctx.body = body;
      let identity: Identity;
      try {
        const signed = { method: ctx.method, url: req.url ?? "/", headers: req.headers, body };
        // Signature freshness is about wall time, whatever clock the gateway meters with.
        ({ identity } = await verifySigV4(
          signed,
          (id) => this.signingCredential(id),
          Date.now(),
          "execute-api",
        ));
      } catch (error) {
        if (!(error instanceof SignatureError)) return ctx.fail(authorizerFailure(error));
        return ctx.fail({ status: 403, type: error.code, message: error.message });
      }
      this.authorized(req, res, ctx, identity);
    });
  }

  /** A tenant's key pair by access key id, its secret unsealed and its identity made once. */
  private signingCredential(
    accessKeyId: string,
  ): { secretAccessKey: string; identity: Identity } | undefined {
    const credential = this.config.credentials.get(accessKeyId);
    if (!credential) return undefined;
    credential.secretAccessKey ??= this.options.secrets.open(credential.secretSealed);
    credential.identity ??= {
      principalId: accessKeyId,
      tenantId: credential.tenantId,
      accountId: credential.accountId,
      headerLines: identityHeaderLines(accessKeyId),
    };
    return { secretAccessKey: credential.secretAccessKey, identity: credential.identity };
  }

  private authorized(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext, outcome: AuthOutcome) {
    if (isRefusal(outcome)) return ctx.fail(outcome);
    if (outcome.policy) {
      const decision = outcome.policy.evaluate({ resource: this.resourceOf(ctx), ip: ctx.ip });
      if (decision !== "allow") return ctx.fail(authorizerPolicyRefusal(decision));
    }
    const scopes = ctx.route.policies?.scopes;
    if (scopes && !(outcome.scopes && [...scopes].some((s) => outcome.scopes!.has(s))))
      return ctx.fail(UNAUTHORIZED);
    ctx.identity = outcome;
    if (outcome.principalId) ctx.log.principalId = outcome.principalId;
    this.identify(req, res, ctx);
  }

  /**
   * Identification: the API key (from x-api-key, or from the authorizer when the API's key
   * source is AUTHORIZER), the tenant's block and access lists, the resource policy, and the
   * method's request validation. Then the limits.
   */
  private identify(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext) {
    const { stage, route, headers, log, identity, fail } = ctx;
    let key: KeyEntry | undefined;
    let plan: PlanEntry | undefined;
    if (route.method.apiKeyRequired) {
      if (identity !== undefined && stage.apiKeySource === "AUTHORIZER")
        key = this.authorizerKey(identity, stage);
      else {
        const value = headers.apiKey;
        if (!value) return fail(FORBIDDEN);
        key = this.config.keys.get(this.keyHash(req.socket, value));
      }
      plan = key && planFor(key, stage.apiStageId);
      if (!key?.enabled || !plan || this.config.disabledTenants.has(key.tenantId)) return fail(FORBIDDEN);
      // A token that names a tenant cannot be used with another tenant's key.
      if (identity?.tenantId !== undefined && identity.tenantId !== key.tenantId) return fail(FORBIDDEN);
      if (key.access !== undefined) {
        const refused = tenantRefusal(key.access, this.resourceOf(ctx));
        if (refused) return fail(refused);
      }
      log.keyId = key.id;
      log.tenantId = key.tenantId;
      log.usagePlanId = plan.id;
      ctx.key = key;
      ctx.plan = plan;
    } else if (identity?.tenantId !== undefined) {
      if (this.config.disabledTenants.has(identity.tenantId)) return fail(FORBIDDEN);
      const access = this.config.tenantAccess.get(identity.tenantId);
      const refused = access && tenantRefusal(access, this.resourceOf(ctx));
      if (refused) return fail(refused);
      log.tenantId = identity.tenantId;
    }
    if (stage.policy?.needsIdentity) {
      const refused = this.resourcePolicy(ctx);
      if (refused) return fail(refused);
    }
    const validation = route.policies?.validation;
    if (validation !== undefined) {
      if (validation.query !== undefined || validation.headers !== undefined) {
        const refused = checkParameters(validation, req.rawHeaders, ctx.query);
        if (refused) return fail(refused);
      }
      const schema = validation.bodies && bodySchema(validation, req.rawHeaders);
      if (schema) {
        // The body is read (bounded) and checked before any limit is taken or anything is sent.
        // (An AWS_IAM method has read it already.)
        (ctx.body ? Promise.resolve(ctx.body) : readBody(req.body(), this.maxBodyBytes)).then((body) => {
          if (!Buffer.isBuffer(body)) return fail(body);
          const refused = checkBody(schema, body);
          if (refused) return fail(refused);
          ctx.body = body;
          this.limit(req, res, ctx);
        });
        return;
      }
    }
    this.limit(req, res, ctx);
  }

  /** Every applicable bucket and the quota, checked and taken together; then the answer. */
  private limit(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext): void {
    const { stage, route, key, plan, now, own, fail } = ctx;
    // Cache-Control: max-age=0 on a cached method: decided before any limit is taken.
    if (
      route.cache !== undefined &&
      ctx.headers.cacheControl !== undefined &&
      asksInvalidation(ctx.headers.cacheControl)
    ) {
      const allowed =
        !route.cache.requireAuthorization ||
        mayInvalidate(stage.policy, ctx.identity?.policy, {
          resource: this.resourceOf(ctx),
          ip: ctx.ip,
          tenantId: key?.tenantId ?? ctx.identity?.tenantId,
          keyId: key?.id,
          principalId: ctx.identity?.principalId,
          accountId: ctx.identity?.accountId,
        });
      if (allowed) ctx.invalidate = true;
      else if (route.cache.strategy === "FAIL_WITH_403") {
        fail(INVALIDATION_FORBIDDEN);
        return;
      } else if (route.cache.strategy === "SUCCEED_WITH_RESPONSE_HEADER")
        own.warning = INVALIDATION_IGNORED_WARNING;
    }
    // A request nobody is identified for also passes its address's bucket, when the firewall sets one.
    const ipLimit = key === undefined && ctx.identity === undefined ? stage.ipRateLimit : undefined;
    const { buckets } = this.routeState(ctx);
    const take: TakeRequest = {
      buckets:
        ipLimit === undefined
          ? buckets
          : [
              {
                id: `ip:${ipLimit.id}:${rateLimitSubject(ctx.ip)}`,
                rate: ipLimit.rate,
                burst: ipLimit.burst,
              },
              ...buckets,
            ],
      quota: key && plan?.quota ? this.quota(key, plan, now) : undefined,
      now,
    };
    const decision = this.options.engine.take(take);
    const refuse = (refusal: Refusal) => {
      fail(refusal);
      // Refused, so not counted as usage, but a key's 429s and 503s show in its answer statistics.
      this.outcome(ctx, refusal.status);
    };
    const proceed = (d: Decision) => {
      addRateLimitHeaders(own, rateLimitHeaders(d, take));
      if (d.admitted) return this.answer(req, res, ctx);
      refuse(
        d.reason === "unavailable"
          ? LIMITS_UNAVAILABLE
          : d.reason === "quota"
            ? LIMIT_EXCEEDED
            : TOO_MANY_REQUESTS,
      );
    };
    if (decision instanceof Promise) decision.then(proceed, () => refuse(LIMITS_UNAVAILABLE));
    else proceed(decision);
  }

  /** `{apiId}/{stage}/{METHOD}{path}`, made once per request that needs it. */
  private resourceOf(ctx: RequestContext): string {
    ctx.resource ??= `${ctx.stage.restApiId}/${ctx.stage.stageName}/${ctx.method}${ctx.path}`;
    return ctx.resource;
  }

  /** The resource policy's refusal, or undefined when it allows the request. */
  private resourcePolicy(ctx: RequestContext): Refusal | undefined {
    const resource = this.resourceOf(ctx);
    const decision = ctx.stage.policy!.evaluate({
      resource,
      ip: ctx.ip,
      tenantId: ctx.key?.tenantId ?? ctx.identity?.tenantId,
      keyId: ctx.key?.id,
      principalId: ctx.identity?.principalId,
      accountId: ctx.identity?.accountId,
    });
    return decision === "allow"
      ? undefined
      : resourcePolicyRefusal(resource, decision, ctx.identity?.accountId);
  }

  private authorizeRequest(req: GatewayRequest, ctx: RequestContext): AuthorizeRequest {
    return {
      rawHeaders: req.rawHeaders,
      query: ctx.query,
      method: ctx.method,
      path: ctx.path,
      resource: this.resourceOf(ctx),
      restApiId: ctx.stage.restApiId,
      stageName: ctx.stage.stageName,
      stageVariables: ctx.stage.variables,
      resourcePath: ctx.route.resourcePath,
      pathParameters: ctx.params,
      ip: ctx.ip,
      requestId: ctx.requestId,
    };
  }

  /** The key an authorizer's answer meters with: its usageIdentifierKey, or its tenant's key on this stage. */
  private authorizerKey(identity: Identity, stage: StageEntry): KeyEntry | undefined {
    if (identity.usageIdentifierKey !== undefined) {
      identity.usageKeyHash ??= this.options.secrets.hash(identity.usageIdentifierKey);
      return this.config.keys.get(identity.usageKeyHash);
    }
    return identity.tenantId === undefined
      ? undefined
      : tenantKeyFor(this.config, identity.tenantId, stage.apiStageId);
  }

  /** `now` as an ISO 8601 string; requests in the same millisecond share one. */
  private isoTime(now: number): string {
    if (now !== this.lastTime) {
      this.lastTime = now;
      // Date's own formatting costs more than the rest of the log line: only the second's part is
      // made with it, once a second, and the milliseconds appended.
      const second = Math.floor(now / 1000) * 1000;
      if (second !== this.lastSecond) {
        this.lastSecond = second;
        this.lastSecondIso = new Date(second).toISOString().slice(0, 20);
      }
      const ms = Math.floor(now - second);
      this.lastIso = `${this.lastSecondIso}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
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

  /**
   * What a Host header names: an API's execute-api host, a custom domain, or neither. The last
   * answer is kept, since most requests come in under one or a few hosts.
   */
  private hostOf(header: string): HostRoute {
    const last = this.lastHost;
    if (last !== undefined && last.header === header && last.config === this.config) return last;
    const host = header.replace(/:\d+$/, "").toLowerCase();
    const route: HostRoute = {
      header,
      config: this.config,
      host,
      executeApiId: EXECUTE_API_HOST.exec(host)?.[1],
      mappings: this.config.domains.get(host),
    };
    this.lastHost = route;
    return route;
  }

  /** Which API and stage a request addresses, and the path below the stage. */
  private resolve(
    hostHeader: string,
    rawPath: string,
  ): { stage: StageEntry; path: string } | { error: string } {
    const { host, executeApiId, mappings } = this.hostOf(hostHeader);
    const slash = rawPath.indexOf("/", 1);
    const first = slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash);
    const rest = slash === -1 ? "/" : rawPath.slice(slash);

    if (executeApiId !== undefined) {
      const stage = this.config.stages.get(`${executeApiId}/${first}`);
      return stage
        ? { stage, path: rest }
        : { error: `No stage '${first}' is deployed for API ${executeApiId}` };
    }
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

  /** The request's route state: made on first need, then shared by the key's (or stage's) requests. */
  private routeState(ctx: RequestContext): RouteState {
    if (ctx.state !== undefined) return ctx.state;
    const owner = ctx.key ?? ctx.stage;
    let byRoute = this.routeStates.get(owner);
    if (!byRoute) {
      byRoute = new Map();
      this.routeStates.set(owner, byRoute);
    }
    let state = byRoute.get(ctx.route);
    if (!state) {
      state = { buckets: this.buckets(ctx.stage, ctx.route, ctx.key, ctx.plan) };
      byRoute.set(ctx.route, state);
    }
    ctx.state = state;
    return state;
  }

  /** The buckets a request must pass, most specific first. */
  private buckets(
    stage: StageEntry,
    route: Route,
    key: KeyEntry | undefined,
    plan: PlanEntry | undefined,
  ): BucketSpec[] {
    const buckets: BucketSpec[] = [];
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
  private answer(req: GatewayRequest, res: GatewayResponse, ctx: RequestContext): void {
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

    const cache = ctx.route.cache;
    const backend = this.options.cache;
    if (
      cache !== undefined &&
      backend !== undefined &&
      ctx.cacheKey === undefined &&
      ctx.stage.cache &&
      cache.methods.has(ctx.method)
    ) {
      ctx.cacheKey = cacheKey(cache, {
        method: ctx.method,
        query: ctx.query,
        rawHeaders: req.rawHeaders,
        params: ctx.params,
        tenantId: ctx.key?.tenantId ?? ctx.identity?.tenantId,
        keyId: ctx.key?.id,
      });
      ctx.log.cache = "miss";
      ctx.own["x-cache"] = "Miss";
      if (!ctx.invalidate) {
        const found = backend.get(ctx.stage.cache.id, ctx.cacheKey, ctx.now);
        if (found instanceof Promise) {
          found.then((entry) => (entry ? this.fromCache(res, ctx, entry) : this.answer(req, res, ctx)));
          return;
        }
        if (found) {
          this.fromCache(res, ctx, found);
          return;
        }
      }
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
    let lines = forwardedHeaderLines(req.rawHeaders, req.headerNames, GATEWAY_OWNED, headers.connection);
    lines += `x-forwarded-for: ${headers.forwardedFor ? `${headers.forwardedFor}, ${ip}` : ip}\r\nx-forwarded-proto: ${headers.forwardedProto ?? "http"}\r\nx-forwarded-host: ${headers.host}\r\n${IDENTITY_HEADERS.requestId}: ${ctx.requestId}\r\n`;
    if (ctx.key && ctx.plan) {
      lines += `${IDENTITY_HEADERS.tenant}: ${ctx.key.tenantId}\r\n${IDENTITY_HEADERS.key}: ${ctx.key.id}\r\n${IDENTITY_HEADERS.plan}: ${ctx.plan.id}\r\n`;
    } else if (ctx.identity?.tenantId !== undefined)
      lines += `${IDENTITY_HEADERS.tenant}: ${ctx.identity.tenantId}\r\n`;
    if (ctx.identity !== undefined) lines += ctx.identity.headerLines;
    const hop = traceHop(headers.traceparent, ctx.requestId);
    ctx.log.traceId = hop.traceId;
    lines += `traceparent: ${hop.traceparent}\r\n`;
    // A body of known length goes as it came; one of unknown length (chunked) is sent chunked,
    // counted against the body limit as it goes; one read for validation goes as read.
    const read = ctx.body;
    const chunked = read === undefined && headers.transferEncoding !== undefined;
    if (read !== undefined) lines += `content-length: ${read.length}\r\n`;
    else if (headers.contentLength !== undefined && !chunked)
      lines += `content-length: ${headers.contentLength}\r\n`;
    const hasBody = chunked || (headers.contentLength !== undefined && headers.contentLength !== "0");
    // The integration's method, or the client's when the integration says ANY.
    const method =
      integration.httpMethod && integration.httpMethod !== "ANY"
        ? integration.httpMethod
        : (req.method ?? "GET");

    const onSend = () => this.record(ctx);
    const onDone = (result: ProxyResult) => {
      ctx.log.upstreamLatencyMs = result.upstreamLatencyMs;
      if (ctx.stage.logFormat !== undefined) ctx.log.integrationStatus = result.status || undefined;
      ctx.log.bytesOut = result.bytesOut;
      if (result.error && !res.headersSent) {
        ctx.log.error = ctx.unrecorded ?? result.error;
        if (ctx.refusal) return ctx.fail(ctx.refusal);
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
    };
    const key = ctx.cacheKey;
    const handler =
      key === undefined
        ? new ProxyHandler(res, ctx.own, onSend, onDone)
        : new CachingProxyHandler(res, ctx.own, onSend, onDone, cache!.ttlMs, (answer, ttlMs) =>
            this.options.cache!.set(
              ctx.stage.cache!.id,
              key,
              { ...answer, storedAt: this.options.clock.now(), expiresAt: this.options.clock.now() + ttlMs },
              cache!.encrypted,
            ),
          );
    handler.exchange = this.upstreams.get(origin).dispatch(
      {
        method,
        path,
        headerLines: lines,
        body:
          read ??
          (!hasBody
            ? null
            : chunked
              ? limitedBody(req.body(), this.maxBodyBytes, () => {
                  ctx.refusal = bodyTooLarge(this.maxBodyBytes);
                })
              : req.body()),
        chunked,
        timeoutMs: integration.timeoutInMillis || DEFAULT_TIMEOUT_MS,
      },
      handler,
    );
  }

  /** Answers from the response cache: recorded and metered exactly as a forwarded answer. */
  private fromCache(res: GatewayResponse, ctx: RequestContext, entry: CachedAnswer): void {
    if (!this.record(ctx)) {
      ctx.fail(UNRECORDED);
      return;
    }
    ctx.log.cache = "hit";
    ctx.own["x-cache"] = "Hit";
    ctx.log.traceId = traceIdOf(ctx.headers.traceparent, ctx.requestId);
    ctx.log.bytesOut = sendCached(res, ctx.own, entry, this.options.clock.now(), ctx.method === "HEAD");
    this.done(ctx, entry.status);
  }

  /**
   * Counts a keyed request in the usage ledger at the moment it is sent on; false when the
   * ledger's journal cannot be written, and then the request must not go.
   */
  private record(ctx: RequestContext): boolean {
    if (!ctx.key || !ctx.plan) return true;
    try {
      this.options.ledger.admit(utcDay(ctx.now), this.subject(ctx, ctx.key));
      return true;
    } catch (error) {
      ctx.unrecorded = `usage journal: ${(error as Error).message}`;
      return false;
    }
  }

  private done(ctx: RequestContext, status: number): void {
    ctx.finish(status);
    this.outcome(ctx, status);
  }

  /** A keyed request's answer in the usage statistics (status, latency, bytes). */
  private outcome(ctx: RequestContext, status: number): void {
    if (!ctx.key) return;
    const { log } = ctx;
    this.options.ledger.answered(
      utcDay(ctx.now),
      this.subject(ctx, ctx.key),
      status,
      log.latencyMs,
      log.bytesIn,
      log.bytesOut,
    );
  }

  /** What the ledger counts a key's request on this route as; one object per key and route. */
  private subject(ctx: RequestContext, key: KeyEntry): AdmissionSubject {
    const state = this.routeState(ctx);
    state.subject ??= {
      keyId: key.id,
      usagePlanId: ctx.plan?.id ?? "",
      tenantId: key.tenantId,
      restApiId: ctx.stage.restApiId,
      stage: ctx.stage.stageName,
      resourcePath: ctx.route.resourcePath,
      httpMethod: ctx.route.httpMethod,
    };
    return state.subject;
  }
}

/** Adds the header fields of a decision that apply to `headers`. */
function addRateLimitHeaders(headers: Record<string, string>, values: RateLimitHeaderValues): void {
  if (values.retryAfter) headers["retry-after"] = values.retryAfter;
  if (values.rateLimit) headers.ratelimit = values.rateLimit;
  if (values.rateLimitPolicy) headers["ratelimit-policy"] = values.rateLimitPolicy;
}
