import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import {
  type PatchOperation,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { fromJson, type Store, type Tx, toJson } from "../store/index.js";
import { findPriceRow, planRow } from "./lookups.js";
import {
  type Currency,
  currency,
  formatMinor,
  formatUnitPrice,
  parseDecimal,
  UNIT_PRICE_DECIMALS,
} from "./money.js";
import { dayOf } from "./periods.js";
import { openSubscriptionsOnPlan } from "./subscriptions.js";

/** How tiers price a quantity, in Stripe's meaning. */
export type TiersMode = "GRADUATED" | "VOLUME";

/**
 * One overage tier: the price per 1,000 requests for overage quantities up to `upTo`
 * (inclusive, counted from the first request above what is included); the last tier has no `upTo`.
 */
export interface PriceTier {
  upTo?: number;
  /** Decimal string, major units per 1,000 requests, up to 6 decimal places ("0.0035"). */
  unitAmount: string;
}

/**
 * The price of a usage plan. Amounts are decimal strings in major units of `currency`.
 * A pay-as-you-go plan has no fee, nothing included and tiers from the first request.
 */
export interface PlanPrice {
  usagePlanId: string;
  /** ISO 4217 code. */
  currency: string;
  /** Charged per calendar month held, prorated by day; at most the currency's minor digits. */
  monthlyFee: string;
  /** Requests per month the fee covers; beyond them, the tiers price the overage. */
  includedRequests: number;
  tiersMode: TiersMode;
  /** Empty: requests beyond the included ones cost nothing (the quota is what limits them). */
  tiers: PriceTier[];
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
}

/** PutUsagePlanPrice's input. Loosely typed on purpose: the domain checks every rule itself. */
export interface PutPlanPriceInput {
  currency?: unknown;
  monthlyFee?: unknown;
  includedRequests?: unknown;
  tiersMode?: unknown;
  tiers?: Array<{ upTo?: unknown; unitAmount?: unknown }>;
}

/** A price in computable form: bigint amounts (fee in minor units, tiers in micro-units per 1,000). */
export interface PriceTerms {
  currency: Currency;
  feeMinor: bigint;
  includedRequests: number;
  tiersMode: TiersMode;
  tiers: Array<{ upTo: number | null; unitMicro: bigint }>;
}

const TIERS_MODES: TiersMode[] = ["GRADUATED", "VOLUME"];
const MAX_TIERS = 25;
/** Request counts are API Gateway integers (32-bit). */
export const MAX_REQUESTS = 2_147_483_647;
const PATCH_PATHS = ["/currency", "/monthlyFee", "/includedRequests", "/tiersMode", "/tiers"];

type PriceDocument = Pick<PlanPrice, "monthlyFee" | "includedRequests" | "tiersMode" | "tiers">;
type PriceRow = {
  usage_plan_id: string;
  currency: string;
  price: string;
  created_at: number;
  updated_at: number;
};

/** Prices on usage plans: one per plan, replaced whole (PUT) or patched, deleted with the plan. */
export class PriceService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** PutUsagePlanPrice: sets or replaces the plan's price. */
  async put(planId: string, input: PutPlanPriceInput): Promise<PlanPrice> {
    const { code, document } = normalizePrice(input);
    const row = await this.store.transaction(async (trx) => {
      await planRow(trx, planId);
      const now = this.clock.now();
      const existing = await findPriceRow(trx, planId);
      const row = {
        usage_plan_id: planId,
        currency: code,
        price: toJson(document),
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      if (existing)
        await trx.updateTable("plan_prices").set(row).where("usage_plan_id", "=", planId).execute();
      else await trx.insertInto("plan_prices").values(row).execute();
      return row;
    });
    return toPlanPrice(row);
  }

  async get(planId: string): Promise<PlanPrice> {
    return toPlanPrice(await priceRow(this.store.db, planId));
  }

  /** Every plan's price, by plan id. */
  async list(): Promise<PlanPrice[]> {
    const rows = await this.store.db.selectFrom("plan_prices").selectAll().orderBy("usage_plan_id").execute();
    return rows.map(toPlanPrice);
  }

  /** UpdateUsagePlanPrice: `replace` on /currency, /monthlyFee, /includedRequests, /tiersMode, /tiers (JSON); all or nothing. */
  async update(planId: string, operations: PatchOperation[]): Promise<PlanPrice> {
    const row = await this.store.transaction(async (trx) => {
      const current = await priceRow(trx, planId);
      const draft: PutPlanPriceInput = {
        currency: current.currency,
        ...fromJson<PriceDocument>(current.price, defaults()),
      };
      for (const op of operations) applyOperation(draft, op);
      const { code, document } = normalizePrice(draft);
      const next = { ...current, currency: code, price: toJson(document), updated_at: this.clock.now() };
      await trx.updateTable("plan_prices").set(next).where("usage_plan_id", "=", planId).execute();
      return next;
    });
    return toPlanPrice(row);
  }

  /** Removes the price; refused while a tenant's subscription to the plan runs today or later. */
  async delete(planId: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await priceRow(trx, planId);
      const open = await openSubscriptionsOnPlan(trx, planId, dayOf(this.clock.now()));
      if (open.length) {
        throw new ConflictError(
          `Usage plan ${planId} has subscriptions that run today or later (${open.join(", ")}): end them before deleting the price`,
        );
      }
      await trx.deleteFrom("plan_prices").where("usage_plan_id", "=", planId).execute();
    });
  }
}

/** The terms of the priced plans among `planIds`, by plan id. */
export async function priceTerms(db: Tx, planIds: string[]): Promise<Map<string, PriceTerms>> {
  if (planIds.length === 0) return new Map();
  const rows = await db.selectFrom("plan_prices").selectAll().where("usage_plan_id", "in", planIds).execute();
  return new Map(rows.map((r) => [r.usage_plan_id, termsOf(toPlanPrice(r))]));
}

/** A plan's price row; a NotFoundException for an unknown plan, or one that says how to price it. */
async function priceRow(db: Tx, planId: string): Promise<PriceRow> {
  await planRow(db, planId);
  const row = await findPriceRow(db, planId);
  if (!row) {
    throw new NotFoundError(
      `Usage plan ${planId} has no price: set one with PUT /usageplans/${planId}/price`,
    );
  }
  return row;
}

/** Parses a checked price into bigint terms. */
export function termsOf(price: Pick<PlanPrice, "currency" | keyof PriceDocument>): PriceTerms {
  const cur = currency(price.currency);
  return {
    currency: cur,
    feeMinor: parseDecimal(price.monthlyFee, cur.digits, "monthlyFee"),
    includedRequests: price.includedRequests,
    tiersMode: price.tiersMode,
    tiers: price.tiers.map((t) => ({
      upTo: t.upTo ?? null,
      unitMicro: parseDecimal(t.unitAmount, UNIT_PRICE_DECIMALS, "unitAmount"),
    })),
  };
}

/**
 * Checks every rule of a price and returns it normalized (currency upper case, amounts written
 * with the currency's digits). Nothing is stored unless all of it holds.
 */
function normalizePrice(input: PutPlanPriceInput): { code: string; document: PriceDocument } {
  const cur = currency(input.currency);
  const fee = parseDecimal(input.monthlyFee ?? "0", cur.digits, "monthlyFee");
  const includedRequests = input.includedRequests ?? 0;
  if (
    !Number.isInteger(includedRequests) ||
    (includedRequests as number) < 0 ||
    (includedRequests as number) > MAX_REQUESTS
  ) {
    throw new BadRequestError(
      `Invalid includedRequests '${String(includedRequests)}': must be a whole number from 0 to ${MAX_REQUESTS}`,
    );
  }
  const tiersMode = input.tiersMode ?? "GRADUATED";
  if (!TIERS_MODES.includes(tiersMode as TiersMode)) {
    throw new BadRequestError(`Invalid tiersMode '${String(tiersMode)}': must be GRADUATED or VOLUME`);
  }
  return {
    code: cur.code,
    document: {
      monthlyFee: formatMinor(fee, cur),
      includedRequests: includedRequests as number,
      tiersMode: tiersMode as TiersMode,
      tiers: normalizeTiers(input.tiers ?? [], cur),
    },
  };
}

/** Tiers must rise strictly and end with one open tier, so every quantity has exactly one price. */
function normalizeTiers(tiers: NonNullable<PutPlanPriceInput["tiers"]>, cur: Currency): PriceTier[] {
  if (!Array.isArray(tiers))
    throw new BadRequestError("Invalid tiers: expected a list of {upTo, unitAmount}");
  if (tiers.length > MAX_TIERS) {
    throw new BadRequestError(`Invalid tiers: at most ${MAX_TIERS} tiers, got ${tiers.length}`);
  }
  let previous = 0;
  return tiers.map((tier, i) => {
    const where = `tiers[${i}]`;
    const unitMicro = parseDecimal(tier?.unitAmount, UNIT_PRICE_DECIMALS, `${where}.unitAmount`);
    const last = i === tiers.length - 1;
    const upTo = tier?.upTo ?? undefined;
    if (last && upTo !== undefined) {
      throw new BadRequestError(
        `Invalid ${where}.upTo '${String(upTo)}': the last tier must have no upTo, so that it prices every quantity above ${previous}`,
      );
    }
    if (!last && (typeof upTo !== "number" || !Number.isInteger(upTo) || upTo < 1 || upTo > MAX_REQUESTS)) {
      throw new BadRequestError(
        `Invalid ${where}.upTo '${String(upTo)}': every tier but the last needs upTo, a whole number of requests from 1 to ${MAX_REQUESTS}`,
      );
    }
    if (typeof upTo === "number" && upTo <= previous) {
      throw new BadRequestError(
        `Invalid ${where}.upTo ${upTo}: tiers overlap; each upTo must be greater than the previous tier's (${previous})`,
      );
    }
    previous = typeof upTo === "number" ? upTo : previous;
    return {
      ...(upTo !== undefined ? { upTo: upTo as number } : {}),
      unitAmount: formatUnitPrice(unitMicro, cur),
    };
  });
}

function applyOperation(draft: PutPlanPriceInput, op: PatchOperation): void {
  const [field, ...rest] = patchSegments(op.path);
  if (op.op !== "replace" || rest.length || !PATCH_PATHS.includes(`/${field}`))
    throw unsupportedPatch(op, PATCH_PATHS);
  if (field === "includedRequests") draft.includedRequests = patchNumber(op, { integer: true, min: 0 });
  else if (field === "tiers") draft.tiers = parseTiersValue(op);
  else (draft as Record<string, unknown>)[field!] = patchValue(op);
}

function parseTiersValue(op: PatchOperation): PutPlanPriceInput["tiers"] {
  try {
    return JSON.parse(patchValue(op)) as PutPlanPriceInput["tiers"];
  } catch {
    throw new BadRequestError(
      `Invalid value for path '/tiers': expected a JSON list such as [{"upTo":100000,"unitAmount":"0.50"},{"unitAmount":"0.25"}]`,
    );
  }
}

function defaults(): PriceDocument {
  return { monthlyFee: "0", includedRequests: 0, tiersMode: "GRADUATED", tiers: [] };
}

function toPlanPrice(row: PriceRow): PlanPrice {
  const document = fromJson<PriceDocument>(row.price, defaults());
  return {
    usagePlanId: row.usage_plan_id,
    currency: row.currency,
    ...document,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
  };
}
