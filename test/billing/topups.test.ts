import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Billing, type QuotaExtender } from "../../src/billing/index.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { type BillingWorld, billingWorld, createPlan, tenantWithKey, writeUsage } from "./fixture.js";

/** What a bad purchase must leave untouched: purchases, quota adjustments, the revision. */
async function snapshot(w: BillingWorld) {
  const adjustments = await w.store.db.selectFrom("quota_adjustments").selectAll().execute();
  return {
    topUps: await w.billing.topUps.list(),
    adjustments: adjustments.length,
    revision: await w.store.revision(),
  };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: top-ups`, () => {
    let w: BillingWorld;
    let plan: string;
    let tenant: { tenantId: string; keyId: string };
    let productId: string;

    /** What get-usage says remains of the key's quota today. */
    async function remainingToday(): Promise<number> {
      const usage = await w.metering.getUsage(plan, {
        startDate: "2026-03-05",
        endDate: "2026-03-05",
        keyId: tenant.keyId,
      });
      return usage.values[tenant.keyId]![0]![1];
    }

    before(async () => {
      w = await billingWorld(dialect, { now: Date.UTC(2026, 2, 5, 9) });
      plan = await createPlan(w, "Free", 1_000);
      await w.billing.prices.put(plan, { currency: "USD", includedRequests: 1_000 });
      tenant = await tenantWithKey(w, "topper", [plan]);
      await writeUsage(w.store, [
        { day: "2026-03-05", tenantId: tenant.tenantId, keyId: tenant.keyId, planId: plan, requests: 1_000 },
      ]);
      productId = (
        await w.billing.topUps.createProduct({
          name: "Extra 500",
          requests: 500,
          currency: "usd",
          price: "4.5",
        })
      ).id;
    });
    after(() => w.close());

    test("a product keeps its price exact and its currency in upper case", async () => {
      const product = await w.billing.topUps.getProduct(productId);
      assert.deepEqual(
        [product.name, product.requests, product.currency, product.price],
        ["Extra 500", 500, "USD", "4.50"],
      );
    });

    test("buying a top-up extends the key's current quota and records a purchase for the month's invoice", async () => {
      assert.equal(await remainingToday(), 0);
      const bought = await w.billing.topUps.purchase({
        productId,
        usagePlanId: plan,
        keyId: tenant.keyId,
        quantity: 3,
      });
      // 3 × 500 requests for 3 × 4.50 = 13.50
      assert.deepEqual(
        [
          bought.tenantId,
          bought.period,
          bought.quantity,
          bought.requests,
          bought.unitPrice,
          bought.amount,
          bought.status,
        ],
        [tenant.tenantId, "2026-03", 3, 1_500, "4.50", "13.50", "APPLIED"],
      );
      assert.equal(await remainingToday(), 1_500);
      const adjustment = await w.store.db
        .selectFrom("quota_adjustments")
        .selectAll()
        .executeTakeFirstOrThrow();
      assert.match(adjustment.reason ?? "", new RegExp(`top-up ${bought.id}`));
      assert.deepEqual(await w.billing.topUps.list({ tenantId: tenant.tenantId, period: "2026-03" }), [
        bought,
      ]);
      const invoice = await w.billing.invoices.generate(tenant.tenantId, "2026-03");
      const line = invoice.lines.find((l) => l.type === "TOP_UP")!;
      assert.deepEqual(
        [line.topUpId, line.quantity, line.unitAmount, line.amount, line.requests],
        [bought.id, 3, "4.50", "13.50", 1_500],
      );
    });

    test("zero, negative or fractional quantities are a 400 and change nothing", async () => {
      const before = await snapshot(w);
      for (const quantity of [0, -1, -500, 1.5]) {
        await assert.rejects(
          w.billing.topUps.purchase({ productId, usagePlanId: plan, keyId: tenant.keyId, quantity }),
          {
            name: "BadRequestException",
            message: new RegExp(`Invalid quantity '${quantity}': must be a whole number from 1`),
          },
        );
      }
      assert.deepEqual(await snapshot(w), before);
      assert.equal(await remainingToday(), 1_500);
    });

    test("a key off the plan, a plan without quota, another tenant or another currency is refused, changing nothing", async () => {
      const other = await tenantWithKey(w, "other", []);
      const noQuota = await createPlan(w, "Unlimited", null);
      await w.keys.addToPlan(noQuota, { keyId: tenant.keyId, keyType: "API_KEY" });
      const euros = await w.billing.topUps.createProduct({
        name: "Euro pack",
        requests: 10,
        currency: "EUR",
        price: "1",
      });
      const before = await snapshot(w);
      const cases: Array<[Parameters<typeof w.billing.topUps.purchase>[0], string, RegExp]> = [
        [
          { productId, usagePlanId: plan, keyId: other.keyId },
          "NotFoundException",
          /API Key \w+ is not on Usage Plan/,
        ],
        [
          { productId, usagePlanId: noQuota, keyId: tenant.keyId },
          "BadRequestException",
          /has no quota: there is nothing for a top-up to extend/,
        ],
        [
          { productId, usagePlanId: plan, keyId: tenant.keyId, tenantId: other.tenantId },
          "BadRequestException",
          /belongs to tenant/,
        ],
        [
          { productId: euros.id, usagePlanId: plan, keyId: tenant.keyId },
          "BadRequestException",
          /priced in EUR but usage plan \w+ bills in USD/,
        ],
        [
          { productId: "nosuchprod", usagePlanId: plan, keyId: tenant.keyId },
          "NotFoundException",
          /top-up product identifier/,
        ],
        [
          { productId, usagePlanId: plan, keyId: "nosuchkey0" },
          "NotFoundException",
          /Invalid API Key identifier specified: nosuchkey0/,
        ],
      ];
      for (const [input, name, message] of cases) {
        await assert.rejects(w.billing.topUps.purchase(input), { name, message });
      }
      assert.deepEqual(await snapshot(w), before);
    });

    test("a failed quota extension leaves no purchase to bill", async () => {
      const failing: QuotaExtender = {
        extendQuota: async () => {
          throw new Error("counter store down");
        },
      };
      const billing = new Billing(w.store, w.clock, failing);
      const before = await w.billing.topUps.list();
      await assert.rejects(
        billing.topUps.purchase({ productId, usagePlanId: plan, keyId: tenant.keyId }),
        /counter store down/,
      );
      assert.deepEqual(await w.billing.topUps.list(), before);
    });

    for (const extendedBeforeTheCrash of [true, false]) {
      test(`a purchase a crash left PENDING (${extendedBeforeTheCrash ? "after" : "before"} its extension) is completed once at the next start`, async () => {
        // The process "dies" inside the extension: its promise never settles, the row stays PENDING.
        const dying: QuotaExtender = {
          extendQuota: (planId, keyId, extra, reason, id) =>
            (extendedBeforeTheCrash
              ? w.metering.extendQuota(planId, keyId, extra, reason, id)
              : Promise.resolve()
            ).then(() => new Promise(() => {})),
        };
        const before = await remainingToday();
        void new Billing(w.store, w.clock, dying).topUps.purchase({
          productId,
          usagePlanId: plan,
          keyId: tenant.keyId,
        });
        await new Promise((r) => setTimeout(r, 50));
        const pending = (await w.billing.topUps.list()).filter((t) => t.status === "PENDING");
        assert.equal(pending.length, 1);
        // Young PENDING purchases may still be in flight in another process: left alone.
        assert.deepEqual(await w.billing.topUps.completePending(), { applied: 0, removed: 0 });
        w.clock.advance(120_000);
        assert.deepEqual(await w.billing.topUps.completePending(), { applied: 1, removed: 0 });
        assert.equal((await w.billing.topUps.get(pending[0]!.id)).status, "APPLIED");
        assert.equal(await remainingToday(), before + 500);
        assert.deepEqual(await w.billing.topUps.completePending(), { applied: 0, removed: 0 });
      });
    }
  });
}
