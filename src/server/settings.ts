import { resolve } from "node:path";
import { usageRetentionDays } from "../metering/index.js";

/** The parts one process can run (`--role`); every part by default. */
export const ROLES = ["gateway", "admin", "worker", "portal"] as const;
export type Role = (typeof ROLES)[number];

/** Everything `tollgate serve` is configured by: flags first, then environment, then defaults. */
export interface Settings {
  /** The parts this process runs: the gateway, the admin API, the background work, the portal. */
  roles: ReadonlySet<Role>;
  dataDir: string;
  databaseUrl?: string;
  host: string;
  adminPort: number;
  gatewayPort: number;
  portalPort: number;
  /** Seed the example API, plans and keys when the store is empty. */
  quickstart: boolean;
  /** Redis for counters shared by several gateway processes; in-process counters when absent. */
  redisUrl?: string;
  /** With Redis down: refuse with 503 (`closed`) or apply local in-process limits (`open`). */
  redisFailureMode: "closed" | "open";
  /** How long a Redis command may take before it counts as a failure, ms. */
  redisTimeoutMs: number;
  /** Access log target: `stdout`, `off`, a file path, or an `http(s)://` sink. */
  accessLog: string;
  /** Rotate the access log file past this size, bytes (0: never); rotated files kept. */
  accessLogMaxBytes: number;
  accessLogMaxFiles: number;
  /** The HTTP sink's buffer while it is unreachable, bytes (then the oldest lines are dropped). */
  accessLogBufferBytes: number;
  /** Bound of one stage's in-memory response cache, bytes (below its cacheClusterSize). */
  cacheMaxBytes: number;
  /** The account-wide bucket every request passes (AWS's defaults: 10,000 rps, burst 5,000). */
  accountRateLimit: number;
  accountBurstLimit: number;
  /** Days of usage history kept (TOLLGATE_USAGE_RETENTION_DAYS, at least 90). */
  usageRetentionDays: number;
  /** Largest request body the gateway takes, bytes (TOLLGATE_MAX_BODY_BYTES, AWS's 10 MB). */
  maxBodyBytes: number;
  /** Largest request head, bytes (TOLLGATE_MAX_HEADER_BYTES, 16 KiB). */
  maxHeaderBytes: number;
  /** Time for a client to send a request's head / the whole request, ms (slow-client protection). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Proxies whose X-Forwarded-For names the client: comma-separated addresses or CIDR blocks. */
  trustedProxies?: string;
}

export interface SettingsFlags {
  /** Comma-separated roles. */
  role?: string;
  dataDir?: string;
  host?: string;
  adminPort?: string | number;
  gatewayPort?: string | number;
  portalPort?: string | number;
  quickstart?: boolean;
  accessLog?: string;
}

export function resolveSettings(flags: SettingsFlags = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    roles: roles(flags.role ?? env.TOLLGATE_ROLE),
    dataDir: resolve(flags.dataDir ?? env.TOLLGATE_DATA_DIR ?? ".tollgate"),
    databaseUrl: env.TOLLGATE_DATABASE_URL || undefined,
    host: flags.host ?? env.TOLLGATE_HOST ?? "127.0.0.1",
    adminPort: port("admin", flags.adminPort ?? env.TOLLGATE_ADMIN_PORT, 8081),
    gatewayPort: port("gateway", flags.gatewayPort ?? env.TOLLGATE_GATEWAY_PORT, 8080),
    portalPort: port("portal", flags.portalPort ?? env.TOLLGATE_PORTAL_PORT, 8082),
    quickstart: flags.quickstart ?? env.TOLLGATE_QUICKSTART !== "false",
    redisUrl: env.TOLLGATE_REDIS_URL || undefined,
    redisFailureMode: failureMode(env.TOLLGATE_REDIS_FAILURE_MODE),
    // Generous: a take that times out may still have run on Redis, so timeouts cost exactness.
    redisTimeoutMs: positive("TOLLGATE_REDIS_TIMEOUT_MS", env.TOLLGATE_REDIS_TIMEOUT_MS, 1000),
    accessLog: flags.accessLog ?? env.TOLLGATE_ACCESS_LOG ?? "stdout",
    accessLogMaxBytes: nonNegative(
      "TOLLGATE_ACCESS_LOG_MAX_BYTES",
      env.TOLLGATE_ACCESS_LOG_MAX_BYTES,
      100 * 1024 * 1024,
    ),
    accessLogMaxFiles: positive("TOLLGATE_ACCESS_LOG_MAX_FILES", env.TOLLGATE_ACCESS_LOG_MAX_FILES, 5),
    accessLogBufferBytes: positive(
      "TOLLGATE_ACCESS_LOG_BUFFER_BYTES",
      env.TOLLGATE_ACCESS_LOG_BUFFER_BYTES,
      8 * 1024 * 1024,
    ),
    cacheMaxBytes: positive("TOLLGATE_CACHE_MAX_BYTES", env.TOLLGATE_CACHE_MAX_BYTES, 64 * 1024 * 1024),
    accountRateLimit: positive("TOLLGATE_ACCOUNT_RATE_LIMIT", env.TOLLGATE_ACCOUNT_RATE_LIMIT, 10_000),
    accountBurstLimit: positive("TOLLGATE_ACCOUNT_BURST_LIMIT", env.TOLLGATE_ACCOUNT_BURST_LIMIT, 5_000),
    usageRetentionDays: usageRetentionDays(env),
    maxBodyBytes: positive("TOLLGATE_MAX_BODY_BYTES", env.TOLLGATE_MAX_BODY_BYTES, 10 * 1024 * 1024),
    maxHeaderBytes: positive("TOLLGATE_MAX_HEADER_BYTES", env.TOLLGATE_MAX_HEADER_BYTES, 16_384),
    ...clientTimeouts(env),
    trustedProxies: env.TOLLGATE_TRUSTED_PROXIES || undefined,
  };
}

function roles(value: string | undefined): ReadonlySet<Role> {
  if (value === undefined || value.trim() === "") return new Set(ROLES);
  const named = value.split(",").map((r) => r.trim());
  for (const role of named) {
    if (!(ROLES as readonly string[]).includes(role))
      throw new Error(`Invalid role '${role}': expected a comma-separated list of ${ROLES.join(", ")}`);
  }
  return new Set(named as Role[]);
}

/** The head's deadline is part of the whole request's, so it cannot be the longer one. */
function clientTimeouts(env: NodeJS.ProcessEnv): { headersTimeoutMs: number; requestTimeoutMs: number } {
  const headersTimeoutMs = positive("TOLLGATE_HEADERS_TIMEOUT_MS", env.TOLLGATE_HEADERS_TIMEOUT_MS, 10_000);
  const requestTimeoutMs = positive("TOLLGATE_REQUEST_TIMEOUT_MS", env.TOLLGATE_REQUEST_TIMEOUT_MS, 60_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new Error(
      `Invalid TOLLGATE_HEADERS_TIMEOUT_MS ${headersTimeoutMs}: it must not exceed TOLLGATE_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return { headersTimeoutMs, requestTimeoutMs };
}

function port(name: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  // 0 asks the OS for a free port (tests use it).
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`Invalid ${name} port '${value}': expected 0 to 65535`);
  return n;
}

function failureMode(value: string | undefined): "closed" | "open" {
  if (value === undefined || value === "" || value === "closed") return "closed";
  if (value === "open") return "open";
  throw new Error(`Invalid TOLLGATE_REDIS_FAILURE_MODE '${value}': expected closed or open`);
}

function nonNegative(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`Invalid ${name} '${value}': expected 0 or a positive number`);
  return n;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`Invalid ${name} '${value}': expected a positive number`);
  return n;
}
