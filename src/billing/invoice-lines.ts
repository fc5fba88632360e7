import { BadRequestError, ConflictError } from "../core/errors.js";
import {
  type Currency,
  currency,
  formatMinor,
  formatUnitPrice,
  overageAmount,
  parseDecimal,
  roundHalfUp,
} from "./money.js";
import type { BillingPeriod } from "./periods.js";
import type { PriceTerms } from "./prices.js";
import type { Segment } from "./subscriptions.js";

/**
 * The arithmetic of an invoice, as a pure function of its inputs. Rules (docs/billing.md):
 * - a subscription's fee is prorated by day: fee × days held / days in the month;
 * - included requests are prorated the same way, per subscription, and summed per plan;
 * - a plan's overage is its ledger requests minus included and top-up requests (never below 0),
 *   priced by its tiers (graduated or volume) per 1,000 requests;
 * - every line is rounded half up to the minor unit once; totals add rounded lines exactly.
 */

export type InvoiceLineType = "PLAN_FEE" | "OVERAGE" | "TOP_UP";

/** One line. `amount` is exact, in the invoice currency's minor-unit precision. */
export interface InvoiceLine {
  type: InvoiceLineType;
  description: string;
  usagePlanId: string;
  /** PLAN_FEE: days held; OVERAGE: requests; TOP_UP: units bought. */
  quantity: number;
  /** PLAN_FEE: the monthly fee; OVERAGE: price per 1,000 requests; TOP_UP: price of one. */
  unitAmount: string;
  amount: string;
  /** PLAN_FEE: first and last day held, and the month's length that prorates the fee. */
  startDate?: string;
  endDate?: string;
  daysInPeriod?: number;
  /** OVERAGE: 1-based tier number. */
  tier?: number;
  /** TOP_UP: the purchase, its key and the extra requests it granted. */
  topUpId?: string;
  keyId?: string;
  requests?: number;
}

/** The request counts behind a plan's lines: what reconciliation compares with the ledger. */
export interface PlanUsage {
  usagePlanId: string;
  usagePlanName: string;
  /** Admitted requests of the tenant on the plan in the month, from the ledger. */
  requests: number;
  includedRequests: number;
  topUpRequests: number;
  /** requests − included − top-ups, at least 0: what the tiers price. */
  overageRequests: number;
  /** False for a plan without a price: its usage is shown, not billed. */
  priced: boolean;
}

/** A top-up purchase as the invoice reads it. */
export interface BilledTopUp {
  id: string;
  usagePlanId: string;
  keyId: string;
  productName: string;
  quantity: number;
  requests: number;
  currency: string;
  unitPrice: string;
  amount: string;
}

export interface InvoiceInputs {
  period: BillingPeriod;
  segments: Segment[];
  /** Ledger requests per plan id for the month. */
  ledger: Map<string, number>;
  topUps: BilledTopUp[];
  prices: Map<string, PriceTerms>;
  planNames: Map<string, string>;
}

export interface ComputedInvoice {
  currency: Currency;
  lines: InvoiceLine[];
  usage: PlanUsage[];
  subtotalMinor: bigint;
}

/**
 * Computes an invoice's lines, usage and subtotal.
 *
 * @throws ConflictError when a subscribed plan lost its price or currencies are mixed;
 *   BadRequestError when there is nothing to bill.
 */
export function computeInvoice(inputs: InvoiceInputs): ComputedInvoice {
  const planIds = orderedPlans(inputs);
  const cur = invoiceCurrency(inputs, planIds);
  const lines: InvoiceLine[] = [];
  const usage: PlanUsage[] = [];
  for (const planId of planIds) {
    const terms = inputs.prices.get(planId);
    const name = inputs.planNames.get(planId) ?? planId;
    const segments = inputs.segments.filter((s) => s.usagePlanId === planId);
    const topUps = inputs.topUps.filter((t) => t.usagePlanId === planId);
    const included = terms
      ? segments.reduce((n, s) => n + prorate(terms.includedRequests, s, inputs.period), 0)
      : 0;
    const topUpRequests = topUps.reduce((n, t) => n + t.requests, 0);
    const requests = inputs.ledger.get(planId) ?? 0;
    const overage = Math.max(0, requests - included - topUpRequests);
    usage.push({
      usagePlanId: planId,
      usagePlanName: name,
      requests,
      includedRequests: included,
      topUpRequests,
      overageRequests: overage,
      priced: terms !== undefined,
    });
    if (terms) {
      lines.push(...segments.map((s) => feeLine(name, s, terms, inputs.period, cur)));
      lines.push(...overageLines(name, planId, overage, terms, cur));
    }
    lines.push(...topUps.map((t) => topUpLine(name, t, cur)));
  }
  const subtotalMinor = lines.reduce((sum, l) => sum + parseDecimal(l.amount, cur.digits, "amount"), 0n);
  return { currency: cur, lines, usage, subtotalMinor };
}

/** Subscribed plans in the order first held, then other plans by name and id. */
function orderedPlans(inputs: InvoiceInputs): string[] {
  const subscribed = [...new Set(inputs.segments.map((s) => s.usagePlanId))];
  const others = [...new Set([...inputs.ledger.keys(), ...inputs.topUps.map((t) => t.usagePlanId)])]
    .filter((id) => !subscribed.includes(id))
    .sort(
      (a, b) =>
        (inputs.planNames.get(a) ?? a).localeCompare(inputs.planNames.get(b) ?? b) || a.localeCompare(b),
    );
  return [...subscribed, ...others];
}

/** The one currency of everything billed; an invoice never mixes currencies. */
function invoiceCurrency(inputs: InvoiceInputs, planIds: string[]): Currency {
  for (const s of inputs.segments) {
    if (!inputs.prices.has(s.usagePlanId)) {
      throw new ConflictError(
        `Subscription ${s.subscriptionId} bills usage plan ${s.usagePlanId}, which has no price: put a price on the plan to invoice it`,
      );
    }
  }
  const sources = [
    ...planIds.flatMap((id) => {
      const terms = inputs.prices.get(id);
      return terms ? [{ what: `usage plan ${id}`, currency: terms.currency }] : [];
    }),
    ...inputs.topUps.map((t) => ({ what: `top-up ${t.id}`, currency: currency(t.currency) })),
  ];
  const first = sources[0];
  if (!first) {
    throw new BadRequestError(
      `Nothing to bill in ${inputs.period.period}: the tenant has no subscription, no usage on a priced plan and no top-up that month`,
    );
  }
  const other = sources.find((s) => s.currency.code !== first.currency.code);
  if (other) {
    throw new ConflictError(
      `Mixed currencies: ${first.what} bills in ${first.currency.code} but ${other.what} in ${other.currency.code}; an invoice has one currency`,
    );
  }
  return first.currency;
}

/** `whole × days held / days in month`, rounded half up: the one proration rule, for fees and included requests. */
function prorate<T extends bigint | number>(whole: T, segment: Segment, period: BillingPeriod): T {
  const result = roundHalfUp(BigInt(whole) * BigInt(segment.days), BigInt(period.days));
  return (typeof whole === "bigint" ? result : Number(result)) as T;
}

function feeLine(
  plan: string,
  s: Segment,
  terms: PriceTerms,
  period: BillingPeriod,
  cur: Currency,
): InvoiceLine {
  const fee = formatMinor(terms.feeMinor, cur);
  return {
    type: "PLAN_FEE",
    description: `${plan}: monthly fee ${fee}, ${s.firstDay} to ${s.lastDay} (${s.days} of ${period.days} days)`,
    usagePlanId: s.usagePlanId,
    quantity: s.days,
    unitAmount: fee,
    amount: formatMinor(prorate(terms.feeMinor, s, period), cur),
    startDate: s.firstDay,
    endDate: s.lastDay,
    daysInPeriod: period.days,
  };
}

/** Graduated: each tier prices the part of the overage inside it. Volume: the tier the total reaches prices all of it. */
function overageLines(
  plan: string,
  planId: string,
  overage: number,
  terms: PriceTerms,
  cur: Currency,
): InvoiceLine[] {
  if (overage === 0 || terms.tiers.length === 0) return [];
  const line = (tier: number, quantity: number, what: string): InvoiceLine => {
    const unitMicro = terms.tiers[tier]!.unitMicro;
    const unit = formatUnitPrice(unitMicro, cur);
    return {
      type: "OVERAGE",
      description: `${plan}: ${what}: ${count(quantity)} requests at ${unit} per 1,000`,
      usagePlanId: planId,
      quantity,
      unitAmount: unit,
      amount: formatMinor(overageAmount(quantity, unitMicro, cur), cur),
      tier: tier + 1,
    };
  };
  if (terms.tiersMode === "VOLUME") {
    const tier = terms.tiers.findIndex((t) => t.upTo === null || overage <= t.upTo);
    return [line(tier, overage, `overage, volume tier ${tier + 1} (${tierRange(terms, tier)}) for all`)];
  }
  const lines: InvoiceLine[] = [];
  let below = 0;
  for (const [i, t] of terms.tiers.entries()) {
    const inTier = Math.min(overage, t.upTo ?? overage) - below;
    if (inTier > 0) lines.push(line(i, inTier, `overage tier ${i + 1} (${tierRange(terms, i)})`));
    if (t.upTo === null || overage <= t.upTo) break;
    below = t.upTo;
  }
  return lines;
}

/** "1 to 100,000", "100,001 to 500,000", "above 500,000": overage requests a tier covers. */
function tierRange(terms: PriceTerms, i: number): string {
  const from = (terms.tiers[i - 1]?.upTo ?? 0) + 1;
  const upTo = terms.tiers[i]!.upTo;
  return upTo === null
    ? from === 1
      ? "from 1"
      : `above ${count(from - 1)}`
    : `${count(from)} to ${count(upTo)}`;
}

function topUpLine(plan: string, t: BilledTopUp, cur: Currency): InvoiceLine {
  return {
    type: "TOP_UP",
    description: `Top-up '${t.productName}' x${t.quantity} for key ${t.keyId} on ${plan}: ${count(t.requests)} extra requests`,
    usagePlanId: t.usagePlanId,
    quantity: t.quantity,
    unitAmount: t.unitPrice,
    amount: formatMinor(parseDecimal(t.amount, cur.digits, "amount"), cur),
    topUpId: t.id,
    keyId: t.keyId,
    requests: t.requests,
  };
}

/** 1234567 as "1,234,567" (the same on every locale). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
