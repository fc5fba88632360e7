import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetUsageCommand, UpdateUsageCommand } from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { deployEchoApi, type PlanWithKey, planWithKey } from "../helpers/gateway-fixture.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { at, caughtUp, type RestartableTollgate, startRestartableTollgate, statuses } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: usage bad inputs are clear 4xx that change nothing`, () => {
    const clock = new ManualClock(at("2026-07-15"));
    let t: RestartableTollgate;
    let upstream: Upstream;
    let tenant: PlanWithKey;
    let stranger: PlanWithKey;
    let unmetered: PlanWithKey;

    /** The adjustments stored for the test's keys: none may appear. */
    const adjustments = async () =>
      (
        await t.tollgate.store.db
          .selectFrom("quota_adjustments")
          .select("id")
          .where("key_id", "in", [tenant.keyId, stranger.keyId, unmetered.keyId])
          .execute()
      ).length;

    before(async () => {
      upstream = await startUpstream();
      t = await startRestartableTollgate({ dialect, clock });
      const apiId = await deployEchoApi(t, upstream.url);
      tenant = await planWithKey(t, apiId, { quota: { limit: 5, period: "MONTH", offset: 0 } });
      stranger = await planWithKey(t, apiId, { quota: { limit: 5, period: "MONTH", offset: 0 } });
      unmetered = await planWithKey(t, apiId);
      await caughtUp(t);
      await statuses(t, 2, tenant.key);
    });
    after(async () => {
      await t.close();
      await upstream.close();
    });

    const range = (startDate: string, endDate: string) =>
      t.admin("GET", `/usageplans/${tenant.planId}/usage?startDate=${startDate}&endDate=${endDate}`);

    test("a reversed date range is a 400 BadRequestException saying so", async () => {
      const reversed = await range("2026-07-15", "2026-07-01");
      assert.equal(reversed.status, 400);
      assert.equal(reversed.headers.get("x-amzn-errortype"), "BadRequestException");
      assert.match(reversed.body.message, /startDate 2026-07-15 is after endDate 2026-07-01/);
      await assert.rejects(
        t.apigateway.send(
          new GetUsageCommand({ usagePlanId: tenant.planId, startDate: "2026-07-15", endDate: "2026-07-14" }),
        ),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
          error.name === "BadRequestException" && error.$metadata?.httpStatusCode === 400,
      );
    });

    test("a range of more than 90 days is refused; exactly 90 days is answered", async () => {
      const tooLong = await range("2026-04-16", "2026-07-15");
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.body.message, /91 days.*can't exceed 90 days/);
      const longest = await range("2026-04-17", "2026-07-15");
      assert.equal(longest.status, 200);
      assert.equal(longest.body.values[tenant.keyId].length, 90);
    });

    test("malformed or missing dates are 400s naming the parameter", async () => {
      for (const [startDate, endDate, name] of [
        ["2026-7-01", "2026-07-02", "startDate"],
        ["2026-02-30", "2026-03-01", "startDate"],
        ["2026-07-01", "yesterday", "endDate"],
        ["2026-07-01T00:00:00Z", "2026-07-02", "startDate"],
      ]) {
        const bad = await range(startDate!, endDate!);
        assert.equal(bad.status, 400, `${startDate}..${endDate}`);
        assert.match(
          bad.body.message,
          new RegExp(`Invalid ${name} '.*': expected a date in the form YYYY-MM-DD`),
        );
      }
      const missing = await t.admin("GET", `/usageplans/${tenant.planId}/usage?endDate=2026-07-02`);
      assert.equal(missing.status, 400);
      assert.match(missing.body.message, /startDate is required/);
    });

    test("an unknown plan or key is a 404 NotFoundException", async () => {
      const plan = await t.admin(
        "GET",
        "/usageplans/nosuchplan/usage?startDate=2026-07-01&endDate=2026-07-02",
      );
      assert.equal(plan.status, 404);
      assert.match(plan.body.message, /Invalid Usage Plan ID specified: nosuchplan/);
      await assert.rejects(
        t.apigateway.send(
          new GetUsageCommand({
            usagePlanId: tenant.planId,
            keyId: "nosuchkey",
            startDate: "2026-07-01",
            endDate: "2026-07-02",
          }),
        ),
        { name: "NotFoundException", message: /Invalid API Key identifier specified: nosuchkey/ },
      );
    });

    test("UpdateUsage refuses unknown keys, keys not on the plan and plans without quota, changing nothing", async () => {
      const replace = [{ op: "replace" as const, path: "/remaining", value: "1" }];
      await assert.rejects(
        t.apigateway.send(
          new UpdateUsageCommand({
            usagePlanId: tenant.planId,
            keyId: "nosuchkey",
            patchOperations: replace,
          }),
        ),
        { name: "NotFoundException", message: /Invalid API Key identifier specified/ },
      );
      await assert.rejects(
        t.apigateway.send(
          new UpdateUsageCommand({
            usagePlanId: tenant.planId,
            keyId: stranger.keyId,
            patchOperations: replace,
          }),
        ),
        { name: "NotFoundException", message: new RegExp(`API Key ${stranger.keyId} is not on Usage Plan`) },
      );
      await assert.rejects(
        t.apigateway.send(
          new UpdateUsageCommand({
            usagePlanId: "nosuchplan",
            keyId: tenant.keyId,
            patchOperations: replace,
          }),
        ),
        { name: "NotFoundException", message: /Invalid Usage Plan ID specified/ },
      );
      await assert.rejects(
        t.apigateway.send(
          new UpdateUsageCommand({
            usagePlanId: unmetered.planId,
            keyId: unmetered.keyId,
            patchOperations: replace,
          }),
        ),
        { name: "BadRequestException", message: /has no quota/ },
      );
      assert.equal(await adjustments(), 0);
    });

    test("UpdateUsage refuses a negative, fractional or non-numeric remaining and other paths, changing nothing", async () => {
      const path = `/usageplans/${tenant.planId}/keys/${tenant.keyId}/usage`;
      for (const [operation, message] of [
        [{ op: "replace", path: "/remaining", value: "-1" }, /must be at least 0/],
        [{ op: "replace", path: "/remaining", value: "2.5" }, /expected an integer/],
        [{ op: "replace", path: "/remaining", value: "lots" }, /expected an integer/],
        [{ op: "replace", path: "/remaining" }, /value is required/],
        [{ op: "add", path: "/remaining", value: "3" }, /Invalid patch operation 'add'.*only 'replace'/],
        [{ op: "replace", path: "/used", value: "3" }, /Invalid patch path '\/used'.*\[\/remaining\]/],
      ] as const) {
        const bad = await t.admin("PATCH", path, {
          patchOperations: [{ op: "replace", path: "/remaining", value: "4" }, operation],
        });
        assert.equal(bad.status, 400, JSON.stringify(operation));
        assert.equal(bad.headers.get("x-amzn-errortype"), "BadRequestException");
        assert.match(bad.body.message, message);
      }
      assert.equal(await adjustments(), 0);
      assert.deepEqual(await statuses(t, 4, tenant.key), [200, 200, 200, 429], "remaining is still 3");
    });
  });
}
