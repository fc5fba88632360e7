import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ManualClock } from "../../src/core/clock.js";
import { MeteringJobs } from "../../src/metering/index.js";
import { deployEchoApi, planWithKey } from "../helpers/gateway-fixture.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { at, caughtUp, type RestartableTollgate, startRestartableTollgate, statuses } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: usage alerts`, () => {
    const clock = new ManualClock(at("2026-08-03"));
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

    const evaluate = () => t.tollgate.services.usageAlerts.evaluate();

    /**
     * Runs an evaluation, then lists what has fired for the key as [threshold, period start],
     * newest first. The server's own 5 s job may fire first: the listing is the same either way.
     */
    const firedAfterEvaluation = async (keyId: string) => {
      await evaluate();
      const listed = await t.admin("GET", `/usagealerts?keyId=${keyId}`);
      return listed.body.item.map((e: { detail: { threshold: number; period: { start: string } } }) => [
        e.detail.threshold,
        e.detail.period.start,
      ]);
    };

    test("alerts are created, read, listed, patched and deleted in API Gateway's style", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      const base = `/usageplans/${tenant.planId}/alerts`;
      const created = await t.admin("POST", base, { thresholds: [100, 80], description: "80% and 100%" });
      assert.equal(created.status, 201);
      assert.match(created.body.id, /^[a-z0-9]{10}$/);
      assert.deepEqual(
        { ...created.body, id: undefined, createdDate: undefined, lastUpdatedDate: undefined },
        {
          id: undefined,
          usagePlanId: tenant.planId,
          thresholds: [80, 100],
          enabled: true,
          description: "80% and 100%",
          createdDate: undefined,
          lastUpdatedDate: undefined,
        },
      );
      assert.equal(typeof created.body.createdDate, "number");
      const perKey = await t.admin("POST", base, { thresholds: [50], keyId: tenant.keyId });
      assert.equal(perKey.status, 201);
      assert.equal(perKey.body.keyId, tenant.keyId);

      assert.deepEqual((await t.admin("GET", `${base}/${created.body.id}`)).body, created.body);
      const list = await t.admin("GET", base);
      assert.deepEqual(
        list.body.item.map((a: { id: string }) => a.id),
        [created.body.id, perKey.body.id],
      );

      const patched = await t.admin("PATCH", `${base}/${created.body.id}`, {
        patchOperations: [
          { op: "replace", path: "/thresholds", value: "90, 50" },
          { op: "replace", path: "/enabled", value: "false" },
          { op: "remove", path: "/description" },
        ],
      });
      assert.equal(patched.status, 200);
      assert.deepEqual(
        [patched.body.thresholds, patched.body.enabled, patched.body.description],
        [[50, 90], false, undefined],
      );

      assert.equal((await t.admin("DELETE", `${base}/${perKey.body.id}`)).status, 202);
      const gone = await t.admin("GET", `${base}/${perKey.body.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.headers.get("x-amzn-errortype"), "NotFoundException");
    });

    test("bad alerts are 4xx that change nothing", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      const other = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      const unmetered = await planWithKey(t, apiId);
      const base = `/usageplans/${tenant.planId}/alerts`;
      for (const thresholds of [
        [],
        [0],
        [101],
        [50, 50],
        [33.5],
        Array.from({ length: 11 }, (_, i) => i + 1),
      ]) {
        const bad = await t.admin("POST", base, { thresholds });
        assert.equal(bad.status, 400, JSON.stringify(thresholds));
        assert.match(bad.body.message, /threshold/);
      }
      const wrongKey = await t.admin("POST", base, { thresholds: [80], keyId: other.keyId });
      assert.equal(wrongKey.status, 404);
      const noQuota = await t.admin("POST", `/usageplans/${unmetered.planId}/alerts`, { thresholds: [80] });
      assert.equal(noQuota.status, 400);
      assert.match(noQuota.body.message, /has no quota/);
      assert.equal(
        (await t.admin("POST", "/usageplans/nosuchplan/alerts", { thresholds: [80] })).status,
        404,
      );

      const first = await t.admin("POST", base, { thresholds: [80] });
      const twice = await t.admin("POST", base, { thresholds: [90] });
      assert.equal(twice.status, 409);
      assert.match(twice.body.message, /already has a plan-wide usage alert/);
      const half = await t.admin("PATCH", `${base}/${first.body.id}`, {
        patchOperations: [
          { op: "replace", path: "/thresholds", value: "70" },
          { op: "replace", path: "/thresholds", value: "70,abc" },
        ],
      });
      assert.equal(half.status, 400);
      assert.deepEqual(
        (await t.admin("GET", base)).body.item.map((a: { thresholds: number[] }) => a.thresholds),
        [[80]],
      );
    });

    test("thresholds fire once per key and period, at 80% and at 100%, as Quota Threshold Reached events", async () => {
      clock.set(at("2026-08-10"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      await t.admin("POST", `/usageplans/${tenant.planId}/alerts`, { thresholds: [80, 100] });
      await caughtUp(t);

      await statuses(t, 7, tenant.key);
      assert.deepEqual(await firedAfterEvaluation(tenant.keyId), []);
      await statuses(t, 1, tenant.key);
      assert.deepEqual(await firedAfterEvaluation(tenant.keyId), [[80, "2026-08-01T00:00:00.000Z"]]);
      const [eighty] = (await t.admin("GET", `/usagealerts?keyId=${tenant.keyId}`)).body.item;
      assert.equal(eighty["detail-type"], "Quota Threshold Reached");
      assert.equal(eighty.source, "tollgate.metering");
      assert.deepEqual(eighty.detail, {
        usagePlanId: tenant.planId,
        keyId: tenant.keyId,
        tenantId: tenant.tenantId,
        threshold: 80,
        used: 8,
        limit: 10,
        remaining: 2,
        period: {
          unit: "MONTH",
          offset: 0,
          start: "2026-08-01T00:00:00.000Z",
          end: "2026-09-01T00:00:00.000Z",
        },
        alertId: eighty.detail.alertId,
      });
      assert.equal((await firedAfterEvaluation(tenant.keyId)).length, 1, "80% does not fire twice");

      await statuses(t, 3, tenant.key);
      await Promise.all([evaluate(), evaluate(), evaluate()]);
      assert.deepEqual(
        await firedAfterEvaluation(tenant.keyId),
        [
          [100, "2026-08-01T00:00:00.000Z"],
          [80, "2026-08-01T00:00:00.000Z"],
        ],
        "concurrent evaluations fire once",
      );
      assert.equal((await t.admin("GET", `/usagealerts?tenantId=${tenant.tenantId}`)).body.item.length, 2);
      const listed = await t.admin("GET", `/usagealerts?usagePlanId=${tenant.planId}`);
      const outbox = await t.tollgate.store.db
        .selectFrom("event_outbox")
        .select(["detail_type", "published"])
        .where(
          "id",
          "in",
          listed.body.item.map((e: { id: string }) => e.id),
        )
        .execute();
      // The event bus publishes the outbox in the background: `published` may be 0 or 1 by now.
      assert.deepEqual(
        outbox.map((r) => r.detail_type),
        ["Quota Threshold Reached", "Quota Threshold Reached"],
      );

      clock.set(at("2026-09-02"));
      await statuses(t, 8, tenant.key);
      assert.deepEqual(
        (await firedAfterEvaluation(tenant.keyId))[0],
        [80, "2026-09-01T00:00:00.000Z"],
        "a new period fires again",
      );
    });

    test("a key's own alert replaces the plan-wide one for that key; update-usage counts toward thresholds", async () => {
      clock.set(at("2026-10-05"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "MONTH", offset: 0 } });
      await t.admin("POST", `/usageplans/${tenant.planId}/alerts`, { thresholds: [80] });
      await t.admin("POST", `/usageplans/${tenant.planId}/alerts`, { thresholds: [50], keyId: tenant.keyId });
      await caughtUp(t);
      await statuses(t, 5, tenant.key);
      assert.deepEqual(await firedAfterEvaluation(tenant.keyId), [[50, "2026-10-01T00:00:00.000Z"]]);
      await t.tollgate.services.metering.updateUsage(tenant.planId, tenant.keyId, [
        { op: "replace", path: "/remaining", value: "1" },
      ]);
      assert.equal(
        (await firedAfterEvaluation(tenant.keyId)).length,
        1,
        "the plan-wide 80% does not apply to this key",
      );
    });

    test("the periodic job evaluates alerts off the request path", async () => {
      clock.set(at("2026-11-05"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 4, period: "MONTH", offset: 0 } });
      await t.admin("POST", `/usageplans/${tenant.planId}/alerts`, { thresholds: [100] });
      await caughtUp(t);
      await statuses(t, 4, tenant.key);
      const jobs = new MeteringJobs({
        store: t.tollgate.store,
        clock,
        alerts: t.tollgate.services.usageAlerts,
        retentionDays: 400,
        alertIntervalMs: 20,
      });
      jobs.start();
      try {
        let events: unknown[] = [];
        for (let i = 0; i < 100 && events.length === 0; i++) {
          await sleep(20);
          events = (await t.admin("GET", `/usagealerts?keyId=${tenant.keyId}`)).body.item;
        }
        assert.equal(events.length, 1);
      } finally {
        await jobs.close();
      }
    });
  });
}
