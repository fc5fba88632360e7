import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  currency,
  formatDecimal,
  formatUnitPrice,
  overageAmount,
  parseDecimal,
  roundHalfUp,
} from "../../src/billing/money.js";
import { billingPeriod } from "../../src/billing/periods.js";

describe("exact money", () => {
  test("currencies carry ISO 4217 minor digits: USD 2, JPY 0, BHD 3, HUF 2 (not ICU's cash digits)", () => {
    assert.deepEqual(
      ["usd", "JPY", "BHD", "HUF", "KRW", "EUR"].map((c) => currency(c)),
      [
        { code: "USD", digits: 2 },
        { code: "JPY", digits: 0 },
        { code: "BHD", digits: 3 },
        { code: "HUF", digits: 2 },
        { code: "KRW", digits: 0 },
        { code: "EUR", digits: 2 },
      ],
    );
  });

  test("malformed or non-monetary currency codes are refused", () => {
    for (const code of ["US", "USDD", "ABC", "XAU", "XXX", "", 840, null]) {
      assert.throws(() => currency(code), {
        name: "BadRequestException",
        message: /expected an ISO 4217 currency code/,
      });
    }
  });

  test("decimal strings parse exactly, within the allowed places, and never from numbers", () => {
    assert.equal(parseDecimal("49", 2, "fee"), 4900n);
    assert.equal(parseDecimal("0.1", 2, "fee"), 10n);
    assert.equal(parseDecimal("0.0035", 6, "unit"), 3500n);
    assert.equal(parseDecimal("12.3400", 2, "fee"), 1234n, "trailing zeros beyond the places are fine");
    assert.equal(
      parseDecimal("999999999999999.99", 2, "fee"),
      99999999999999999n,
      "beyond 2^53, still exact",
    );
    for (const bad of ["-1", "1e3", "0x10", " 1", "1.", ".5", "1,5", "", 0.5]) {
      assert.throws(
        () => parseDecimal(bad, 2, "fee"),
        { message: /expected a non-negative decimal string/ },
        String(bad),
      );
    }
    assert.throws(() => parseDecimal("0.125", 2, "fee"), {
      message: "Invalid fee '0.125': at most 2 decimal places allowed here",
    });
  });

  test("formatting writes the currency's digits, and unit prices as many as they need", () => {
    assert.equal(formatDecimal(4900n, 2), "49.00");
    assert.equal(formatDecimal(5n, 2), "0.05");
    assert.equal(formatDecimal(1600n, 0), "1600");
    assert.equal(formatUnitPrice(3500n, currency("USD")), "0.0035");
    assert.equal(formatUnitPrice(500_000n, currency("USD")), "0.50");
    assert.equal(formatUnitPrice(3_000_000n, currency("JPY")), "3");
  });

  test("rounding is half up, once: .5 goes up, below it goes down", () => {
    assert.equal(roundHalfUp(5n, 2n), 3n); // 2.5
    assert.equal(roundHalfUp(7n, 2n), 4n); // 3.5
    assert.equal(roundHalfUp(49n, 10n), 5n); // 4.9
    assert.equal(roundHalfUp(44n, 10n), 4n); // 4.4
    assert.equal(roundHalfUp(45n, 10n), 5n); // 4.5
    assert.equal(roundHalfUp(0n, 31n), 0n);
  });

  test("overage amounts price requests per 1,000 with sub-cent unit prices, rounded to the minor unit", () => {
    const usd = currency("USD");
    // 150,000 × 0.25 / 1,000 = 37.50
    assert.equal(overageAmount(150_000, 250_000n, usd), 3750n);
    // 1 request × 0.0035 / 1,000 = 0.0000035 → 0.00
    assert.equal(overageAmount(1, 3500n, usd), 0n);
    // 1,429 × 0.0035 / 1,000 = 0.0050015 → 0.01 (half a cent is 1,428.57 requests)
    assert.equal(overageAmount(1_429, 3500n, usd), 1n);
    assert.equal(overageAmount(1_428, 3500n, usd), 0n);
    // 7 requests at ¥3 per 1,000 = ¥0.021 → ¥0
    assert.equal(overageAmount(7, 3_000_000n, currency("JPY")), 0n);
    // 1,000 requests at 0.125 BHD per 1,000 = 0.125 BHD = 125 fils
    assert.equal(overageAmount(1_000, 125_000n, currency("BHD")), 125n);
  });

  test("billing periods are calendar months in UTC, leap years included", () => {
    assert.deepEqual(billingPeriod("2024-02"), {
      period: "2024-02",
      firstDay: "2024-02-01",
      lastDay: "2024-02-29",
      days: 29,
    });
    assert.deepEqual(billingPeriod("2026-12").lastDay, "2026-12-31");
    for (const bad of ["2026-00", "2026-13", "26-01", "2026-1", "2026/01", 202601]) {
      assert.throws(() => billingPeriod(bad), {
        name: "BadRequestException",
        message: /expected a calendar month as YYYY-MM/,
      });
    }
  });
});
