import { Billing, type QuotaExtender } from "../../src/billing/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { SecretBox } from "../../src/core/secrets.js";
import { InProcessEngine } from "../../src/counters/index.js";
import { MeteringService } from "../../src/metering/index.js";
import { ApiKeyService, TenantService, UsagePlanService } from "../../src/plans/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";

/** The domain services billing runs with, over a fresh store of one dialect and a manual clock. */
export interface BillingWorld {
  store: Store;
  clock: ManualClock;
  tenants: TenantService;
  plans: UsagePlanService;
  keys: ApiKeyService;
  metering: MeteringService;
  billing: Billing;
  close(): Promise<void>;
}

/** Opens a fresh store (SQLite in memory, or a new PostgreSQL database) with every service on it. */
export async function billingWorld(
  dialect: "sqlite" | "postgres",
  options: { now?: number; quota?: QuotaExtender } = {},
): Promise<BillingWorld> {
  const database = dialect === "postgres" ? await freshPostgresDatabase() : undefined;
  const store = await openStore({ databaseUrl: database?.url, dataDir: ":memory:" });
  const clock = new ManualClock(options.now ?? Date.UTC(2026, 2, 1));
  const engine = new InProcessEngine();
  const metering = new MeteringService(store, clock, engine);
  return {
    store,
    clock,
    tenants: new TenantService(store, clock),
    plans: new UsagePlanService(store, clock),
    keys: new ApiKeyService(store, clock, new SecretBox("billing-tests-server-secret")),
    metering,
    billing: new Billing(store, clock, options.quota ?? metering),
    async close() {
      await engine.close();
      await store.close();
      await database?.drop();
    },
  };
}

/** A usage plan with a monthly quota (none when `quota` is null). */
export async function createPlan(
  w: BillingWorld,
  name: string,
  quota: number | null = 10_000_000,
): Promise<string> {
  const plan = await w.plans.create({
    name,
    ...(quota === null ? {} : { quota: { limit: quota, period: "MONTH", offset: 0 } }),
  });
  return plan.id;
}

/** A tenant with one enabled key on each of `planIds`. */
export async function tenantWithKey(
  w: BillingWorld,
  name: string,
  planIds: string[],
): Promise<{ tenantId: string; keyId: string }> {
  const tenant = await w.tenants.create({ name });
  const key = await w.keys.create({ name: `${name}-key`, enabled: true, customerId: tenant.id });
  for (const planId of planIds) await w.keys.addToPlan(planId, { keyId: key.id, keyType: "API_KEY" });
  return { tenantId: tenant.id, keyId: key.id };
}

/** One ledger row: admitted requests of a key on a plan on a UTC day. */
export interface UsageRow {
  day: string;
  tenantId: string;
  keyId: string;
  planId: string;
  requests: number;
  /** Distinguishes rows of one day (the ledger keys rows by route too). */
  path?: string;
}

/** Writes `usage_counts` rows directly: the ledger is a table, and the gateway path is tested elsewhere. */
export async function writeUsage(store: Store, rows: UsageRow[]): Promise<void> {
  await store.db
    .insertInto("usage_counts")
    .values(
      rows.map((r) => ({
        day: r.day,
        key_id: r.keyId,
        usage_plan_id: r.planId,
        tenant_id: r.tenantId,
        rest_api_id: "api0000000",
        stage: "dev",
        resource_path: r.path ?? "/pets",
        http_method: "GET",
        requests: r.requests,
      })),
    )
    .execute();
}
