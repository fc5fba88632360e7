import { Counter, type Registry } from "prom-client";
import type { Clock } from "../../core/clock.js";
import type { Store } from "../../store/index.js";
import type { ApiDestinationService, ResolvedDestination } from "../api-destinations.js";
import type { ConnectionParameter, ConnectionService, ResolvedConnection } from "../connections.js";
import type { BusEvent, Ingest } from "../ingest.js";
import type { RoutedTarget, Router } from "../router.js";
import { webhookHeaders } from "../signing.js";
import { DEFAULT_RETRY_POLICY, type Target } from "../targets.js";
import { renderInput } from "../transform.js";
import type { HttpSender } from "./http.js";
import { OAuthTokens, TokenError } from "./oauth.js";
import { type ClaimedDelivery, DeliveryQueue, type Outcome } from "./queue.js";

export interface WorkerOptions {
  concurrency: number;
  perDestinationConcurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  httpTimeoutMs: number;
  /** Where `tollgate_event_deliveries_total{outcome}` is counted (the process's metrics registry). */
  registry?: Registry;
}

/** One destination's deliveries in this process: at most `perDestinationConcurrency` in flight. */
interface Lane {
  key: string;
  running: number;
  backlog: ClaimedDelivery[];
  bucket: Bucket;
  timer?: NodeJS.Timeout;
}

/** Token bucket of an API destination's InvocationRateLimitPerSecond (burst: one second's worth). */
interface Bucket {
  /** Unknown (Infinity) until the destination is read; a lane reads it before its first request. */
  rate: number;
  tokens: number;
  refilledAt: number;
  known: boolean;
}

/** What an attempt produced before the retry policy decides. */
type Attempt =
  | { kind: "success"; statusCode?: number; latencyMs: number }
  | { kind: "failure"; retryable: boolean; statusCode?: number; error: string; latencyMs: number }
  | { kind: "drop"; error: string };

/** Destination details are read at most this often per destination (changes clear them at once). */
const RESOLVE_TTL_MS = 1000;
const FLUSH_EVERY_MS = 5;
const FLUSH_BATCH = 200;

/**
 * The delivery worker: claims due deliveries from the store, sends them, and records each
 * attempt. Deliveries are grouped in lanes by destination (API destination or bus): a lane
 * runs at most `perDestinationConcurrency` at once and at its destination's rate limit, and
 * claims skip lanes that are full, so a slow or failing endpoint holds only its own lane and
 * never delays another's deliveries. Retries follow the target's RetryPolicy (EventBridge's
 * defaults: 185 attempts, 24 hours) with exponential backoff and jitter; only 429, 5xx and
 * network errors retry; what cannot be delivered becomes a dead letter (status FAILED) with
 * its last error. Outcomes are written in small batches; a crash before the write only means
 * the delivery is sent again (at-least-once).
 */
export class DeliveryWorker {
  /** What this worker did since it started: deliveries claimed and attempts made. */
  readonly stats = { claimed: 0, attempts: 0 };
  private readonly queue: DeliveryQueue;
  private readonly tokens: OAuthTokens;
  private readonly lanes = new Map<string, Lane>();
  /** Rate buckets outlive their lanes, so a destination's rate holds across bursts. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly resolved = new Map<
    string,
    { at: number; destination?: ResolvedDestination; connection?: ResolvedConnection }
  >();
  private inflight = 0;
  private ticking = false;
  /** The tick running now, so that close() waits for its claim to finish. */
  private running?: Promise<void>;
  private again = false;
  private closed = true;
  private poller?: NodeJS.Timeout;
  private outcomes: Outcome[] = [];
  private flushing?: Promise<void>;
  private flushTimer?: NodeJS.Timeout;
  private readonly idle = new Set<() => void>();
  /** Delivery outcomes (SUCCEEDED, RETRYING, FAILED), when a registry was given. */
  private readonly deliveries?: Counter<"outcome">;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly router: Router,
    private readonly ingest: Ingest,
    private readonly destinations: ApiDestinationService,
    private readonly connections: ConnectionService,
    private readonly http: HttpSender,
    private readonly options: WorkerOptions,
  ) {
    this.queue = new DeliveryQueue(store);
    if (options.registry) {
      this.deliveries = new Counter({
        name: "tollgate_event_deliveries_total",
        help: "Event delivery attempts by outcome (SUCCEEDED, RETRYING: failed and rescheduled, FAILED: a dead letter)",
        labelNames: ["outcome"],
        registers: [options.registry],
      });
    }
    this.tokens = new OAuthTokens(http, () => clock.now());
  }

  start(): void {
    if (!this.closed) return;
    this.closed = false;
    this.poller = setInterval(() => void this.tick(), this.options.pollIntervalMs);
    this.poller.unref();
    void this.tick();
  }

  /** Looks for due deliveries now (called when PutEvents enqueued some). */
  wake(): void {
    if (this.closed) return;
    if (this.ticking) this.again = true;
    else setImmediate(() => void this.tick());
  }

  /** Forgets cached destinations and connections (they changed). */
  forget(): void {
    this.resolved.clear();
  }

  /** Resolves when nothing is in flight or waiting to be recorded (tests and benchmarks). */
  async drained(): Promise<void> {
    while (
      this.inflight ||
      this.outcomes.length ||
      this.flushing ||
      [...this.lanes.values()].some((l) => l.backlog.length)
    ) {
      await new Promise<void>((resolve) => {
        this.idle.add(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  /** Stops claiming, gives back what is waiting, lets what is in flight finish, records it all. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    await this.running;
    const waiting: ClaimedDelivery[] = [];
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.timer);
      waiting.push(...lane.backlog.splice(0));
    }
    await this.queue.release(waiting, this.clock.now()).catch(() => {});
    const deadline = Date.now() + this.options.httpTimeoutMs + 1000;
    while (this.inflight && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    clearTimeout(this.flushTimer);
    await this.flush();
  }

  private tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.ticking) {
      this.again = true;
      return Promise.resolve();
    }
    this.ticking = true;
    this.running = this.claimLoop().finally(() => {
      this.ticking = false;
      this.running = undefined;
    });
    return this.running;
  }

  private async claimLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        let held = this.inflight;
        for (const lane of this.lanes.values()) held += lane.backlog.length;
        const capacity = this.options.concurrency - held;
        // Claim in batches: a claim is a write, and one per freed slot would cost more than the sends.
        if (capacity <= 0 || (held > 0 && capacity < Math.min(32, this.options.concurrency / 2))) break;
        const cap = this.options.perDestinationConcurrency;
        const exclude = [...this.lanes.values()]
          .filter((l) => l.running + l.backlog.length >= cap)
          .map((l) => l.key);
        const claimed = await this.queue.claim({
          now: this.clock.now(),
          limit: capacity,
          perDestination: cap,
          leaseMs: this.options.leaseMs,
          exclude,
        });
        this.stats.claimed += claimed.length;
        for (const delivery of claimed) {
          const lane = this.lane(delivery.destination);
          lane.backlog.push(delivery);
        }
        for (const lane of this.lanes.values()) this.pump(lane);
        if (claimed.length === capacity) this.again = true;
      } while (this.again && !this.closed);
    } catch (error) {
      if (!this.closed)
        process.stderr.write(`event delivery: claiming failed: ${(error as Error).message}\n`);
    }
  }

  private lane(key: string): Lane {
    let lane = this.lanes.get(key);
    if (!lane) {
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = {
          rate: Number.POSITIVE_INFINITY,
          tokens: 1,
          refilledAt: Date.now(),
          known: !key.startsWith("api-destination:"),
        };
        this.buckets.set(key, bucket);
      }
      lane = { key, running: 0, backlog: [], bucket };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Starts what the lane may run now; with no rate token left, comes back when one is due. */
  private pump(lane: Lane): void {
    if (this.closed) return;
    if (!lane.bucket.known && lane.backlog.length && !lane.timer) {
      // Read the destination's rate limit before its first request of this process.
      const [account, name] = splitDestination(lane.key);
      lane.timer = setTimeout(() => {}, 60_000);
      void this.resolve(account, name)
        .then((found) => {
          lane.bucket.rate = found.destination?.rateLimit ?? Number.POSITIVE_INFINITY;
          lane.bucket.tokens = 1;
          lane.bucket.refilledAt = Date.now();
        })
        .catch(() => {})
        .finally(() => {
          lane.bucket.known = true;
          clearTimeout(lane.timer);
          lane.timer = undefined;
          this.pump(lane);
        });
      return;
    }
    if (!lane.bucket.known) return;
    while (!this.closed && lane.running < this.options.perDestinationConcurrency && lane.backlog.length) {
      if (!this.takeToken(lane.bucket)) {
        if (!lane.timer) {
          lane.timer = setTimeout(
            () => {
              lane.timer = undefined;
              this.pump(lane);
            },
            Math.ceil(1000 / lane.bucket.rate),
          );
        }
        return;
      }
      const delivery = lane.backlog.shift()!;
      lane.running++;
      this.inflight++;
      this.execute(delivery, lane)
        .catch((error): Outcome => this.unexpected(delivery, error))
        .then((outcome) => this.record(outcome))
        .finally(() => {
          lane.running--;
          this.inflight--;
          if (!lane.running && !lane.backlog.length && !lane.timer) this.lanes.delete(lane.key);
          else this.pump(lane);
          this.wake();
        });
    }
  }

  private takeToken(bucket: Bucket): boolean {
    if (!Number.isFinite(bucket.rate)) return true;
    const now = Date.now();
    bucket.tokens = Math.min(bucket.rate, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private async execute(delivery: ClaimedDelivery, lane: Lane): Promise<Outcome> {
    const now = this.clock.now();
    const routed = await this.router.target(delivery.account, delivery.bus, delivery.rule, delivery.targetId);
    if (!routed) {
      return this.decide(delivery, undefined, {
        kind: "drop",
        error: `Target ${delivery.targetId} of rule ${delivery.rule} no longer exists.`,
      });
    }
    const policy = { ...DEFAULT_RETRY_POLICY, ...routed.target.RetryPolicy };
    if (now - delivery.enqueuedAt > policy.MaximumEventAgeInSeconds * 1000) {
      return this.decide(delivery, routed.target, {
        kind: "drop",
        error: `The event is older than MaximumEventAgeInSeconds (${policy.MaximumEventAgeInSeconds}).`,
      });
    }
    const event = JSON.parse(delivery.event) as BusEvent;
    if (delivery.replayName !== null) event["replay-name"] = delivery.replayName;
    const attempt =
      routed.kind.kind === "event-bus"
        ? await this.forward(delivery, routed, event)
        : routed.kind.kind === "api-destination"
          ? await this.call(delivery, routed, event, lane)
          : ({ kind: "success", latencyMs: 0 } as Attempt);
    return this.decide(delivery, routed.target, attempt);
  }

  /** A bus target: the event is put on the other bus, where its rules route it. */
  private async forward(delivery: ClaimedDelivery, routed: RoutedTarget, event: BusEvent): Promise<Attempt> {
    const started = performance.now();
    const kind = routed.kind as { kind: "event-bus"; account: string; name: string };
    const exists = await this.store.db
      .selectFrom("event_buses")
      .select("name")
      .where("account", "=", kind.account)
      .where("name", "=", kind.name)
      .executeTakeFirst();
    if (!exists)
      return {
        kind: "failure",
        retryable: false,
        error: `Event bus ${kind.name} does not exist.`,
        latencyMs: 0,
      };
    const prepared = await this.ingest.prepare(kind.account, kind.name, event, {
      storageKey: `fwd:${delivery.id}/${event.id}`,
      ...(delivery.replayName !== null ? { replayName: delivery.replayName } : {}),
    });
    await this.ingest.commit([prepared]);
    return { kind: "success", latencyMs: performance.now() - started };
  }

  /** An API destination target: one signed HTTP request. */
  private async call(
    delivery: ClaimedDelivery,
    routed: RoutedTarget,
    event: BusEvent,
    lane: Lane,
  ): Promise<Attempt> {
    const name = (routed.kind as { name: string }).name;
    const found = await this.resolve(delivery.account, name);
    const destination = found.destination;
    const uuid = /api-destination\/[^/]+\/([^/]+)$/.exec(routed.target.Arn)?.[1];
    if (!destination || (uuid && uuid !== destination.uuid)) {
      return {
        kind: "failure",
        retryable: false,
        error: `API destination ${name} does not exist.`,
        latencyMs: 0,
      };
    }
    if (lane.bucket.rate !== destination.rateLimit) lane.bucket.rate = destination.rateLimit;
    const target = routed.target;
    let body = renderInput(event, target, {
      ruleArn: routed.ruleArn,
      ruleName: routed.ruleName,
      ingestionTime: new Date(delivery.receivedAt).toISOString(),
    });
    const headers: Record<string, string> = {
      "content-type": "application/json; charset=utf-8",
      "user-agent": "Tollgate-Events/1.0",
    };
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(target.HttpParameters?.QueryStringParameters ?? {})) query.set(k, v);
    for (const [k, v] of Object.entries(target.HttpParameters?.HeaderParameters ?? {}))
      headers[k.toLowerCase()] = v;
    const connection = found.connection;
    if (destination.connection && !connection) {
      return {
        kind: "failure",
        retryable: false,
        error: `Connection ${destination.connection} does not exist.`,
        latencyMs: 0,
      };
    }
    if (connection) {
      const params = connection.auth.InvocationHttpParameters ?? {};
      for (const p of params.QueryStringParameters ?? []) query.set(p.Key, p.Value);
      for (const p of params.HeaderParameters ?? []) headers[p.Key.toLowerCase()] = p.Value;
      body = withBodyParameters(body, params.BodyParameters);
      try {
        Object.assign(headers, await this.authHeader(connection));
      } catch (error) {
        if (error instanceof TokenError)
          return { kind: "failure", retryable: error.retryable, error: error.message, latencyMs: 0 };
        throw error;
      }
    }
    const sendsBody = destination.method !== "GET" && destination.method !== "HEAD";
    // webhook-id and webhook-timestamp always (receivers deduplicate by id); the signature once a secret exists.
    Object.assign(
      headers,
      webhookHeaders(
        destination.secrets,
        delivery.id,
        Math.floor(this.clock.now() / 1000),
        sendsBody ? body : "",
      ),
    );
    const url = new URL(fillPath(destination.endpoint, target.HttpParameters?.PathParameterValues ?? []));
    for (const [k, v] of query) url.searchParams.set(k, v);
    const result = await this.http.send({
      method: destination.method,
      url: url.toString(),
      headers,
      ...(sendsBody ? { body } : {}),
      restricted: destination.restricted,
    });
    if (!result.ok)
      return { kind: "failure", retryable: true, error: result.error, latencyMs: result.latencyMs };
    if (result.status >= 200 && result.status < 300) {
      return { kind: "success", statusCode: result.status, latencyMs: result.latencyMs };
    }
    if (result.status === 401 && connection?.authorizationType === "OAUTH_CLIENT_CREDENTIALS") {
      // The token may have been revoked early: fetch a new one for the retry.
      this.tokens.invalidate(connection.key);
      return {
        kind: "failure",
        retryable: true,
        statusCode: 401,
        error: httpError(result.status, result.body),
        latencyMs: result.latencyMs,
      };
    }
    return {
      kind: "failure",
      retryable: result.status === 429 || result.status >= 500,
      statusCode: result.status,
      error: httpError(result.status, result.body),
      latencyMs: result.latencyMs,
    };
  }

  private async authHeader(connection: ResolvedConnection): Promise<Record<string, string>> {
    const auth = connection.auth;
    if (connection.authorizationType === "BASIC") {
      const basic = auth.BasicAuthParameters!;
      return {
        authorization: `Basic ${Buffer.from(`${basic.Username}:${basic.Password}`).toString("base64")}`,
      };
    }
    if (connection.authorizationType === "API_KEY") {
      const key = auth.ApiKeyAuthParameters!;
      return { [key.ApiKeyName!.toLowerCase()]: key.ApiKeyValue! };
    }
    return { authorization: `Bearer ${await this.tokens.token(connection.key, connection.version, auth)}` };
  }

  private async resolve(account: string, name: string) {
    const key = `${account}/${name}`;
    const cached = this.resolved.get(key);
    if (cached && Date.now() - cached.at < RESOLVE_TTL_MS) return cached;
    const destination = await this.destinations.resolve(account, name);
    const connection = destination?.connection
      ? await this.connections.resolve(account, destination.connection)
      : undefined;
    const entry = { at: Date.now(), destination, connection };
    this.resolved.set(key, entry);
    return entry;
  }

  /** Applies the retry policy to an attempt. */
  private decide(delivery: ClaimedDelivery, target: Target | undefined, attempt: Attempt): Outcome {
    const at = this.clock.now();
    if (attempt.kind === "success") {
      return {
        delivery,
        outcome: "SUCCEEDED",
        statusCode: attempt.statusCode,
        latencyMs: attempt.latencyMs,
        attempted: true,
        at,
      };
    }
    if (attempt.kind === "drop")
      return { delivery, outcome: "FAILED", error: attempt.error, latencyMs: 0, attempted: false, at };
    const policy = { ...DEFAULT_RETRY_POLICY, ...target?.RetryPolicy };
    const made = delivery.attempts + 1;
    const base = {
      delivery,
      statusCode: attempt.statusCode,
      latencyMs: attempt.latencyMs,
      attempted: true,
      at,
    };
    if (!attempt.retryable) return { ...base, outcome: "FAILED", error: attempt.error };
    if (made > policy.MaximumRetryAttempts) {
      return {
        ...base,
        outcome: "FAILED",
        error: `${attempt.error} (MaximumRetryAttempts ${policy.MaximumRetryAttempts} reached)`,
      };
    }
    const next = at + this.backoff(made);
    if (next - delivery.enqueuedAt > policy.MaximumEventAgeInSeconds * 1000) {
      return {
        ...base,
        outcome: "FAILED",
        error: `${attempt.error} (MaximumEventAgeInSeconds ${policy.MaximumEventAgeInSeconds} reached)`,
      };
    }
    return { ...base, outcome: "RETRYING", error: attempt.error, nextAttemptAt: next };
  }

  /** Exponential backoff with equal jitter: half the doubled delay fixed, half random. */
  private backoff(attempt: number): number {
    const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(delay / 2 + Math.random() * (delay / 2));
  }

  private unexpected(delivery: ClaimedDelivery, error: unknown): Outcome {
    process.stderr.write(`event delivery ${delivery.id}: ${(error as Error).stack ?? error}\n`);
    return {
      delivery,
      outcome: "RETRYING",
      error: `Internal error: ${(error as Error).message}`,
      latencyMs: 0,
      attempted: false,
      nextAttemptAt: this.clock.now() + this.backoff(delivery.attempts + 1),
      at: this.clock.now(),
    };
  }

  private record(outcome: Outcome): void {
    if (outcome.attempted) this.stats.attempts++;
    this.deliveries?.labels(outcome.outcome).inc();
    this.outcomes.push(outcome);
    if (this.outcomes.length >= FLUSH_BATCH) void this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, FLUSH_EVERY_MS);
    }
  }

  /** Writes recorded outcomes, one batch at a time; a failed write keeps them for the next. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.outcomes.length) return this.notifyIdle();
    const batch = this.outcomes.splice(0);
    this.flushing = this.queue
      .complete(batch)
      .catch((error) => {
        process.stderr.write(`event delivery: recording outcomes failed: ${(error as Error).message}\n`);
        this.outcomes.unshift(...batch);
        if (!this.closed && !this.flushTimer) {
          this.flushTimer = setTimeout(() => {
            this.flushTimer = undefined;
            void this.flush();
          }, 100);
        }
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
    if (this.outcomes.length && this.closed) return this.flush();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }
}

/** `api-destination:<account>/<name>` to its account and name. */
function splitDestination(key: string): [string, string] {
  const rest = key.slice(key.indexOf(":") + 1);
  const cut = rest.indexOf("/");
  return [rest.slice(0, cut), rest.slice(cut + 1)];
}

/** Replaces the endpoint's `*` wildcards with the target's PathParameterValues, in order. */
function fillPath(endpoint: string, values: string[]): string {
  let i = 0;
  return endpoint.replace(/\*/g, () => encodeURIComponent(values[i++] ?? ""));
}

/** Adds a connection's body parameters to a JSON object body. */
function withBodyParameters(body: string, params: ConnectionParameter[] | undefined): string {
  if (!params?.length) return body;
  try {
    const value = JSON.parse(body);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return body;
    for (const p of params) value[p.Key] = p.Value;
    return JSON.stringify(value);
  } catch {
    return body;
  }
}

function httpError(status: number, body: string): string {
  const text = body.trim().slice(0, 200);
  return `HTTP ${status}${text ? `: ${text}` : ""}`;
}
