import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { ManualClock } from "../../src/core/clock.js";
import { pruneUsage, usageRetentionDays } from "../../src/metering/index.js";
import { call, deployEchoApi, type PlanWithKey, planWithKey } from "../helpers/gateway-fixture.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import {
  at,
  caughtUp,
  ledgerCommitted,
  type RestartableTollgate,
  startRestartableTollgate,
  statuses,
} from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: reconciliation, the usage report and retention`, () => {
    const clock = new ManualClock(at("2026-09-14"));
    let t: RestartableTollgate;
    let upstream: Upstream;
    let apiId: string;
    let a: PlanWithKey;
    let b: PlanWithKey;

    before(async () => {
      upstream = await startUpstream();
      t = await startRestartableTollgate({ dialect, clock });
      apiId = await deployEchoApi(t, upstream.url);
      a = await planWithKey(t, apiId, {
        quota: { limit: 50, period: "MONTH", offset: 0 },
        tenantName: "acme",
      });
      b = await planWithKey(t, apiId, {
        quota: { limit: 50, period: "WEEK", offset: 0 },
        tenantName: "globex",
      });
      await caughtUp(t);
      clock.set(at("2026-09-13"));
      await statuses(t, 2, a.key);
      await statuses(t, 1, b.key, "/dev/pets/7");
      clock.set(at("2026-09-14"));
      await statuses(t, 3, a.key);
      await statuses(t, 2, a.key, "/dev/pets/1");
      await call(t, "/dev/pets", { key: b.key, method: "POST", body: "{}" });
      await ledgerCommitted(t);
    });
    after(async () => {
      await t.close();
      await upstream.close();
    });

    const reconcile = (planId: string, query = "") =>
      t.admin("GET", `/usageplans/${planId}/reconciliation${query}`);

    test("ledger, get-usage and quota counters agree for the current period, after an update-usage too", async () => {
      await t.tollgate.services.metering.updateUsage(a.planId, a.keyId, [
        { op: "replace", path: "/remaining", value: "10" },
      ]);
      await statuses(t, 1, a.key);
      const result = await reconcile(a.planId);
      assert.equal(result.status, 200);
      assert.equal(result.body.agreed, true, JSON.stringify(result.body));
      assert.deepEqual(result.body.quotaPeriod, {
        startDate: "2026-09-01",
        endDate: "2026-09-30",
        limit: 50,
      });
      assert.deepEqual(result.body.item, [
        {
          keyId: a.keyId,
          ledger: 8,
          reported: 8,
          adjustments: 33,
          effective: 41,
          counter: 41,
          remaining: 9,
          agreed: true,
          problems: [],
        },
      ]);
      const weekly = await reconcile(b.planId);
      assert.deepEqual([weekly.body.startDate, weekly.body.endDate], ["2026-09-13", "2026-09-19"]);
      assert.equal(weekly.body.agreed, true);
    });

    test("a tampered ledger is reported per key, with what disagrees", async () => {
      await t.tollgate.store.db
        .updateTable("usage_counts")
        .set({ requests: sql`requests + 3` })
        .where("key_id", "=", b.keyId)
        .where("day", "=", "2026-09-14")
        .execute();
      const result = await reconcile(b.planId);
      assert.equal(result.body.agreed, false);
      const [row] = result.body.item;
      assert.deepEqual([row.ledger, row.effective, row.counter, row.agreed], [5, 5, 2, false]);
      assert.match(row.problems.join("; "), /the quota counter holds 2, the ledger plus adjustments give 5/);
    });

    test("a remaining quota above the limit is held by the counters: the gateway admits exactly that many", async () => {
      const c = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      await caughtUp(t);
      await t.tollgate.services.metering.updateUsage(c.planId, c.keyId, [
        { op: "replace", path: "/remaining", value: "8" },
      ]);
      const [before] = (await reconcile(c.planId)).body.item;
      assert.deepEqual(
        [before.effective, before.counter, before.remaining, before.agreed],
        [-3, -3, 8, true],
      );
      const seen = await statuses(t, 10, c.key);
      assert.deepEqual(seen, [...Array(8).fill(200), 429, 429]);
      const [after] = (await reconcile(c.planId)).body.item;
      assert.deepEqual([after.effective, after.counter, after.remaining, after.agreed], [5, 5, 0, true]);
    });

    test("a past month is reconciled between ledger and get-usage; a bad period is a 400", async () => {
      const august = await reconcile(a.planId, "?period=2026-08");
      assert.equal(august.status, 200);
      assert.deepEqual(
        [august.body.startDate, august.body.endDate, august.body.quotaPeriod],
        ["2026-08-01", "2026-08-31", undefined],
      );
      assert.deepEqual(
        august.body.item.map((r: { ledger: number }) => r.ledger),
        [0],
      );
      const bad = await reconcile(a.planId, "?period=2026-13");
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /Invalid period '2026-13'/);
      assert.equal((await reconcile("nosuchplan")).status, 404);
    });

    test("the usage report sums requests per tenant and method, with names, over any range", async () => {
      const report = await t.admin(
        "GET",
        `/usage?startDate=2026-01-01&endDate=2026-09-14&groupBy=tenant,method&tenantId=${a.tenantId}`,
      );
      assert.equal(report.status, 200);
      assert.deepEqual(report.body.groupBy, ["tenant", "method"]);
      assert.deepEqual(
        report.body.item.map((r: Record<string, unknown>) => [
          r.tenantName,
          r.httpMethod,
          r.resourcePath,
          r.requests,
        ]),
        [
          ["acme", "GET", "/pets", 6],
          ["acme", "GET", "/pets/{petId}", 2],
        ],
      );
      const byDay = await t.admin("GET", `/usage?startDate=2026-09-13&endDate=2026-09-13&groupBy=day,key`);
      assert.deepEqual(
        byDay.body.item.map((r: Record<string, unknown>) => [r.day, r.keyId, r.requests]).sort(),
        [
          ["2026-09-13", a.keyId, 2],
          ["2026-09-13", b.keyId, 1],
        ].sort(),
      );
      const bad = await t.admin("GET", "/usage?startDate=2026-09-13&endDate=2026-09-14&groupBy=colour");
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /Invalid groupBy 'colour'/);
    });

    test("pruning keeps the retention window and deletes older ledger rows", async () => {
      const db = t.tollgate.store.db;
      const old = {
        key_id: a.keyId,
        usage_plan_id: a.planId,
        tenant_id: a.tenantId,
        rest_api_id: apiId,
        stage: "dev",
        resource_path: "/pets",
        http_method: "GET",
        requests: 9,
      };
      await db
        .insertInto("usage_counts")
        .values([
          { ...old, day: "2026-06-15" },
          { ...old, day: "2026-06-16" },
        ])
        .execute();
      const pruned = await pruneUsage(t.tollgate.store, clock.now(), 90);
      assert.equal(pruned.keptFrom, "2026-06-16");
      assert.equal(pruned.usageCounts, 1);
      const days = await db
        .selectFrom("usage_counts")
        .select("day")
        .where("day", "<", "2026-07-01")
        .execute();
      assert.deepEqual(
        days.map((d) => d.day),
        ["2026-06-16"],
      );
    });

    test("TOLLGATE_USAGE_RETENTION_DAYS defaults to 400 and must be at least 90", () => {
      assert.equal(usageRetentionDays({}), 400);
      assert.equal(usageRetentionDays({ TOLLGATE_USAGE_RETENTION_DAYS: "90" }), 90);
      for (const bad of ["89", "a year", "120.5"]) {
        assert.throws(() => usageRetentionDays({ TOLLGATE_USAGE_RETENTION_DAYS: bad }), /at least 90/);
      }
    });
  });
}
