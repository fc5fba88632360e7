import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateApiKeyCommand, CreateUsagePlanKeyCommand, GetUsageCommand } from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { deployEchoApi, planWithKey } from "../helpers/gateway-fixture.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { at, caughtUp, type RestartableTollgate, startRestartableTollgate, statuses } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: get-usage`, () => {
    const clock = new ManualClock(at("2026-01-01"));
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

    test("a MONTH quota: one [used, remaining] pair per day, remaining counted within each month, through the SDK", async () => {
      clock.set(at("2026-01-29"));
      const tenant = await planWithKey(t, apiId, { quota: { limit: 100, period: "MONTH", offset: 0 } });
      const idle = await t.apigateway.send(new CreateApiKeyCommand({ name: "idle", enabled: true }));
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: tenant.planId, keyId: idle.id!, keyType: "API_KEY" }),
      );
      await caughtUp(t);
      for (const [day, n] of [
        ["2026-01-30", 3],
        ["2026-01-31", 2],
        ["2026-02-01", 4],
      ] as const) {
        clock.set(at(day));
        assert.deepEqual(await statuses(t, n, tenant.key), Array(n).fill(200));
      }
      clock.set(at("2026-02-02"));
      const usage = await t.apigateway.send(
        new GetUsageCommand({ usagePlanId: tenant.planId, startDate: "2026-01-29", endDate: "2026-02-03" }),
      );
      assert.equal(usage.usagePlanId, tenant.planId);
      assert.equal(usage.startDate, "2026-01-29");
      assert.equal(usage.endDate, "2026-02-03");
      assert.deepEqual(usage.items?.[tenant.keyId], [
        [0, 100],
        [3, 97],
        [2, 95],
        [4, 96],
        [0, 96],
        [0, 96],
      ]);
      assert.deepEqual(usage.items?.[idle.id!], Array(6).fill([0, 100]), "a key without usage reads zeros");
      assert.equal(usage.position, undefined);
    });

    test("a WEEK quota with offset 1 restarts on Monday; the raw JSON says `values`, as AWS sends it", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 10, period: "WEEK", offset: 1 } });
      await caughtUp(t);
      // Sat 28, Sun 29 and Mon 30 November 2026.
      for (const [day, n] of [
        ["2026-11-28", 2],
        ["2026-11-29", 3],
        ["2026-11-30", 1],
      ] as const) {
        clock.set(at(day));
        await statuses(t, n, tenant.key);
      }
      const raw = await t.admin(
        "GET",
        `/usageplans/${tenant.planId}/usage?startDate=2026-11-27&endDate=2026-11-30`,
      );
      assert.equal(raw.status, 200);
      assert.deepEqual(raw.body, {
        usagePlanId: tenant.planId,
        startDate: "2026-11-27",
        endDate: "2026-11-30",
        values: {
          [tenant.keyId]: [
            [0, 10],
            [2, 8],
            [3, 5],
            [1, 9],
          ],
        },
      });
    });

    test("a DAY quota: remaining is the limit minus that day's use; keyId narrows the answer", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      const other = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      await caughtUp(t);
      clock.set(at("2026-12-01", 23));
      assert.deepEqual(await statuses(t, 6, tenant.key), [200, 200, 200, 200, 200, 429]);
      clock.set(at("2026-12-02", 0));
      await statuses(t, 2, tenant.key);
      await statuses(t, 1, other.key);
      const usage = await t.apigateway.send(
        new GetUsageCommand({
          usagePlanId: tenant.planId,
          keyId: tenant.keyId,
          startDate: "2026-12-01",
          endDate: "2026-12-02",
        }),
      );
      assert.deepEqual(usage.items, {
        [tenant.keyId]: [
          [5, 0],
          [2, 3],
        ],
      });
    });

    test("a plan without quota reports each day's use with a remaining of 0", async () => {
      const tenant = await planWithKey(t, apiId);
      await caughtUp(t);
      clock.set(at("2026-12-10"));
      await statuses(t, 3, tenant.key);
      const usage = await t.apigateway.send(
        new GetUsageCommand({ usagePlanId: tenant.planId, startDate: "2026-12-09", endDate: "2026-12-10" }),
      );
      assert.deepEqual(usage.items, {
        [tenant.keyId]: [
          [0, 0],
          [3, 0],
        ],
      });
    });

    test("keys are paged by limit and position", async () => {
      const tenant = await planWithKey(t, apiId, { quota: { limit: 7, period: "MONTH", offset: 0 } });
      for (const name of ["second", "third"]) {
        const key = await t.apigateway.send(new CreateApiKeyCommand({ name, enabled: true }));
        await t.apigateway.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: tenant.planId, keyId: key.id!, keyType: "API_KEY" }),
        );
      }
      const seen: string[] = [];
      let position: string | undefined;
      do {
        const page = await t.apigateway.send(
          new GetUsageCommand({
            usagePlanId: tenant.planId,
            startDate: "2026-12-10",
            endDate: "2026-12-10",
            limit: 2,
            position,
          }),
        );
        seen.push(...Object.keys(page.items ?? {}));
        position = page.position;
      } while (position);
      assert.equal(seen.length, 3);
      assert.equal(new Set(seen).size, 3);
      assert.ok(seen.includes(tenant.keyId));
    });
  });
}
