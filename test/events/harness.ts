import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Clock } from "../../src/core/clock.js";
import type { EventsSettings } from "../../src/events/index.js";
import { resolveSettings, startTollgate, type Tollgate } from "../../src/server/index.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";

/** A tenant with its own credentials and an EventBridge client signing with them. */
export interface TestTenant {
  id: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  client: EventBridgeClient;
}

export interface EventsHarness {
  tollgate: Tollgate;
  dataDir: string;
  /** The operator's (provider's) client. */
  operator: EventBridgeClient;
  /** Creates a tenant, issues its credentials and returns its client. */
  tenant(name: string): Promise<TestTenant>;
  /** A raw admin request with the operator's bearer token (or `token`). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  admin(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** A raw EventBridge request (`X-Amz-Target: AWSEvents.<operation>`) with a bearer token. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  json(operation: string, body: unknown, token?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Fast retries so that retry tests take seconds; loopback targets allowed. */
export const FAST_EVENTS: Partial<EventsSettings> = {
  retryBaseMs: 50,
  retryMaxMs: 200,
  pollIntervalMs: 50,
  allowHttp: true,
  allowPrivateTargets: true,
};

export async function startEvents(
  options: { dialect?: "sqlite" | "postgres"; clock?: Clock; events?: Partial<EventsSettings> } = {},
): Promise<EventsHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-events-"));
  const database = options.dialect === "postgres" ? await freshPostgresDatabase() : undefined;
  const settings = {
    ...resolveSettings(
      { dataDir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: false, accessLog: "off" },
      {},
    ),
    databaseUrl: database?.url,
  };
  const tollgate = await startTollgate(settings, {
    clock: options.clock,
    events: { ...FAST_EVENTS, ...options.events },
  });
  const clients: EventBridgeClient[] = [];
  const client = (accessKeyId: string, secretAccessKey: string) => {
    const c = new EventBridgeClient({
      endpoint: tollgate.adminUrl,
      region: "us-east-1",
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };
  const request = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(`${tollgate.adminUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body: parsed };
  };
  const token = tollgate.credentials.adminToken;
  const harness: EventsHarness = {
    tollgate,
    dataDir,
    operator: client(tollgate.credentials.accessKeyId, tollgate.credentials.secretAccessKey),
    admin: (method, path, body, bearer = token) =>
      request(method, path, { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body),
    json: (operation, body, bearer = token) =>
      request(
        "POST",
        "/",
        {
          authorization: `Bearer ${bearer}`,
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `AWSEvents.${operation}`,
        },
        body,
      ),
    async tenant(name) {
      const tenant = await harness.admin("POST", "/tenants", { name });
      if (tenant.status !== 201) throw new Error(`create tenant: ${JSON.stringify(tenant.body)}`);
      const issued = await harness.admin("POST", `/tenants/${tenant.body.id}/credentials`, {});
      if (issued.status !== 201) throw new Error(`issue credentials: ${JSON.stringify(issued.body)}`);
      const c = issued.body;
      return {
        id: tenant.body.id,
        accountId: c.accountId,
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        token: c.token,
        client: client(c.accessKeyId, c.secretAccessKey),
      };
    },
    async close() {
      for (const c of clients) c.destroy();
      await tollgate.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
