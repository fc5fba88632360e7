import { BadRequestError } from "../core/errors.js";

/**
 * Exact money. Amounts travel as decimal strings in major units ("49.00", "0.0035") and are
 * computed as bigint integers: totals in minor units (cents, or yen for JPY), unit prices per
 * 1,000 requests in micro-units (millionths of the major unit). No floating point anywhere.
 */

/** Decimal places of a unit price per 1,000 requests: 6, so "0.0035" (AWS's $3.50 per million) fits. */
export const UNIT_PRICE_DECIMALS = 6;

/** ISO 4217 minor-unit digits where they are not 2 (list one, 2024). */
const MINOR_DIGITS: Record<string, number> = {
  ...Object.fromEntries(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(" ").map((c) => [c, 0]),
  ),
  ...Object.fromEntries("BHD IQD JOD KWD LYD OMR TND".split(" ").map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};
/** Codes ISO 4217 gives no minor unit (special drawing rights, metals, test codes): not money to bill in. */
const NO_MINOR_UNIT = new Set([
  "XDR",
  "XSU",
  "XUA",
  "XAG",
  "XAU",
  "XPD",
  "XPT",
  "XBA",
  "XBB",
  "XBC",
  "XBD",
  "XTS",
  "XXX",
]);
/** Currencies in circulation, from the runtime's ICU data (well kept, updated with Node). */
const KNOWN = new Set([...Intl.supportedValuesOf("currency"), ...Object.keys(MINOR_DIGITS)]);

/** An ISO 4217 currency and the number of digits of its minor unit. */
export interface Currency {
  code: string;
  digits: number;
}

/**
 * The currency named by an ISO 4217 code (any case; stored upper case).
 *
 * @example currency("jpy") // { code: "JPY", digits: 0 }
 * @throws BadRequestError naming `field` when the code is not a currency in circulation.
 */
export function currency(code: unknown, field = "currency"): Currency {
  const upper = typeof code === "string" ? code.toUpperCase() : "";
  if (!/^[A-Z]{3}$/.test(upper) || !KNOWN.has(upper) || NO_MINOR_UNIT.has(upper)) {
    throw new BadRequestError(
      `Invalid ${field} '${String(code)}': expected an ISO 4217 currency code in circulation, such as USD, EUR or JPY`,
    );
  }
  return { code: upper, digits: MINOR_DIGITS[upper] ?? 2 };
}

/**
 * Parses a non-negative decimal string into an integer scaled by 10^decimals.
 *
 * @example parseDecimal("0.5", 2, "monthlyFee") // 50n
 * @throws BadRequestError naming `field` for anything but digits with at most `decimals` places.
 */
export function parseDecimal(text: unknown, decimals: number, field: string): bigint {
  const match = typeof text === "string" ? /^(\d{1,15})(?:\.(\d+))?$/.exec(text) : null;
  if (!match) {
    throw new BadRequestError(
      `Invalid ${field} '${String(text)}': expected a non-negative decimal string such as "49.00"`,
    );
  }
  const fraction = match[2] ?? "";
  if (fraction.replace(/0+$/, "").length > decimals) {
    throw new BadRequestError(
      `Invalid ${field} '${text}': at most ${decimals} decimal place${decimals === 1 ? "" : "s"} allowed here`,
    );
  }
  return BigInt(match[1]! + fraction.padEnd(decimals, "0").slice(0, decimals));
}

/**
 * Formats an integer scaled by 10^decimals as a decimal string with at least `minDecimals` places.
 *
 * @example formatDecimal(4900n, 2) // "49.00"; formatDecimal(3500n, 6, 2) // "0.0035"
 */
export function formatDecimal(value: bigint, decimals: number, minDecimals = decimals): string {
  const sign = value < 0n ? "-" : "";
  const digits = (value < 0n ? -value : value).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits
    .slice(digits.length - decimals)
    .replace(/0+$/, "")
    .padEnd(minDecimals, "0");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** A minor-unit amount as the currency writes it: `formatMinor(4900n, usd)` is "49.00". */
export function formatMinor(minor: bigint, cur: Currency): string {
  return formatDecimal(minor, cur.digits);
}

/** A unit price in micro-units, with at least the currency's digits: "0.50", "0.0035", "3" (JPY). */
export function formatUnitPrice(micro: bigint, cur: Currency): string {
  return formatDecimal(micro, UNIT_PRICE_DECIMALS, cur.digits);
}

/**
 * `numerator / denominator` rounded half up (away from zero at .5) for non-negative numbers:
 * the one rounding rule of billing, applied once per invoice line.
 *
 * @example roundHalfUp(49n * 14n, 31n) // 22n (22.129...), roundHalfUp(5n, 2n) // 3n
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/**
 * The amount in minor units of `requests` at `unitMicro` per 1,000 requests, rounded once.
 *
 * @example overageAmount(150_000, 250_000n, usd) // 3750n: 150,000 × 0.25 / 1,000 = 37.50
 */
export function overageAmount(requests: number, unitMicro: bigint, cur: Currency): bigint {
  return roundHalfUp(BigInt(requests) * unitMicro, 1000n * 10n ** BigInt(UNIT_PRICE_DECIMALS - cur.digits));
}
