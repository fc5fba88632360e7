import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Invoice } from "../../src/billing/index.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { type BillingWorld, billingWorld, createPlan, tenantWithKey, writeUsage } from "./fixture.js";

/** The lines of an invoice as [type, quantity, unitAmount, amount], easy to compare with hand arithmetic. */
function lines(invoice: Invoice): Array<[string, number, string, string]> {
  return invoice.lines.map((l) => [l.type, l.quantity, l.unitAmount, l.amount]);
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: invoices for a month`, () => {
    let w: BillingWorld;
    let standard: string;
    let premium: string;
    let acme: { tenantId: string; keyId: string };

    before(async () => {
      w = await billingWorld(dialect, { now: Date.UTC(2026, 2, 1) });
      standard = await createPlan(w, "Standard");
      premium = await createPlan(w, "Premium");
      await w.billing.prices.put(standard, {
        currency: "USD",
        monthlyFee: "49.00",
        includedRequests: 100_000,
        tiersMode: "GRADUATED",
        tiers: [
          { upTo: 100_000, unitAmount: "0.50" },
          { upTo: 500_000, unitAmount: "0.40" },
          { unitAmount: "0.25" },
        ],
      });
      await w.billing.prices.put(premium, {
        currency: "USD",
        monthlyFee: "199.00",
        includedRequests: 1_000_000,
        tiersMode: "VOLUME",
        tiers: [
          { upTo: 1_000_000, unitAmount: "0.30" },
          { upTo: 5_000_000, unitAmount: "0.20" },
          { unitAmount: "0.10" },
        ],
      });
      acme = await tenantWithKey(w, "acme", [standard]);
      // Standard from March 1st; a plan change to Premium on March 15th.
      await w.billing.subscriptions.create(acme.tenantId, { usagePlanId: standard, startDate: "2026-03-01" });
      await w.billing.subscriptions.create(acme.tenantId, { usagePlanId: premium, startDate: "2026-03-15" });
      // The key moves plans on the 15th; the ledger holds its requests under each plan.
      await writeUsage(w.store, [
        { day: "2026-02-28", tenantId: acme.tenantId, keyId: acme.keyId, planId: standard, requests: 50_000 },
        {
          day: "2026-03-02",
          tenantId: acme.tenantId,
          keyId: acme.keyId,
          planId: standard,
          requests: 150_000,
        },
        {
          day: "2026-03-10",
          tenantId: acme.tenantId,
          keyId: acme.keyId,
          planId: standard,
          requests: 200_000,
        },
        {
          day: "2026-03-10",
          tenantId: acme.tenantId,
          keyId: acme.keyId,
          planId: standard,
          requests: 50_000,
          path: "/orders",
        },
        { day: "2026-03-15", tenantId: acme.tenantId, keyId: acme.keyId, planId: premium, requests: 900_000 },
        {
          day: "2026-03-31",
          tenantId: acme.tenantId,
          keyId: acme.keyId,
          planId: premium,
          requests: 1_500_000,
        },
        { day: "2026-04-01", tenantId: acme.tenantId, keyId: acme.keyId, planId: premium, requests: 70_000 },
      ]);
      // On March 10th the tenant bought 2 × 50,000 extra requests at 20.00 each on Standard.
      const product = await w.billing.topUps.createProduct({
        name: "Extra 50k",
        requests: 50_000,
        currency: "USD",
        price: "20",
      });
      w.clock.set(Date.UTC(2026, 2, 10, 12));
      await w.billing.topUps.purchase({
        productId: product.id,
        usagePlanId: standard,
        keyId: acme.keyId,
        quantity: 2,
      });
      w.clock.set(Date.UTC(2026, 3, 2));
    });
    after(() => w.close());

    test("a month with a mid-month plan change, graduated and volume overage and a top-up matches the hand-computed total", async () => {
      const invoice = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      // March has 31 days. Standard is held March 1-14 (14 days), Premium March 15-31 (17 days).
      //
      // Standard fee:        49.00 × 14 / 31 = 4900¢ × 14 / 31 = 68600 / 31 = 2212.90¢ → 22.13
      // Standard included:   100,000 × 14 / 31 = 45,161.29 → 45,161 requests
      // Standard usage:      150,000 + 200,000 + 50,000 = 400,000 (Feb 28 is another month)
      // Standard top-ups:    2 × 50,000 = 100,000 requests, 2 × 20.00 = 40.00
      // Standard overage:    400,000 − 45,161 − 100,000 = 254,839 requests, graduated:
      //   tier 1 (1 to 100,000):        100,000 × 0.50 / 1,000 = 50.00
      //   tier 2 (100,001 to 500,000):  154,839 × 0.40 / 1,000 = 61.9356 → 61.94
      // Premium fee:         199.00 × 17 / 31 = 19900¢ × 17 / 31 = 338300 / 31 = 10912.90¢ → 109.13
      // Premium included:    1,000,000 × 17 / 31 = 548,387.09 → 548,387 requests
      // Premium usage:       900,000 + 1,500,000 = 2,400,000 (April 1st is another month)
      // Premium overage:     2,400,000 − 548,387 = 1,851,613 requests, volume: the total falls in
      //   tier 2 (1,000,001 to 5,000,000), so all at 0.20: 1,851,613 × 0.20 / 1,000 = 370.3226 → 370.32
      // Total: 22.13 + 50.00 + 61.94 + 40.00 + 109.13 + 370.32 = 653.52
      assert.deepEqual(lines(invoice), [
        ["PLAN_FEE", 14, "49.00", "22.13"],
        ["OVERAGE", 100_000, "0.50", "50.00"],
        ["OVERAGE", 154_839, "0.40", "61.94"],
        ["TOP_UP", 2, "20.00", "40.00"],
        ["PLAN_FEE", 17, "199.00", "109.13"],
        ["OVERAGE", 1_851_613, "0.20", "370.32"],
      ]);
      assert.equal(invoice.subtotal, "653.52");
      assert.equal(invoice.total, "653.52");
      assert.equal(invoice.currency, "USD");
      assert.equal(invoice.status, "DRAFT");
      assert.deepEqual(
        invoice.usage.map((u) => [
          u.usagePlanName,
          u.requests,
          u.includedRequests,
          u.topUpRequests,
          u.overageRequests,
        ]),
        [
          ["Standard", 400_000, 45_161, 100_000, 254_839],
          ["Premium", 2_400_000, 548_387, 0, 1_851_613],
        ],
      );
      const fee = invoice.lines[0]!;
      assert.deepEqual([fee.startDate, fee.endDate, fee.daysInPeriod], ["2026-03-01", "2026-03-14", 31]);
      assert.match(
        fee.description,
        /^Standard: monthly fee 49\.00, 2026-03-01 to 2026-03-14 \(14 of 31 days\)$/,
      );
      assert.deepEqual(
        [invoice.lines[5]!.tier, invoice.lines[5]!.description],
        [
          2,
          "Premium: overage, volume tier 2 (1,000,001 to 5,000,000) for all: 1,851,613 requests at 0.20 per 1,000",
        ],
      );
    });

    test("generating the same month twice changes nothing: same id, same lines, no write", async () => {
      const first = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      w.clock.advance(60_000);
      const second = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      assert.deepEqual(second, first);
      assert.equal((await w.billing.invoices.list({ tenantId: acme.tenantId })).length, 1);
    });

    test("regenerating a draft recomputes it under the same id when the ledger changed", async () => {
      const before = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      await writeUsage(w.store, [
        { day: "2026-03-20", tenantId: acme.tenantId, keyId: acme.keyId, planId: premium, requests: 1_000 },
      ]);
      const after = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      assert.equal(after.id, before.id);
      // Premium overage 1,852,613 × 0.20 / 1,000 = 370.5226 → 370.52; total 653.52 + 0.20 = 653.72
      assert.deepEqual(after.lines.at(-1)!.quantity, 1_852_613);
      assert.equal(after.total, "653.72");
      assert.ok(after.lastUpdatedDate >= before.lastUpdatedDate);
    });

    test("the reconciliation puts the invoice's quantities next to the ledger's, and notices drift", async () => {
      const invoice = await w.billing.invoices.generate(acme.tenantId, "2026-03");
      const agreed = await w.billing.reconcile(acme.tenantId, "2026-03");
      assert.equal(agreed.invoiceId, invoice.id);
      assert.equal(agreed.agrees, true);
      assert.deepEqual(
        agreed.plans
          .map((p) => [
            p.usagePlanId,
            p.ledgerRequests,
            p.invoicedRequests,
            p.purchasedTopUpRequests,
            p.billedOverageRequests,
          ])
          .sort(),
        [
          [premium, 2_401_000, 2_401_000, 0, 1_852_613],
          [standard, 400_000, 400_000, 100_000, 254_839],
        ].sort(),
      );
      await writeUsage(w.store, [
        { day: "2026-03-21", tenantId: acme.tenantId, keyId: acme.keyId, planId: premium, requests: 7 },
      ]);
      const drifted = await w.billing.reconcile(acme.tenantId, "2026-03");
      assert.equal(drifted.agrees, false);
      const plan = drifted.plans.find((p) => p.usagePlanId === premium)!;
      assert.deepEqual(
        [plan.ledgerRequests, plan.invoicedRequests, plan.agrees],
        [2_401_007, 2_401_000, false],
      );
      await w.billing.invoices.generate(acme.tenantId, "2026-03");
      assert.equal((await w.billing.reconcile(acme.tenantId, "2026-03")).agrees, true);
    });

    test("a month without an invoice does not reconcile: its usage is not billed yet", async () => {
      const other = await tenantWithKey(w, "unbilled", [standard]);
      await writeUsage(w.store, [
        { day: "2026-03-03", tenantId: other.tenantId, keyId: other.keyId, planId: standard, requests: 5 },
      ]);
      const r = await w.billing.reconcile(other.tenantId, "2026-03");
      assert.equal(r.invoiceId, undefined);
      assert.equal(r.agrees, false);
      assert.deepEqual(
        r.plans.map((p) => [p.ledgerRequests, p.invoicedRequests]),
        [[5, 0]],
      );
    });
  });

  describe(`${dialect}: invoice life cycle`, () => {
    let w: BillingWorld;
    let plan: string;
    let tenant: { tenantId: string; keyId: string };

    before(async () => {
      w = await billingWorld(dialect, { now: Date.UTC(2026, 4, 20) });
      plan = await createPlan(w, "Basic");
      await w.billing.prices.put(plan, {
        currency: "EUR",
        monthlyFee: "10",
        includedRequests: 1_000,
        tiers: [{ unitAmount: "2.00" }],
      });
      tenant = await tenantWithKey(w, "cycle", [plan]);
      await w.billing.subscriptions.create(tenant.tenantId, { usagePlanId: plan, startDate: "2026-05-01" });
      await writeUsage(w.store, [
        { day: "2026-05-02", tenantId: tenant.tenantId, keyId: tenant.keyId, planId: plan, requests: 1_500 },
      ]);
    });
    after(() => w.close());

    test("a month still running can be drafted but not finalized", async () => {
      const draft = await w.billing.invoices.generate(tenant.tenantId, "2026-05");
      // 10.00 fee (31 of 31 days) + 500 overage requests × 2.00 / 1,000 = 1.00 → 11.00
      assert.deepEqual(lines(draft), [
        ["PLAN_FEE", 31, "10.00", "10.00"],
        ["OVERAGE", 500, "2.00", "1.00"],
      ]);
      assert.equal(draft.total, "11.00");
      await assert.rejects(w.billing.invoices.finalize(draft.id), {
        name: "ConflictException",
        message: /2026-05, which has not ended: finalize it on or after 2026-06-01/,
      });
      assert.equal((await w.billing.invoices.get(draft.id)).status, "DRAFT");
    });

    test("a month that has not started cannot be invoiced", async () => {
      await assert.rejects(w.billing.invoices.generate(tenant.tenantId, "2026-06"), {
        name: "BadRequestException",
        message: /Invalid period '2026-06': it has not started yet/,
      });
    });

    test("a finalized invoice never changes; voiding it lets the month be generated anew", async () => {
      w.clock.set(Date.UTC(2026, 5, 1));
      const draft = await w.billing.invoices.generate(tenant.tenantId, "2026-05");
      const finalized = await w.billing.invoices.finalize(draft.id);
      assert.equal(finalized.status, "FINALIZED");
      assert.equal(finalized.finalizedDate, Date.UTC(2026, 5, 1) / 1000);
      // Late usage, a price change and a regeneration leave the finalized invoice as it was.
      await writeUsage(w.store, [
        { day: "2026-05-30", tenantId: tenant.tenantId, keyId: tenant.keyId, planId: plan, requests: 500 },
      ]);
      await w.billing.prices.update(plan, [{ op: "replace", path: "/monthlyFee", value: "12.00" }]);
      assert.deepEqual(await w.billing.invoices.generate(tenant.tenantId, "2026-05"), finalized);
      await assert.rejects(w.billing.invoices.finalize(finalized.id), {
        name: "ConflictException",
        message: /status is FINALIZED and a finalized invoice never changes; void it/,
      });
      await assert.rejects(w.billing.invoices.delete(finalized.id), { name: "ConflictException" });

      const voided = await w.billing.invoices.void(finalized.id);
      assert.equal(voided.status, "VOID");
      assert.deepEqual(voided.lines, finalized.lines);
      await assert.rejects(w.billing.invoices.void(finalized.id), {
        name: "ConflictException",
        message: /it is void/,
      });
      const fresh = await w.billing.invoices.generate(tenant.tenantId, "2026-05");
      assert.notEqual(fresh.id, finalized.id);
      // 12.00 fee + 1,000 overage requests × 2.00 / 1,000 = 2.00 → 14.00
      assert.equal(fresh.total, "14.00");
      assert.deepEqual(
        (await w.billing.invoices.list({ tenantId: tenant.tenantId, period: "2026-05" })).map(
          (i) => i.status,
        ),
        ["VOID", "DRAFT"],
      );
    });

    test("concurrent generations of one month make one invoice", async () => {
      const t = await tenantWithKey(w, "racer", [plan]);
      await w.billing.subscriptions.create(t.tenantId, { usagePlanId: plan, startDate: "2026-05-01" });
      const results = await Promise.all(
        Array.from({ length: 6 }, () => w.billing.invoices.generate(t.tenantId, "2026-05")),
      );
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal((await w.billing.invoices.list({ tenantId: t.tenantId })).length, 1);
    });

    test("a draft is deleted, not voided", async () => {
      const draft = await w.billing.invoices.generate(tenant.tenantId, "2026-05");
      await assert.rejects(w.billing.invoices.void(draft.id), {
        name: "ConflictException",
        message: /it is a draft/,
      });
      await w.billing.invoices.delete(draft.id);
      await assert.rejects(w.billing.invoices.get(draft.id), { name: "NotFoundException" });
    });
  });

  describe(`${dialect}: pay as you go, freemium in yen, and what cannot be invoiced`, () => {
    let w: BillingWorld;
    before(async () => {
      w = await billingWorld(dialect, { now: Date.UTC(2026, 1, 10) });
    });
    after(() => w.close());

    test("a pay-as-you-go plan (no quota, no fee) bills usage from the first request without a subscription", async () => {
      const payg = await createPlan(w, "Pay as you go", null);
      await w.billing.prices.put(payg, { currency: "USD", tiers: [{ unitAmount: "0.0035" }] });
      const t = await tenantWithKey(w, "payg", [payg]);
      await writeUsage(w.store, [
        { day: "2026-02-03", tenantId: t.tenantId, keyId: t.keyId, planId: payg, requests: 1_234_567 },
      ]);
      const invoice = await w.billing.invoices.generate(t.tenantId, "2026-02");
      // 1,234,567 × 0.0035 / 1,000 = 4.3209845 → 4.32
      assert.deepEqual(lines(invoice), [["OVERAGE", 1_234_567, "0.0035", "4.32"]]);
      assert.equal(invoice.total, "4.32");
    });

    test("yen has no minor unit: a freemium tenant moving from Free to ¥1,600 Standard pays whole yen", async () => {
      const free = await createPlan(w, "Free", 1_000);
      const standard = await createPlan(w, "Standard", 100_000);
      await w.billing.prices.put(free, { currency: "jpy", monthlyFee: "0", includedRequests: 1_000 });
      await w.billing.prices.put(standard, {
        currency: "JPY",
        monthlyFee: "1600",
        includedRequests: 100_000,
        tiers: [{ unitAmount: "3" }],
      });
      const t = await tenantWithKey(w, "freemium", [free]);
      await w.billing.subscriptions.create(t.tenantId, { usagePlanId: free, startDate: "2026-02-01" });
      await w.billing.subscriptions.create(t.tenantId, { usagePlanId: standard, startDate: "2026-02-08" });
      await writeUsage(w.store, [
        { day: "2026-02-05", tenantId: t.tenantId, keyId: t.keyId, planId: free, requests: 1_000 },
        { day: "2026-02-09", tenantId: t.tenantId, keyId: t.keyId, planId: standard, requests: 80_000 },
      ]);
      const invoice = await w.billing.invoices.generate(t.tenantId, "2026-02");
      // February 2026 has 28 days. Free Feb 1-7 (7 days), Standard Feb 8-28 (21 days).
      // Free: fee ¥0; included 1,000 × 7 / 28 = 250; usage 1,000 → overage 750, but Free has no tiers: ¥0.
      // Standard: ¥1,600 × 21 / 28 = ¥1,200; included 100,000 × 21 / 28 = 75,000;
      //   overage 80,000 − 75,000 = 5,000 × ¥3 / 1,000 = ¥15. Total ¥1,215.
      assert.deepEqual(lines(invoice), [
        ["PLAN_FEE", 7, "0", "0"],
        ["PLAN_FEE", 21, "1600", "1200"],
        ["OVERAGE", 5_000, "3", "15"],
      ]);
      assert.equal(invoice.currency, "JPY");
      assert.equal(invoice.total, "1215");
    });

    test("an unknown tenant is a 404, an invalid period a 400, and nothing is written", async () => {
      await assert.rejects(w.billing.invoices.generate("nosuchtenant", "2026-02"), {
        name: "NotFoundException",
        message: "Invalid tenant identifier specified: nosuchtenant",
      });
      for (const period of ["2026-13", "2026-2", "february", "2026-02-01"]) {
        await assert.rejects(w.billing.invoices.generate("nosuchtenant", period), {
          name: "BadRequestException",
          message: new RegExp(`Invalid period '${period}': expected a calendar month as YYYY-MM`),
        });
      }
    });

    test("a tenant with nothing to bill, or with plans in two currencies, gets a clear refusal", async () => {
      const idle = await w.tenants.create({ name: "idle" });
      await assert.rejects(w.billing.invoices.generate(idle.id, "2026-02"), {
        name: "BadRequestException",
        message: /Nothing to bill in 2026-02/,
      });
      const dollars = await createPlan(w, "Dollars", null);
      const euros = await createPlan(w, "Euros", null);
      await w.billing.prices.put(dollars, { currency: "USD", tiers: [{ unitAmount: "1" }] });
      await w.billing.prices.put(euros, { currency: "EUR", tiers: [{ unitAmount: "1" }] });
      const t = await tenantWithKey(w, "mixed", [dollars, euros]);
      await writeUsage(w.store, [
        { day: "2026-02-01", tenantId: t.tenantId, keyId: t.keyId, planId: dollars, requests: 1 },
        { day: "2026-02-01", tenantId: t.tenantId, keyId: t.keyId, planId: euros, requests: 1 },
      ]);
      await assert.rejects(w.billing.invoices.generate(t.tenantId, "2026-02"), {
        name: "ConflictException",
        message: /Mixed currencies: usage plan \w+ bills in (USD|EUR) but usage plan \w+ in (EUR|USD)/,
      });
      assert.equal((await w.billing.invoices.list()).filter((i) => i.tenantId === t.tenantId).length, 0);
    });
  });
}
