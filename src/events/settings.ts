/** How the event bus is configured: environment variables, with EventBridge's numbers as defaults. */
export interface EventsSettings {
  /** The region in every ARN (TOLLGATE_REGION, us-east-1). */
  region: string;
  /** The provider's account id: the operator's resources live there (TOLLGATE_ACCOUNT_ID). */
  providerAccountId: string;
  /** The provider's partner name: its partner event sources are `aws.partner/<name>/...` (TOLLGATE_PARTNER_NAME). */
  partnerName: string;
  /** Largest PutEvents request, bytes (TOLLGATE_EVENTS_MAX_REQUEST_BYTES; 256 KB as AWS). */
  maxRequestBytes: number;
  /** First retry delay; each retry doubles it up to `retryMaxMs`, with jitter (TOLLGATE_EVENTS_RETRY_BASE_MS). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long an HTTP delivery may take (TOLLGATE_EVENTS_HTTP_TIMEOUT_MS; 5 s as API destinations). */
  httpTimeoutMs: number;
  /** How often the worker looks for due deliveries when nothing woke it (TOLLGATE_EVENTS_POLL_MS). */
  pollIntervalMs: number;
  /** Deliveries in flight at once, in all (TOLLGATE_EVENTS_CONCURRENCY) and per destination. */
  concurrency: number;
  perDestinationConcurrency: number;
  /** How long a claimed delivery stays leased to its worker before another may take it. */
  leaseMs: number;
  /** Whether tenants may point API destinations at loopback and private addresses (TOLLGATE_EVENTS_ALLOW_PRIVATE_TARGETS). */
  allowPrivateTargets: boolean;
  /** Whether API destinations may use http:// (TOLLGATE_EVENTS_ALLOW_HTTP; AWS requires https). */
  allowHttp: boolean;
  /** Days delivered deliveries, their attempts and their events stay in the log (TOLLGATE_EVENTS_LOG_RETENTION_DAYS). */
  logRetentionDays: number;
  /** Whether this process runs the delivery worker (TOLLGATE_EVENTS_WORKER=off turns it off). */
  worker: boolean;
}

export function eventsSettings(env: NodeJS.ProcessEnv = process.env): EventsSettings {
  const account = env.TOLLGATE_ACCOUNT_ID || "000000000000";
  if (!/^\d{12}$/.test(account))
    throw new Error(`Invalid TOLLGATE_ACCOUNT_ID '${account}': expected 12 digits`);
  const partner = env.TOLLGATE_PARTNER_NAME || "tollgate";
  if (!/^[.\-_A-Za-z0-9]+$/.test(partner)) {
    throw new Error(`Invalid TOLLGATE_PARTNER_NAME '${partner}': expected letters, digits, '.', '-' or '_'`);
  }
  return {
    region: env.TOLLGATE_REGION || "us-east-1",
    providerAccountId: account,
    partnerName: partner,
    maxRequestBytes: positive(env, "TOLLGATE_EVENTS_MAX_REQUEST_BYTES", 256 * 1024),
    retryBaseMs: positive(env, "TOLLGATE_EVENTS_RETRY_BASE_MS", 1000),
    retryMaxMs: positive(env, "TOLLGATE_EVENTS_RETRY_MAX_MS", 10 * 60 * 1000),
    httpTimeoutMs: positive(env, "TOLLGATE_EVENTS_HTTP_TIMEOUT_MS", 5000),
    pollIntervalMs: positive(env, "TOLLGATE_EVENTS_POLL_MS", 250),
    concurrency: positive(env, "TOLLGATE_EVENTS_CONCURRENCY", 64),
    perDestinationConcurrency: positive(env, "TOLLGATE_EVENTS_DESTINATION_CONCURRENCY", 8),
    leaseMs: positive(env, "TOLLGATE_EVENTS_LEASE_MS", 60_000),
    allowPrivateTargets: flag(env, "TOLLGATE_EVENTS_ALLOW_PRIVATE_TARGETS", false),
    allowHttp: flag(env, "TOLLGATE_EVENTS_ALLOW_HTTP", false),
    logRetentionDays: positive(env, "TOLLGATE_EVENTS_LOG_RETENTION_DAYS", 7),
    worker: env.TOLLGATE_EVENTS_WORKER !== "off",
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`Invalid ${name} '${value}': expected a positive number`);
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new Error(`Invalid ${name} '${value}': expected true or false`);
}
