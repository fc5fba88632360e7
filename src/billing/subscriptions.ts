import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type PatchOperation, patchSegments, patchValue, unsupportedPatch } from "../core/patch.js";
import type { Store, Tx } from "../store/index.js";
import { findPriceRow, planRow, tenantRow } from "./lookups.js";
import { addDays, daysBetween, earlierDay, laterDay, parseDay } from "./periods.js";

/**
 * A tenant billed for a usage plan from `startDate`. A tenant holds one plan at a time: a new
 * subscription ends the one before it on the eve of its start (a plan change), and `endDate`
 * ends one without a successor (a cancellation). Days are UTC, both ends inclusive.
 */
export interface Subscription {
  id: string;
  tenantId: string;
  usagePlanId: string;
  startDate: string;
  /** The last day held: the explicit end, or the eve of the next subscription's start. */
  endDate?: string;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
}

export interface CreateSubscriptionInput {
  usagePlanId: string;
  /** `YYYY-MM-DD`, after the start of the tenant's latest subscription. */
  startDate: string;
}

/** The days of one subscription inside a billing period. */
export interface Segment {
  subscriptionId: string;
  usagePlanId: string;
  firstDay: string;
  lastDay: string;
  days: number;
}

type SubscriptionRow = {
  id: string;
  tenant_id: string;
  usage_plan_id: string;
  start_day: string;
  end_day: string | null;
  created_at: number;
  updated_at: number;
};

/** Subscriptions: the history of which plan each tenant is billed for. */
export class SubscriptionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Starts a subscription; the tenant's current one (if any) ends the day before. */
  async create(tenantId: string, input: CreateSubscriptionInput): Promise<Subscription> {
    const startDate = parseDay(input.startDate, "startDate");
    const row = await this.store.transaction(async (trx) => {
      await tenantRow(trx, tenantId);
      await checkPlanPriced(trx, input.usagePlanId);
      const history = timeline(await tenantRows(trx, tenantId));
      const latest = history.at(-1);
      if (latest && startDate <= latest.row.start_day) {
        throw new BadRequestError(
          `Invalid startDate '${startDate}': must be after ${latest.row.start_day}, the start of the tenant's latest subscription (history only grows at its end)`,
        );
      }
      if (
        latest &&
        latest.row.usage_plan_id === input.usagePlanId &&
        (latest.end ?? startDate) >= addDays(startDate, -1)
      ) {
        throw new ConflictError(
          `Tenant ${tenantId} is already subscribed to usage plan ${input.usagePlanId} (subscription ${latest.row.id})`,
        );
      }
      const now = this.clock.now();
      const row = {
        id: newId(),
        tenant_id: tenantId,
        usage_plan_id: input.usagePlanId,
        start_day: startDate,
        end_day: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("subscriptions").values(row).execute();
      return row;
    });
    return toSubscription({ row, end: undefined });
  }

  /** The tenant's subscriptions, oldest first. */
  async list(tenantId: string): Promise<Subscription[]> {
    await tenantRow(this.store.db, tenantId);
    return timeline(await tenantRows(this.store.db, tenantId)).map(toSubscription);
  }

  async get(tenantId: string, id: string): Promise<Subscription> {
    return toSubscription(await this.entry(this.store.db, tenantId, id));
  }

  /** UpdateSubscription: `replace /endDate` (cancel on that day, inclusive) or `remove /endDate`. */
  async update(tenantId: string, id: string, operations: PatchOperation[]): Promise<Subscription> {
    return this.store.transaction(async (trx) => {
      const { row } = await this.entry(trx, tenantId, id);
      let endDay = row.end_day;
      for (const op of operations) endDay = endDayAfter(row, op);
      await trx
        .updateTable("subscriptions")
        .set({ end_day: endDay, updated_at: this.clock.now() })
        .where("id", "=", id)
        .execute();
      return toSubscription(await this.entry(trx, tenantId, id));
    });
  }

  /** Deletes the tenant's latest subscription (undoing a plan change); earlier ones are history. */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await this.entry(trx, tenantId, id);
      const latest = timeline(await tenantRows(trx, tenantId)).at(-1);
      if (latest?.row.id !== id) {
        throw new ConflictError(
          `Subscription ${id} is history: only the tenant's latest subscription (${latest?.row.id}) can be deleted`,
        );
      }
      await trx.deleteFrom("subscriptions").where("id", "=", id).execute();
    });
  }

  private async entry(db: Tx, tenantId: string, id: string): Promise<Entry> {
    await tenantRow(db, tenantId);
    const found = timeline(await tenantRows(db, tenantId)).find((e) => e.row.id === id);
    if (!found)
      throw new NotFoundError(`Invalid subscription identifier specified: ${id} (tenant ${tenantId})`);
    return found;
  }
}

/** The parts of the tenant's subscriptions that fall on days `first` to `last`, in order. */
export async function segmentsIn(db: Tx, tenantId: string, first: string, last: string): Promise<Segment[]> {
  return timeline(await tenantRows(db, tenantId)).flatMap(({ row, end }) => {
    const from = laterDay(row.start_day, first);
    const to = end === undefined ? last : earlierDay(end, last);
    const days = daysBetween(from, to);
    return days > 0
      ? [{ subscriptionId: row.id, usagePlanId: row.usage_plan_id, firstDay: from, lastDay: to, days }]
      : [];
  });
}

/** Ids of subscriptions to `planId` that run on `day` or later. */
export async function openSubscriptionsOnPlan(db: Tx, planId: string, day: string): Promise<string[]> {
  const tenants = await db
    .selectFrom("subscriptions")
    .select("tenant_id")
    .distinct()
    .where("usage_plan_id", "=", planId)
    .execute();
  const open: string[] = [];
  for (const { tenant_id } of tenants) {
    for (const { row, end } of timeline(await tenantRows(db, tenant_id))) {
      if (row.usage_plan_id === planId && (end === undefined || end >= day)) open.push(row.id);
    }
  }
  return open;
}

interface Entry {
  row: SubscriptionRow;
  /** The effective last day, undefined while open-ended. */
  end: string | undefined;
}

/** Subscriptions in start order with their effective ends: a successor's start cuts the one before. */
function timeline(rows: SubscriptionRow[]): Entry[] {
  const sorted = [...rows].sort((a, b) => a.start_day.localeCompare(b.start_day));
  return sorted.map((row, i) => {
    const next = sorted[i + 1];
    const cut = next ? addDays(next.start_day, -1) : undefined;
    const ends = [row.end_day, cut].filter((d): d is string => d !== null && d !== undefined);
    return { row, end: ends.length ? ends.reduce(earlierDay) : undefined };
  });
}

function tenantRows(db: Tx, tenantId: string): Promise<SubscriptionRow[]> {
  return db.selectFrom("subscriptions").selectAll().where("tenant_id", "=", tenantId).execute();
}

async function checkPlanPriced(db: Tx, planId: string): Promise<void> {
  await planRow(db, planId);
  if (!(await findPriceRow(db, planId))) {
    throw new BadRequestError(
      `Usage plan ${planId} has no price: set one with PUT /usageplans/${planId}/price before subscribing tenants to it`,
    );
  }
}

/** The end day a patch operation sets: a day on or after the start, or none. */
function endDayAfter(row: SubscriptionRow, op: PatchOperation): string | null {
  const [field, ...rest] = patchSegments(op.path);
  if (field !== "endDate" || rest.length || (op.op !== "replace" && op.op !== "add" && op.op !== "remove")) {
    throw unsupportedPatch(op, ["/endDate"]);
  }
  if (op.op === "remove") return null;
  const day = parseDay(patchValue(op), "endDate");
  if (day < row.start_day) {
    throw new BadRequestError(`Invalid endDate '${day}': must be on or after the startDate ${row.start_day}`);
  }
  return day;
}

function toSubscription({ row, end }: Entry): Subscription {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    usagePlanId: row.usage_plan_id,
    startDate: row.start_day,
    ...(end !== undefined ? { endDate: end } : {}),
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
  };
}
