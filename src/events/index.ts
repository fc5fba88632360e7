/**
 * Events: the event bus, with Amazon EventBridge's resources and semantics. It owns accounts
 * (each tenant is one, with its own credentials), buses, rules and targets, partner event
 * sources, ingestion (PutEvents, PutPartnerEvents) with routing through compiled rule
 * matchers, durable delivery with retries, signatures, dead letters and a delivery log,
 * archives and replays, connections and API destinations, and the platform events Tollgate
 * itself publishes. The pattern language is in `./pattern`.
 */
import type { Clock } from "../core/clock.js";
import type { Registry } from "../core/metrics.js";
import type { SecretBox } from "../core/secrets.js";
import type { Store } from "../store/index.js";
import { AccountService } from "./accounts.js";
import { ApiDestinationService } from "./api-destinations.js";
import { ArchiveService } from "./archives.js";
import type { Scope } from "./arns.js";
import { EventBusService } from "./buses.js";
import { ConnectionService } from "./connections.js";
import { DeliveryLog } from "./deliveries.js";
import { HttpSender } from "./delivery/http.js";
import { DeliveryWorker } from "./delivery/worker.js";
import { Ingest } from "./ingest.js";
import { testEventPattern } from "./pattern/index.js";
import { OutboxPublisher, tenantSourceName } from "./platform.js";
import { ReplayService } from "./replays.js";
import { Router } from "./router.js";
import { RuleService } from "./rules.js";
import type { EventsSettings } from "./settings.js";
import { EventSourceService } from "./sources.js";
import { type Target, targetKind } from "./targets.js";
import { WebhookService } from "./webhooks.js";

export type { CredentialsSummary, IssuedCredentials, TenantIdentity } from "./accounts.js";
export type { ApiDestination, ApiDestinationInput, WebhookSecretInfo } from "./api-destinations.js";
export type { Archive, CreateArchiveInput } from "./archives.js";
export { busNameOf, type Scope } from "./arns.js";
export type { CreateEventBusInput, EventBus } from "./buses.js";
export type { AuthParameters, Connection, ConnectionInput } from "./connections.js";
export type { Delivery, DeliveryAttempt, DeliveryFilter, DeliveryStatus } from "./deliveries.js";
export { EventsError, type EventsErrorCode } from "./errors.js";
export type { BusEvent, PutEventsEntry, PutEventsResult } from "./ingest.js";
export { InvalidEventError, InvalidEventPatternError } from "./pattern/index.js";
export {
  PLATFORM_EVENT_TYPES,
  type PlatformEventInput,
  recordPlatformEvent,
  tenantSourceName,
} from "./platform.js";
export type { Replay, ReplayState, ReplayTarget, StartReplayInput } from "./replays.js";
export type { PutRuleInput, Rule, RuleState } from "./rules.js";
export { type EventsSettings, eventsSettings } from "./settings.js";
export type { EventSource } from "./sources.js";
export type { Target } from "./targets.js";
export {
  TEST_EVENT_TYPE,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointInput,
} from "./webhooks.js";

/** How often delivered deliveries and expired archive events are pruned. */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Who is calling: the provider's operator, or a tenant (whose account is its own). */
export type Caller = { kind: "operator" } | { kind: "tenant"; tenantId: string; accountId?: string };

/**
 * The event bus's services, built once per process.
 *
 * @example
 *   const scope = await events.scopeOf({ kind: "tenant", tenantId });
 *   await events.rules.put(scope, { Name: "orders", EventPattern: '{"source":["shop"]}' });
 */
export class Events {
  readonly accounts: AccountService;
  readonly buses: EventBusService;
  readonly rules: RuleService;
  readonly sources: EventSourceService;
  readonly ingest: Ingest;
  readonly router: Router;
  readonly connections: ConnectionService;
  readonly destinations: ApiDestinationService;
  readonly deliveries: DeliveryLog;
  readonly archives: ArchiveService;
  readonly replays: ReplayService;
  /** Webhook endpoints per tenant: the developer portal's domain API. */
  readonly webhooks: WebhookService;
  /** Publishes the event outbox (platform events) to the buses. */
  readonly outbox: OutboxPublisher;
  /** The delivery worker of this process (started by `start()`). */
  readonly worker: DeliveryWorker;
  private readonly http: HttpSender;
  private readonly wakers = new Set<() => void>();
  private backgroundTimer?: NodeJS.Timeout;
  private prunedAt = 0;
  private background?: Promise<unknown>;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    box: SecretBox,
    readonly settings: EventsSettings,
    /** The process's metrics registry: the delivery worker counts its outcomes there. */
    registry?: Registry,
  ) {
    this.accounts = new AccountService(store, clock, box, settings.providerAccountId);
    this.router = new Router(store, settings.region);
    const changed = (account: string, bus: string) => this.router.invalidate(account, bus);
    this.buses = new EventBusService(store, clock, changed);
    this.rules = new RuleService(store, clock, this.buses, changed);
    this.sources = new EventSourceService(
      store,
      clock,
      settings.region,
      settings.partnerName,
      async (account) => (await this.accounts.tenantOf(account)) !== undefined,
    );
    this.ingest = new Ingest(store, clock, this.router, {
      region: settings.region,
      maxRequestBytes: settings.maxRequestBytes,
      onEnqueued: () => {
        for (const wake of this.wakers) wake();
      },
      ensureDefault: (account) => this.buses.ensureDefault(account),
    });
    this.connections = new ConnectionService(store, clock, box);
    this.destinations = new ApiDestinationService(store, clock, box, this.connections, {
      allowHttp: settings.allowHttp,
      allowPrivateTargets: settings.allowPrivateTargets,
      providerAccountId: settings.providerAccountId,
    });
    this.deliveries = new DeliveryLog(store, clock, this.router, () => this.ingest.notify());
    this.archives = new ArchiveService(store, clock, this.buses, this.rules);
    this.replays = new ReplayService(store, clock, this.archives, this.ingest, settings.region);
    this.webhooks = new WebhookService(
      store,
      clock,
      this.accounts,
      this.buses,
      this.rules,
      this.destinations,
      this.deliveries,
      this.sources,
      {
        region: settings.region,
        partnerName: settings.partnerName,
      },
    );
    this.outbox = new OutboxPublisher(store, clock, this.ingest, this.accounts, this.sources, {
      region: settings.region,
      providerAccountId: settings.providerAccountId,
      partnerName: settings.partnerName,
    });
    this.http = new HttpSender(settings.httpTimeoutMs);
    this.worker = new DeliveryWorker(
      store,
      clock,
      this.router,
      this.ingest,
      this.destinations,
      this.connections,
      this.http,
      {
        concurrency: settings.concurrency,
        perDestinationConcurrency: settings.perDestinationConcurrency,
        leaseMs: settings.leaseMs,
        pollIntervalMs: settings.pollIntervalMs,
        retryBaseMs: settings.retryBaseMs,
        retryMaxMs: settings.retryMaxMs,
        httpTimeoutMs: settings.httpTimeoutMs,
        registry,
      },
    );
    this.onEnqueued(() => this.worker.wake());
    this.connections.onChange = this.destinations.onChange = () => this.worker.forget();
  }

  /**
   * Starts the delivery worker and the background jobs (replays, the outbox of platform
   * events), unless the settings turn the worker off.
   */
  start(): void {
    if (!this.settings.worker) return;
    this.worker.start();
    this.backgroundTimer = setInterval(() => {
      this.background ??= this.runJobs().finally(() => {
        this.background = undefined;
      });
    }, this.settings.pollIntervalMs * 2);
    this.backgroundTimer.unref();
  }

  /** One pass of the background jobs: publish the outbox, run replays, and every ten minutes prune the log. */
  async runJobs(): Promise<void> {
    const jobs: Array<[string, () => Promise<unknown>]> = [
      ["outbox", () => this.outbox.drain()],
      ["replays", () => this.replays.runDue()],
    ];
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      jobs.push(["log retention", () => this.deliveries.prune(this.settings.logRetentionDays)]);
      jobs.push(["archive retention", () => this.archives.prune()]);
    }
    for (const [name, job] of jobs) {
      await job().catch((error: Error) => process.stderr.write(`event ${name}: ${error.message}\n`));
    }
  }

  /** Stops the worker: deliveries in flight finish and are recorded; the rest stay queued. */
  async close(): Promise<void> {
    clearInterval(this.backgroundTimer);
    await this.background;
    await this.worker.close();
    await this.http.close();
  }

  /**
   * Sends an event to one tenant, as the provider: a partner event from the tenant's own event
   * source, which reaches its partner bus (and webhook endpoints) once the tenant has one.
   */
  async publishToTenant(
    tenantId: string,
    input: { detailType: string; detail: Record<string, unknown>; resources?: string[] },
  ): Promise<string | undefined> {
    const source = tenantSourceName(this.settings.partnerName, tenantId);
    const account = await this.accounts.accountOf(tenantId);
    await this.sources.ensure(source, account);
    const result = await this.ingest.putPartnerEvents([
      {
        Source: source,
        DetailType: input.detailType,
        Detail: JSON.stringify(input.detail),
        Resources: input.resources,
      },
    ]);
    return result.Entries[0]?.EventId;
  }

  /** The scope (account and region) a caller's requests act in. */
  async scopeOf(caller: Caller): Promise<Scope> {
    if (caller.kind === "operator")
      return { account: this.settings.providerAccountId, region: this.settings.region };
    const account = caller.accountId ?? (await this.accounts.accountOf(caller.tenantId));
    return { account, region: this.settings.region };
  }

  /** PutTargets, with the targets' API destinations checked to exist in the caller's account. */
  putTargets(scope: Scope, input: { Rule: string; EventBusName?: string; Targets: Target[] }) {
    return this.rules.putTargets(scope, input, {
      check: async (target) => {
        if (targetKind(scope, target).kind === "api-destination")
          await this.destinations.nameOf(scope, target.Arn);
      },
    });
  }

  /** TestEventPattern: whether the event (JSON text) matches the pattern (JSON text). */
  testEventPattern(pattern: string, event: string): boolean {
    return testEventPattern(pattern, event);
  }

  /** Registers a function called whenever deliveries were enqueued (the delivery worker's wake-up). */
  onEnqueued(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }
}
