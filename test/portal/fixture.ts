import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/core/clock.js";
import type { EventsSettings } from "../../src/events/index.js";
import type { PortalConfig } from "../../src/portal/index.js";
import { everyPart, type FullTollgate, resolveSettings, startTollgate } from "../../src/server/index.js";
import { FAST_EVENTS } from "../events/harness.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";

/** A clock tests move by hand that also ticks 1 ms per read, so rows written in a row keep their order. */
export class TestClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms++;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A Tollgate with the quick start seeded (petstore `dev`, Free and Premium), published in the portal. */
export interface PortalFixture {
  tollgate: FullTollgate;
  clock: TestClock;
  portalUrl: string;
  apiId: string;
  freePlanId: string;
  premiumPlanId: string;
  /** A bearer-token admin API call; answers status and parsed body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies of every shape
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The newest mail to `to`, and the first portal link in it. */
  lastMail(to: string): Promise<{ subject: string; text: string; link: string }>;
  /** Moves time on and lets the key expiry sweep and the gateway see it. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPortalFixture(
  options: {
    portal?: Partial<PortalConfig>;
    dialect?: "sqlite" | "postgres";
    publish?: boolean;
    /** Event bus settings; fast retries and loopback webhook endpoints by default. */
    events?: Partial<EventsSettings>;
  } = {},
): Promise<PortalFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-portal-"));
  const database = options.dialect === "postgres" ? await freshPostgresDatabase() : undefined;
  const clock = new TestClock(Date.now());
  const settings = {
    ...resolveSettings(
      { dataDir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: true, accessLog: "off" },
      {},
    ),
    databaseUrl: database?.url,
  };
  const tollgate = everyPart(
    await startTollgate(settings, {
      clock,
      mailLog: () => {},
      portal: options.portal,
      events: { ...FAST_EVENTS, ...options.events },
    }),
  );
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${tollgate.adminUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tollgate.credentials.adminToken}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const apiId = tollgate.quickstart!.apiId;
  const plans = (await admin("GET", "/usageplans")).body.item as Array<{ id: string; name: string }>;
  if (options.publish !== false) {
    await admin("PUT", `/portal/catalog/${apiId}`, { published: true });
    await admin("PUT", `/portal/catalog/${apiId}/stages/dev`, { published: true });
  }
  return {
    tollgate,
    clock,
    portalUrl: tollgate.portalUrl,
    apiId,
    freePlanId: plans.find((p) => p.name === "Free")!.id,
    premiumPlanId: plans.find((p) => p.name === "Premium")!.id,
    admin,
    async lastMail(to) {
      const mail = (await tollgate.services.portal.sentMail()).find((m) => m.to === to);
      if (!mail) throw new Error(`no mail to ${to}`);
      const link = /https?:\/\/\S+/.exec(mail.text)?.[0] ?? "";
      return { subject: mail.subject, text: mail.text, link };
    },
    async advance(ms) {
      clock.advance(ms);
      await tollgate.keyExpiry.sweep();
      await tollgate.gateway.gateway.reloadIfChanged();
    },
    async close() {
      await tollgate.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A cookie-keeping client that reads CSRF tokens from the last page, like a browser without JavaScript. */
export class PortalClient {
  readonly cookies = new Map<string, string>();
  lastHtml = "";

  constructor(readonly base: string) {}

  /** The CSRF token of the last page's forms. */
  csrf(): string {
    return /name="_csrf" value="([^"]+)"/.exec(this.lastHtml)?.[1] ?? "";
  }

  cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string): Promise<PortalResponse> {
    return this.request("GET", path);
  }

  /** Posts a form; the CSRF token of the last page is added unless `_csrf` is given. */
  async post(path: string, fields: Record<string, string>): Promise<PortalResponse> {
    const body = new URLSearchParams({ _csrf: this.csrf(), ...fields }).toString();
    return this.request("POST", path, body);
  }

  /** A GET, then a POST of the form with the token that GET gave. */
  async submit(pagePath: string, action: string, fields: Record<string, string>): Promise<PortalResponse> {
    await this.get(pagePath);
    return this.post(action, fields);
  }

  private async request(method: string, path: string, body?: string): Promise<PortalResponse> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: "manual",
      headers: {
        cookie: this.cookie(),
        ...(body !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      this.cookies.set(name!.trim(), value.join("="));
    }
    const text = await response.text();
    if ((response.headers.get("content-type") ?? "").includes("text/html")) this.lastHtml = text;
    return {
      status: response.status,
      text,
      location: response.headers.get("location") ?? undefined,
      headers: response.headers,
    };
  }
}

export interface PortalResponse {
  status: number;
  text: string;
  location?: string;
  headers: Headers;
}

/** Signs up, verifies by the mailed link and signs in; answers the signed-in client. */
export async function signedInDeveloper(
  f: PortalFixture,
  email: string,
  name = "Dev Eloper",
): Promise<PortalClient> {
  const client = new PortalClient(f.portalUrl);
  await client.submit("/sign-up", "/sign-up", { name, email, password: "correct horse battery" });
  const { link } = await f.lastMail(email);
  await client.get(new URL(link).pathname + new URL(link).search);
  const signIn = await client.submit("/sign-in", "/sign-in", { email, password: "correct horse battery" });
  if (signIn.status !== 303) throw new Error(`sign-in failed: ${signIn.status} ${signIn.text.slice(0, 300)}`);
  return client;
}

/** Creates an organization for a signed-in client; answers its id. */
export async function createOrg(client: PortalClient, name: string): Promise<string> {
  const response = await client.submit("/orgs/new", "/orgs", { name });
  if (response.status !== 303) throw new Error(`create org failed: ${response.status}`);
  return response.location!.split("/").pop()!;
}

/** The value of the key shown once on the keys page just rendered. */
export function shownKey(html: string): string {
  return /id="key-value"[^>]*>([^<]+)</.exec(html)?.[1] ?? "";
}
