import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetUsageCommand, UpdateUsageCommand } from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { deployEchoApi, planWithKey } from "../helpers/gateway-fixture.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { at, caughtUp, type RestartableTollgate, startRestartableTollgate, statuses } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: update-usage and quota extensions`, () => {
    const clock = new ManualClock(at("2026-03-01"));
    let t: RestartableTollgate;
    let upstream: Upstream;
    let apiId: string;

    before(async () => {
      upstream = await startUpstream();
      t = await startRestartableTollgate({ dialect, clock });
      apiId = await deployEchoApi(t, upstream.url);
    });
    after(async () => {
      await t.close();
      await upstream.close();
    });

    test("UpdateUsage sets the remaining quota of the current period; the gateway then admits exactly that many", async () => {
      clock.set(at("2026-03-02"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      await caughtUp(t);
      await statuses(t, 3, tenant.key);
      clock.set(at("2026-03-03"));
      await statuses(t, 1, tenant.key);

      const updated = await t.apigateway.send(
        new UpdateUsageCommand({
          usagePlanId: tenant.planId,
          keyId: tenant.keyId,
          patchOperations: [{ op: "replace", path: "/remaining", value: "2" }],
        }),
      );
      assert.equal(updated.usagePlanId, tenant.planId);
      assert.equal(updated.startDate, "2026-03-01");
      assert.equal(updated.endDate, "2026-03-03");
      assert.deepEqual(updated.items?.[tenant.keyId], [
        [0, 10],
        [3, 7],
        [1, 2],
      ]);
      assert.deepEqual(await statuses(t, 3, tenant.key), [200, 200, 429]);

      const usage = await t.apigateway.send(
        new GetUsageCommand({ usagePlanId: tenant.planId, startDate: "2026-03-02", endDate: "2026-03-04" }),
      );
      assert.deepEqual(usage.items?.[tenant.keyId], [
        [3, 7],
        [3, 0],
        [0, 0],
      ]);
    });

    test("raising the remaining quota of a spent key lets it through again, for this period only", async () => {
      clock.set(at("2026-03-10"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 3, period: "MONTH", offset: 0 } });
      await caughtUp(t);
      assert.deepEqual(await statuses(t, 4, tenant.key), [200, 200, 200, 429]);
      const updated = await t.admin("PATCH", `/usageplans/${tenant.planId}/keys/${tenant.keyId}/usage`, {
        patchOperations: [{ op: "replace", path: "/remaining", value: "2" }],
      });
      assert.equal(updated.status, 200);
      assert.deepEqual(updated.body.values[tenant.keyId].at(-1), [3, 2]);
      assert.deepEqual(await statuses(t, 3, tenant.key), [200, 200, 429]);
      clock.set(at("2026-04-01"));
      assert.deepEqual(
        await statuses(t, 4, tenant.key),
        [200, 200, 200, 429],
        "the next month starts afresh",
      );
    });

    test("extendQuota adds requests to the current period and returns the new remaining", async () => {
      clock.set(at("2026-05-05"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 5, period: "MONTH", offset: 0 } });
      await caughtUp(t);
      assert.deepEqual(await statuses(t, 6, tenant.key), [200, 200, 200, 200, 200, 429]);
      const metering = t.tollgate.services.metering;
      assert.equal(await metering.extendQuota(tenant.planId, tenant.keyId, 3, "top-up: 3 requests"), 3);
      assert.deepEqual(await statuses(t, 2, tenant.key), [200, 200]);
      assert.equal(await metering.extendQuota(tenant.planId, tenant.keyId, 2, "second top-up"), 3);
      assert.deepEqual(await statuses(t, 4, tenant.key), [200, 200, 200, 429]);
      const usage = await t.apigateway.send(
        new GetUsageCommand({ usagePlanId: tenant.planId, startDate: "2026-05-05", endDate: "2026-05-05" }),
      );
      assert.deepEqual(usage.items?.[tenant.keyId], [[10, 0]]);
      const rows = await t.tollgate.store.db
        .selectFrom("quota_adjustments")
        .select(["kind", "reason", "remaining"])
        .where("key_id", "=", tenant.keyId)
        .orderBy("created_at")
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.kind, r.reason, Number(r.remaining)]),
        [
          ["extend", "top-up: 3 requests", 3],
          ["extend", "second top-up", 3],
        ],
      );
    });

    test("extendQuota refuses a count that is not a positive whole number, and keys not on the plan", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      const stranger = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      const metering = t.tollgate.services.metering;
      for (const bad of [0, -3, 1.5, Number.NaN]) {
        await assert.rejects(metering.extendQuota(tenant.planId, tenant.keyId, bad, "bad"), {
          name: "BadRequestException",
          message: /extraRequests/,
        });
      }
      await assert.rejects(metering.extendQuota(tenant.planId, stranger.keyId, 1, "wrong plan"), {
        name: "NotFoundException",
        message: /not on Usage Plan/,
      });
      await assert.rejects(metering.extendQuota("nosuchplan", tenant.keyId, 1, "no plan"), {
        name: "NotFoundException",
        message: /Invalid Usage Plan ID specified/,
      });
      const rows = await t.tollgate.store.db
        .selectFrom("quota_adjustments")
        .select("id")
        .where("key_id", "in", [tenant.keyId, stranger.keyId])
        .execute();
      assert.equal(rows.length, 0);
    });

    test("after a restart on the same data, the gateway honours the adjusted remaining quota", async () => {
      clock.set(at("2026-06-10"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 20, period: "MONTH", offset: 0 } });
      const fresh = await planWithKey(t, apiId, { quota: { limit: 20, period: "MONTH", offset: 0 } });
      await caughtUp(t);
      await statuses(t, 4, tenant.key);
      await t.apigateway.send(
        new UpdateUsageCommand({
          usagePlanId: tenant.planId,
          keyId: tenant.keyId,
          patchOperations: [{ op: "replace", path: "/remaining", value: "3" }],
        }),
      );
      // A key that never called: its adjustment alone must survive the restart.
      await t.tollgate.services.metering.updateUsage(fresh.planId, fresh.keyId, [
        { op: "replace", path: "/remaining", value: "1" },
      ]);
      await statuses(t, 1, tenant.key);

      await t.restart();
      await caughtUp(t);
      assert.deepEqual(await statuses(t, 3, tenant.key), [200, 200, 429]);
      assert.deepEqual(await statuses(t, 2, fresh.key), [200, 429]);
      const usage = await t.apigateway.send(
        new GetUsageCommand({
          usagePlanId: tenant.planId,
          keyId: tenant.keyId,
          startDate: "2026-06-10",
          endDate: "2026-06-10",
        }),
      );
      assert.deepEqual(usage.items?.[tenant.keyId], [[7, 0]]);
    });
  });
}
