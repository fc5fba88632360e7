import { NotFoundError } from "../core/errors.js";
import type { QuotaPeriodUnit } from "../counters/index.js";
import { fromJson, type Tx } from "../store/index.js";

/** A plan's quota as metering reads it: `limit` requests per calendar `period` (UTC, `offset`). */
export interface Quota {
  limit: number;
  period: QuotaPeriodUnit;
  offset: number;
}

/** What metering needs of a usage plan. */
export interface MeteredPlan {
  id: string;
  quota?: Quota;
}

/** The quota counter id the gateway uses for a key on a plan (see the gateway's `quota`). */
export function quotaCounterId(keyId: string, planId: string): string {
  return `q:${keyId}:${planId}`;
}

/** The plan, or AWS's NotFoundException (the wording of the usage plan operations). */
export async function meteredPlan(db: Tx, planId: string): Promise<MeteredPlan> {
  const row = await db
    .selectFrom("usage_plans")
    .select(["id", "quota"])
    .where("id", "=", planId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid Usage Plan ID specified: ${planId}`);
  const quota = fromJson<Partial<Quota> | null>(row.quota, null);
  if (!quota || quota.limit === undefined || !quota.period) return { id: row.id };
  return { id: row.id, quota: { limit: quota.limit, period: quota.period, offset: quota.offset ?? 0 } };
}

/** The ids of the keys on a plan, sorted. */
export async function planKeyIds(db: Tx, planId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("usage_plan_keys")
    .select("key_id")
    .where("usage_plan_id", "=", planId)
    .execute();
  return rows.map((r) => r.key_id).sort();
}

/** Throws a 404 unless the key exists and is on the plan; returns the key's tenant id ("" for none). */
export async function requireKeyOnPlan(db: Tx, planId: string, keyId: string): Promise<string> {
  const key = await db
    .selectFrom("api_keys")
    .select(["id", "customer_id"])
    .where("id", "=", keyId)
    .executeTakeFirst();
  if (!key) throw new NotFoundError(`Invalid API Key identifier specified: ${keyId}`);
  const member = await db
    .selectFrom("usage_plan_keys")
    .select("key_id")
    .where("usage_plan_id", "=", planId)
    .where("key_id", "=", keyId)
    .executeTakeFirst();
  if (!member) {
    throw new NotFoundError(
      `Invalid Usage Plan Key identifier specified: API Key ${keyId} is not on Usage Plan ${planId}`,
    );
  }
  return key.customer_id ?? "";
}
