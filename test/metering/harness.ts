import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import type { ManualClock } from "../../src/core/clock.js";
import { everyPart, type FullTollgate, resolveSettings, startTollgate } from "../../src/server/index.js";
import { call } from "../helpers/gateway-fixture.js";
import { type AdminResponse, freshPostgresDatabase, type TestTollgate } from "../helpers/tollgate.js";

/** A test Tollgate that can be stopped and started again on the same data (SQLite file or database). */
export interface RestartableTollgate extends TestTollgate {
  clock: ManualClock;
  /** Closes Tollgate gracefully and starts it again on the same data directory and database. */
  restart(): Promise<void>;
}

/**
 * Like `startTestTollgate`, plus `restart()`: after a restart `tollgate`, `apigateway` and
 * `admin` talk to the new process (its ports change; its credentials are those of the data dir).
 */
export async function startRestartableTollgate(options: {
  dialect: "sqlite" | "postgres";
  clock: ManualClock;
}): Promise<RestartableTollgate> {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-metering-"));
  const database = options.dialect === "postgres" ? await freshPostgresDatabase() : undefined;
  const env = { TOLLGATE_ACCOUNT_RATE_LIMIT: "1000000", TOLLGATE_ACCOUNT_BURST_LIMIT: "1000000" };
  const settings = {
    ...resolveSettings(
      { dataDir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: false, accessLog: "off" },
      env,
    ),
    databaseUrl: database?.url,
  };
  let tollgate = everyPart(await startTollgate(settings, { clock: options.clock }));
  let apigateway = sdkClient(tollgate);
  return {
    dataDir,
    clock: options.clock,
    get tollgate() {
      return tollgate;
    },
    get apigateway() {
      return apigateway;
    },
    admin: (method, path, body, init) => adminRequest(tollgate, method, path, body, init),
    async restart() {
      apigateway.destroy();
      await tollgate.close();
      tollgate = everyPart(await startTollgate(settings, { clock: options.clock }));
      apigateway = sdkClient(tollgate);
    },
    async close() {
      apigateway.destroy();
      await tollgate.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function sdkClient(tollgate: FullTollgate): APIGatewayClient {
  return new APIGatewayClient({
    endpoint: tollgate.adminUrl,
    region: "us-east-1",
    credentials: {
      accessKeyId: tollgate.credentials.accessKeyId,
      secretAccessKey: tollgate.credentials.secretAccessKey,
    },
    maxAttempts: 1,
  });
}

async function adminRequest(
  tollgate: FullTollgate,
  method: string,
  path: string,
  body?: unknown,
  init: { auth?: boolean; headers?: Record<string, string> } = {},
): Promise<AdminResponse> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.auth !== false) headers.authorization ??= `Bearer ${tollgate.credentials.adminToken}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${tollgate.adminUrl}${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Waits until the gateway serves the store's latest configuration revision. The shared
 * `gatewayCaughtUp` returns at once when a background reload is already running, which may
 * have started before the last write.
 */
export async function caughtUp(t: TestTollgate): Promise<void> {
  const gateway = t.tollgate.gateway.gateway as unknown as {
    config: { revision: number };
    reloadIfChanged(): Promise<void>;
  };
  const target = await t.tollgate.store.revision();
  while (gateway.config.revision < target) {
    await gateway.reloadIfChanged();
    if (gateway.config.revision < target) await sleep(2);
  }
}

/** Sends `n` requests one after another with `key`, waits for the ledger, returns their statuses. */
export async function statuses(
  t: TestTollgate,
  n: number,
  key: string,
  path = "/dev/pets",
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(t, path, { key })).status);
  await ledgerCommitted(t);
  return out;
}

/**
 * Waits until every request counted so far is in `usage_counts`: the ledger commits every few
 * milliseconds. A commit already running may predate the last request, hence the second one.
 */
export async function ledgerCommitted(t: TestTollgate): Promise<void> {
  await t.tollgate.ledger.commit();
  await t.tollgate.ledger.commit();
}

/** Epoch ms of a UTC date and hour: `at("2026-01-30", 12)`. */
export function at(day: string, hour = 12): number {
  return Date.parse(`${day}T${String(hour).padStart(2, "0")}:00:00Z`);
}
