import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import {
  call,
  echoApiWorld,
  gatewayCaughtUp,
  type PlanWithKey,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { DIALECTS, type TestTollgate } from "../helpers/tollgate.js";
import type { Upstream } from "../helpers/upstream.js";

/** Sends `n` requests one after another and returns their statuses. */
async function statuses(t: TestTollgate, n: number, key: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(t, "/dev/pets", { key })).status);
  return out;
}

for (const dialect of DIALECTS)
  describe(`${dialect}: billing end to end: requests through the gateway, a top-up, the month's invoice`, () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 5, 12));
    const w = echoApiWorld({ dialect, clock });
    let t: TestTollgate;
    let upstream: Upstream;
    let tenant: PlanWithKey;

    before(async () => {
      ({ t, upstream } = w);
      tenant = await planWithKey(t, w.apiId, {
        quota: { limit: 10, period: "MONTH", offset: 0 },
        tenantName: "gateway-co",
      });
      const price = await t.admin("PUT", `/usageplans/${tenant.planId}/price`, {
        currency: "USD",
        monthlyFee: "10.00",
        includedRequests: 5,
        tiers: [{ upTo: 3, unitAmount: "1000.00" }, { unitAmount: "500.00" }],
      });
      assert.equal(price.status, 201);
      const sub = await t.admin("POST", `/tenants/${tenant.tenantId}/subscriptions`, {
        usagePlanId: tenant.planId,
        startDate: "2026-03-01",
      });
      assert.equal(sub.status, 201);
      await gatewayCaughtUp(t);
    });

    test("a top-up admits exactly its extra requests, and the invoice bills fee, overage and top-up to the cent", async () => {
      assert.deepEqual(await statuses(t, 11, tenant.key), [...Array(10).fill(200), 429]);
      const product = await t.admin("POST", "/topupproducts", {
        name: "Five more",
        requests: 5,
        currency: "USD",
        price: "2.50",
      });
      const bought = await t.admin("POST", "/topups", {
        productId: product.body.id,
        usagePlanId: tenant.planId,
        keyId: tenant.keyId,
      });
      assert.equal(bought.status, 201, JSON.stringify(bought.body));
      assert.deepEqual(await statuses(t, 6, tenant.key), [...Array(5).fill(200), 429]);

      clock.set(Date.UTC(2026, 3, 1, 0, 0, 1));
      const generated = await t.admin("POST", "/invoices", { tenantId: tenant.tenantId, period: "2026-03" });
      assert.equal(generated.status, 201, JSON.stringify(generated.body));
      const finalized = await t.admin("POST", `/invoices/${generated.body.id}/finalize`);
      assert.equal(finalized.status, 200);
      // The gateway admitted 10 + 5 = 15 requests in March. Held all 31 days: fee 10.00, 5 included.
      // Top-up: 5 requests for 2.50. Overage 15 − 5 − 5 = 5, graduated per 1,000 requests:
      //   tier 1: 3 × 1000.00 / 1,000 = 3.00; tier 2: 2 × 500.00 / 1,000 = 1.00
      // Total: 10.00 + 3.00 + 1.00 + 2.50 = 16.50
      assert.deepEqual(
        finalized.body.lines.map((l: { type: string; quantity: number; amount: string }) => [
          l.type,
          l.quantity,
          l.amount,
        ]),
        [
          ["PLAN_FEE", 31, "10.00"],
          ["OVERAGE", 3, "3.00"],
          ["OVERAGE", 2, "1.00"],
          ["TOP_UP", 1, "2.50"],
        ],
      );
      assert.equal(finalized.body.total, "16.50");
      assert.equal(upstream.count(), 15);
      const recon = await t.admin("GET", `/tenants/${tenant.tenantId}/reconciliations/2026-03`);
      assert.deepEqual(
        [
          recon.body.agrees,
          recon.body.plans[0].ledgerRequests,
          recon.body.plans[0].invoicedRequests,
          recon.body.plans[0].invoicedTopUpRequests,
        ],
        [true, 15, 15, 5],
      );
    });
  });
