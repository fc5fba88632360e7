/**
 * Metering and billing at size (`npm run bench:metering`): 10,000 keys of 2,000 tenants on three
 * priced plans, 90 days of usage in the ledger (one row per key and day, 900,000 rows), then
 * through the admin API over HTTP:
 * - get-usage of all keys for 90 days, paged 500 keys at a time (AWS's largest page);
 * - get-usage of one key for 90 days (p50 and p99 over 200 random keys);
 * - invoice generation for every tenant for the last full month, then again (regeneration is
 *   idempotent and must find nothing to change).
 *
 * SQLite by default; `BENCH_DATABASE_URL=postgres://...` runs the same on a fresh PostgreSQL
 * database created for the run. KEYS / TENANTS / DAYS override the sizes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSettings, startTollgate } from "../src/server/index.js";
import { freshPostgresDatabase } from "../test/helpers/tollgate.js";

const KEYS = Number(process.env.KEYS ?? 10_000);
const TENANTS = Number(process.env.TENANTS ?? 2_000);
const DAYS = Number(process.env.DAYS ?? 90);
const DAY_MS = 86_400_000;

const dataDir = mkdtempSync(join(tmpdir(), "tollgate-bench-metering-"));
const database = process.env.BENCH_DATABASE_URL
  ? await freshPostgresDatabase(process.env.BENCH_DATABASE_URL)
  : undefined;
const settings = {
  ...resolveSettings(
    { dataDir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: false, accessLog: "off" },
    {},
  ),
  databaseUrl: database?.url,
};
let tollgate = await startTollgate(settings);
const token = tollgate.credentials.adminToken;

// biome-ignore lint/suspicious/noExplicitAny: the bench reads answers of several shapes
async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${tollgate.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const firstDay = today - DAYS * DAY_MS;
const lastDay = today - DAY_MS;
const lastMonth = utcDay(
  Date.UTC(new Date(today).getUTCFullYear(), new Date(today).getUTCMonth() - 1, 1),
).slice(0, 7);

try {
  const seeded = performance.now();
  const imported = await fetch(`${tollgate.adminUrl}/restapis?mode=import`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/yaml" },
    body: readFileSync(new URL("./bench-api.yaml", import.meta.url), "utf8").replace(
      "UPSTREAM",
      "127.0.0.1:9",
    ),
  });
  const api = (await imported.json()) as { id: string };
  await admin("POST", `/restapis/${api.id}/deployments`, { stageName: "prod" });
  // Plans with prices (a flat fee with graduated overage, a volume-tiered one, pay as you go).
  const plans: string[] = [];
  for (const [name, price] of [
    [
      "Standard",
      {
        currency: "USD",
        monthlyFee: "49.00",
        includedRequests: 100_000,
        tiers: [{ upTo: 1_000_000, unitAmount: "0.50" }, { unitAmount: "0.30" }],
      },
    ],
    [
      "Premium",
      {
        currency: "USD",
        monthlyFee: "499.00",
        includedRequests: 2_000_000,
        tiersMode: "VOLUME",
        tiers: [{ upTo: 10_000_000, unitAmount: "0.20" }, { unitAmount: "0.10" }],
      },
    ],
    ["PayAsYouGo", { currency: "USD", tiers: [{ unitAmount: "1.00" }] }],
  ] as const) {
    const plan = await admin("POST", "/usageplans", {
      name,
      quota: name === "PayAsYouGo" ? undefined : { limit: 5_000_000, period: "MONTH", offset: 0 },
      apiStages: [{ apiId: api.id, stage: "prod" }],
    });
    await admin("PUT", `/usageplans/${plan.id}/price`, price);
    plans.push(plan.id);
  }
  const db = tollgate.store.db;
  const now = Date.now();
  const tenants = Array.from({ length: TENANTS }, (_, i) => `tenant${String(i).padStart(5, "0")}`);
  for (let i = 0; i < tenants.length; i += 500) {
    await db
      .insertInto("tenants")
      .values(
        tenants.slice(i, i + 500).map((id) => ({
          id,
          name: id,
          description: null,
          enabled: 1,
          tags: "{}",
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }
  const planOf = (tenant: number) => plans[tenant % plans.length]!;
  for (const [i, tenant] of tenants.entries()) {
    await admin("POST", `/tenants/${tenant}/subscriptions`, {
      usagePlanId: planOf(i),
      startDate: utcDay(firstDay),
    });
  }
  const keys = Array.from({ length: KEYS }, (_, i) => ({
    id: `key${String(i).padStart(5, "0")}`,
    tenant: i % TENANTS,
  }));
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    await tollgate.store.transaction(async (trx) => {
      await trx
        .insertInto("api_keys")
        .values(
          batch.map((k) => ({
            id: k.id,
            name: k.id,
            description: null,
            enabled: 1,
            customer_id: tenants[k.tenant]!,
            value_hash: `hash-${k.id}`,
            value_sealed: "unused",
            stage_keys: "[]",
            tags: "{}",
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      await trx
        .insertInto("usage_plan_keys")
        .values(batch.map((k) => ({ usage_plan_id: planOf(k.tenant), key_id: k.id, created_at: now })))
        .execute();
    });
  }
  // One ledger row per key and day; request counts vary by key so that tiers are crossed.
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    const rows = keys.map((k, i) => ({
      day: utcDay(day),
      key_id: k.id,
      usage_plan_id: planOf(k.tenant),
      tenant_id: tenants[k.tenant]!,
      rest_api_id: api.id,
      stage: "prod",
      resource_path: "/items",
      http_method: "GET",
      requests: 100 + ((i * 7919 + day / DAY_MS) % 5000),
    }));
    await tollgate.store.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 1000)
        await trx
          .insertInto("usage_counts")
          .values(rows.slice(i, i + 1000))
          .execute();
    });
  }
  const seedS = (performance.now() - seeded) / 1000;
  // Measured as a running deployment would be: started on the data it holds (SQLite refreshes
  // its planner statistics at open and hourly).
  await tollgate.close();
  tollgate = await startTollgate(settings);

  const range = `startDate=${utcDay(firstDay)}&endDate=${utcDay(lastDay)}`;
  const results: Array<[string, string]> = [];
  const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const value = await fn();
    return [value, performance.now() - started];
  };

  // Every key of every plan, 500 keys a page.
  const [all, allMs] = await time(async () => {
    let pages = 0;
    let keysSeen = 0;
    for (const planId of plans) {
      let position: string | undefined;
      do {
        const page = await admin(
          "GET",
          `/usageplans/${planId}/usage?${range}&limit=500${position ? `&position=${encodeURIComponent(position)}` : ""}`,
        );
        keysSeen += Object.keys(page.values).length;
        position = page.position;
        pages++;
      } while (position);
    }
    return { pages, keysSeen };
  });
  results.push([
    `get-usage, every key (${all.keysSeen} keys × ${DAYS} days, ${all.pages} pages of up to 500 keys, 3 plans)`,
    `${(allMs / 1000).toFixed(2)} s (${(allMs / all.pages).toFixed(0)} ms a page)`,
  ]);
  const single: number[] = [];
  for (let i = 0; i < 200; i++) {
    const k = keys[(i * 7919) % keys.length]!;
    const [, ms] = await time(() =>
      admin("GET", `/usageplans/${planOf(k.tenant)}/usage?${range}&keyId=${k.id}`),
    );
    single.push(ms);
  }
  single.sort((a, b) => a - b);
  results.push([
    `get-usage, one key × ${DAYS} days (200 keys)`,
    `p50 ${single[100]!.toFixed(1)} ms, p99 ${single[198]!.toFixed(1)} ms`,
  ]);

  for (const pass of ["generation", "regeneration (idempotent)"]) {
    const [totals, ms] = await time(async () => {
      let cents = 0n;
      for (const tenant of tenants) {
        const invoice = await admin("POST", "/invoices", { tenantId: tenant, period: lastMonth });
        cents += BigInt(invoice.total.replace(".", ""));
      }
      return cents;
    });
    results.push([
      `invoice ${pass}, ${TENANTS} tenants for ${lastMonth}`,
      `${(ms / 1000).toFixed(2)} s (${(ms / TENANTS).toFixed(1)} ms an invoice; total billed ${totals / 100n}.${String(totals % 100n).padStart(2, "0")} USD)`,
    ]);
  }

  console.log(
    `${KEYS} keys, ${TENANTS} tenants, ${DAYS} days (${KEYS * DAYS} ledger rows, seeded in ${seedS.toFixed(0)} s), ${database ? "PostgreSQL" : "SQLite"}\n`,
  );
  console.log("| operation | time |\n| --- | --- |");
  for (const [what, figure] of results) console.log(`| ${what} | ${figure} |`);
} finally {
  await tollgate.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
