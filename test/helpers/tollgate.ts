import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import pg from "pg";
import type { Clock } from "../../src/core/clock.js";
import { everyPart, type FullTollgate, resolveSettings, startTollgate } from "../../src/server/index.js";

/**
 * Store adapters the suites run against: SQLite always, PostgreSQL when
 * TOLLGATE_TEST_DATABASE_URL names a server (CI sets it).
 */
export const DIALECTS: Array<"sqlite" | "postgres"> = process.env.TOLLGATE_TEST_DATABASE_URL
  ? ["sqlite", "postgres"]
  : ["sqlite"];

/** A fresh, empty PostgreSQL database on the server of `adminUrl`; `drop` removes it. */
export async function freshPostgresDatabase(
  adminUrl = process.env.TOLLGATE_TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (!adminUrl) throw new Error("TOLLGATE_TEST_DATABASE_URL is not set");
  const name = `tollgate_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestTollgate {
  tollgate: FullTollgate;
  dataDir: string;
  /** The AWS SDK client, signing with SigV4 against the admin port. */
  apigateway: APIGatewayClient;
  /** A raw admin request with the bearer token (or `auth: false` / custom headers). */
  admin(
    method: string,
    path: string,
    body?: unknown,
    init?: { auth?: boolean; headers?: Record<string, string> },
  ): Promise<AdminResponse>;
  close(): Promise<void>;
}

export interface AdminResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  body: any;
}

export interface TestTollgateOptions {
  dialect?: "sqlite" | "postgres";
  clock?: Clock;
  quickstart?: boolean;
  /** Environment the settings are resolved from (TOLLGATE_REDIS_URL, TOLLGATE_ACCOUNT_RATE_LIMIT, ...). */
  env?: NodeJS.ProcessEnv;
  /** The access log's destination (`off` unless given). */
  accessLog?: string;
}

export async function startTestTollgate(options: TestTollgateOptions = {}): Promise<TestTollgate> {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-test-"));
  const database = options.dialect === "postgres" ? await freshPostgresDatabase() : undefined;
  const settings = {
    ...resolveSettings(
      {
        dataDir,
        adminPort: 0,
        gatewayPort: 0,
        portalPort: 0,
        quickstart: options.quickstart ?? false,
        accessLog: options.accessLog ?? "off",
      },
      options.env ?? {},
    ),
    databaseUrl: database?.url,
  };
  const tollgate = everyPart(await startTollgate(settings, { clock: options.clock }));
  const apigateway = new APIGatewayClient({
    endpoint: tollgate.adminUrl,
    region: "us-east-1",
    credentials: {
      accessKeyId: tollgate.credentials.accessKeyId,
      secretAccessKey: tollgate.credentials.secretAccessKey,
    },
    maxAttempts: 1,
  });
  return {
    tollgate,
    dataDir,
    apigateway,
    async admin(method, path, body, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.auth !== false) headers.authorization ??= `Bearer ${tollgate.credentials.adminToken}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === "string" ? body : JSON.stringify(body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${tollgate.adminUrl}${path}`, { method, headers, body: payload });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async close() {
      apigateway.destroy();
      await tollgate.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
