import type { Billing, Subscription } from "../billing/index.js";
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { utcDay } from "../metering/index.js";
import type { ApiKeyService } from "../plans/index.js";
import type { Store } from "../store/index.js";
import type { CatalogService } from "./catalog.js";

export type RequestStatus = "PENDING" | "ACTIVE" | "ENDED" | "REFUSED";

/** An organization's subscription to a plan, as the portal tracks it (requests included). */
export interface PortalSubscription {
  id: string;
  tenantId: string;
  usagePlanId: string;
  /** PENDING (waiting for approval), ACTIVE (the current plan), ENDED (changed or cancelled), REFUSED. */
  status: RequestStatus;
  requestedBy: string;
  reason?: string;
  /** Epoch seconds. */
  createdDate: number;
  decidedDate?: number;
}

type Row = {
  id: string;
  tenant_id: string;
  usage_plan_id: string;
  requested_by: string;
  status: string;
  reason: string | null;
  created_at: number;
  decided_at: number | null;
};

/**
 * Subscriptions from the portal. An organization is on one plan at a time (billing's rule): a
 * subscription starts today (UTC) and ends the current one, a plan that needs approval waits as
 * PENDING until the provider approves it. Activating a plan moves every live key of the
 * organization onto that plan and off the previous one, and records the billing subscription
 * when the plan has a price: it starts today, the previous one ends yesterday; a change made on
 * the day a subscription started replaces it (billing counts whole days). Cancelling takes the
 * keys off the plan and ends the billing subscription today (the day is billed).
 */
export class SubscriptionDesk {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly catalog: CatalogService,
    private readonly apiKeys: ApiKeyService,
    private readonly billing: Billing,
  ) {}

  /** The organization's current plan, if any. */
  async current(tenantId: string): Promise<PortalSubscription | undefined> {
    const row = await this.store.db
      .selectFrom("portal_subscription_requests")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("status", "=", "ACTIVE")
      .executeTakeFirst();
    return row && toSubscription(row);
  }

  /** The organization's subscriptions and requests, newest first. */
  async history(tenantId: string): Promise<PortalSubscription[]> {
    const rows = await this.store.db
      .selectFrom("portal_subscription_requests")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("created_at", "desc")
      .orderBy("id")
      .execute();
    return rows.map(toSubscription);
  }

  /** Every subscription of a status across organizations (the admin's queue), oldest first. */
  async list(filter: { status?: string } = {}): Promise<PortalSubscription[]> {
    let query = this.store.db.selectFrom("portal_subscription_requests").selectAll();
    if (filter.status) query = query.where("status", "=", filter.status);
    return (await query.orderBy("created_at").orderBy("id").execute()).map(toSubscription);
  }

  /**
   * Subscribes the organization to a visible plan that covers a published stage: at once, or
   * PENDING when the plan needs approval.
   */
  async subscribe(tenantId: string, planId: string, userId: string): Promise<PortalSubscription> {
    const plan = await this.catalog.plan(planId).catch(() => undefined);
    const published = await this.catalog.apis({ publishedOnly: true });
    const offered =
      plan?.visible && published.some((a) => a.stages.some((s) => s.plans.some((p) => p.id === planId)));
    if (!plan || !offered) throw new BadRequestError("Choose one of the plans shown in the catalog.");
    const history = await this.history(tenantId);
    if (history.some((s) => s.status === "ACTIVE" && s.usagePlanId === planId)) {
      throw new ConflictError(`Your organization is already on the ${plan.name} plan.`);
    }
    if (history.some((s) => s.status === "PENDING")) {
      throw new ConflictError(
        "A subscription request of your organization is waiting for approval: wait for it, or withdraw it first.",
      );
    }
    const now = this.clock.now();
    const row: Row = {
      id: newId(),
      tenant_id: tenantId,
      usage_plan_id: planId,
      requested_by: userId,
      status: "PENDING",
      reason: null,
      created_at: now,
      decided_at: null,
    };
    await this.store.db.insertInto("portal_subscription_requests").values(row).execute();
    if (plan.approvalRequired) return toSubscription(row);
    return this.activate(row.id);
  }

  /** Approves a PENDING request: it becomes the organization's plan. */
  async approve(id: string): Promise<PortalSubscription> {
    await this.pending(id);
    return this.activate(id);
  }

  /** Refuses a PENDING request, with a reason the developers see. */
  async refuse(id: string, reason?: string): Promise<PortalSubscription> {
    await this.pending(id);
    await this.store.db
      .updateTable("portal_subscription_requests")
      .set({ status: "REFUSED", reason: reason?.trim().slice(0, 500) || null, decided_at: this.clock.now() })
      .where("id", "=", id)
      .execute();
    return this.get(id);
  }

  /** Withdraws the organization's own PENDING request. */
  async withdraw(tenantId: string, id: string): Promise<void> {
    const request = await this.get(id);
    if (request.tenantId !== tenantId) throw new NotFoundError("No such subscription request");
    if (request.status !== "PENDING")
      throw new ConflictError("Only a request waiting for approval can be withdrawn.");
    await this.store.db.deleteFrom("portal_subscription_requests").where("id", "=", id).execute();
  }

  /** Cancels the organization's current plan: keys leave it now; billing ends today. */
  async cancel(tenantId: string): Promise<PortalSubscription> {
    const current = await this.current(tenantId);
    if (!current) throw new ConflictError("Your organization has no plan to cancel.");
    await this.moveKeys(tenantId, current.usagePlanId, undefined);
    await this.endBilling(tenantId, utcDay(this.clock.now()));
    await this.store.db
      .updateTable("portal_subscription_requests")
      .set({ status: "ENDED", decided_at: this.clock.now() })
      .where("id", "=", current.id)
      .execute();
    return this.get(current.id);
  }

  async get(id: string): Promise<PortalSubscription> {
    const row = await this.store.db
      .selectFrom("portal_subscription_requests")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid subscription identifier specified: ${id}`);
    return toSubscription(row);
  }

  /** The plan new keys of the organization go on. */
  async currentPlanId(tenantId: string): Promise<string | undefined> {
    return (await this.current(tenantId))?.usagePlanId;
  }

  private async pending(id: string): Promise<PortalSubscription> {
    const request = await this.get(id);
    if (request.status !== "PENDING")
      throw new ConflictError(`Subscription ${id} is ${request.status}, not PENDING.`);
    return request;
  }

  private async activate(id: string): Promise<PortalSubscription> {
    const request = await this.get(id);
    const previous = await this.current(request.tenantId);
    const today = utcDay(this.clock.now());
    const priced = await this.billing.prices.get(request.usagePlanId).then(
      () => true,
      () => false,
    );
    if (priced) await this.startBilling(request.tenantId, request.usagePlanId, today);
    else await this.endBilling(request.tenantId, addDays(today, -1));
    await this.moveKeys(request.tenantId, previous?.usagePlanId, request.usagePlanId);
    const now = this.clock.now();
    await this.store.transaction(async (trx) => {
      if (previous) {
        await trx
          .updateTable("portal_subscription_requests")
          .set({ status: "ENDED", decided_at: now })
          .where("id", "=", previous.id)
          .execute();
      }
      await trx
        .updateTable("portal_subscription_requests")
        .set({ status: "ACTIVE", decided_at: now })
        .where("id", "=", id)
        .execute();
    });
    return this.get(id);
  }

  /** Puts every live key of the organization on `to` (when given) and off `from`. */
  private async moveKeys(tenantId: string, from: string | undefined, to: string | undefined): Promise<void> {
    const keys = (await this.apiKeys.list({ customerId: tenantId })).filter(
      (k) => !k.expiresDate || k.expiresDate * 1000 > this.clock.now(),
    );
    for (const key of keys) {
      if (from) await this.apiKeys.removeFromPlan(from, key.id).catch(() => {});
      if (to) {
        await this.apiKeys.addToPlan(to, { keyId: key.id, keyType: "API_KEY" }).catch((error: Error) => {
          // Already on it (a resumed plan) is fine; anything else is not.
          if (!(error instanceof ConflictError && /already on/.test(error.message))) throw error;
        });
      }
    }
  }

  private async latestBilling(tenantId: string): Promise<Subscription | undefined> {
    return (await this.billing.subscriptions.list(tenantId)).at(-1);
  }

  /** Billing follows the plan from `day`: the running subscription ends the day before. */
  private async startBilling(tenantId: string, planId: string, day: string): Promise<void> {
    let latest = await this.latestBilling(tenantId);
    if (latest && latest.startDate === day) {
      await this.billing.subscriptions.delete(tenantId, latest.id);
      latest = await this.latestBilling(tenantId);
    }
    if (
      latest &&
      latest.usagePlanId === planId &&
      (latest.endDate === undefined || latest.endDate >= addDays(day, -1))
    ) {
      // The same plan, ended yesterday or today: it simply goes on.
      if (latest.endDate !== undefined) {
        await this.billing.subscriptions.update(tenantId, latest.id, [{ op: "remove", path: "/endDate" }]);
      }
      return;
    }
    await this.billing.subscriptions.create(tenantId, { usagePlanId: planId, startDate: day });
  }

  /** Ends the running billing subscription on `lastDay` (inclusive), if one runs past it. */
  private async endBilling(tenantId: string, lastDay: string): Promise<void> {
    const latest = await this.latestBilling(tenantId);
    if (!latest || (latest.endDate !== undefined && latest.endDate <= lastDay)) return;
    if (lastDay < latest.startDate) await this.billing.subscriptions.delete(tenantId, latest.id);
    else
      await this.billing.subscriptions.update(tenantId, latest.id, [
        { op: "replace", path: "/endDate", value: lastDay },
      ]);
  }
}

/** `YYYY-MM-DD` plus `n` days (UTC). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function toSubscription(row: Row): PortalSubscription {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    usagePlanId: row.usage_plan_id,
    status: row.status as RequestStatus,
    requestedBy: row.requested_by,
    ...(row.reason ? { reason: row.reason } : {}),
    createdDate: Math.floor(row.created_at / 1000),
    ...(row.decided_at ? { decidedDate: Math.floor(row.decided_at / 1000) } : {}),
  };
}
