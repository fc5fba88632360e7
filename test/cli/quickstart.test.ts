import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  GetRestApisCommand,
  GetStagesCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { quickstartBanner, resolveSettings, startTollgate } from "../../src/server/index.js";
import {
  DIALECTS,
  freshPostgresDatabase,
  startTestTollgate,
  type TestTollgate,
} from "../helpers/tollgate.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: quick start`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect, quickstart: true });
    });
    after(() => t.close());

    test("an empty store gets the example API on stage dev, Free and Premium plans, two tenants and their keys", async () => {
      const apis = (await t.apigateway.send(new GetRestApisCommand({}))).items ?? [];
      assert.deepEqual(
        apis.map((a) => a.name),
        ["petstore"],
      );
      const apiId = apis[0]!.id!;
      const stages = (await t.apigateway.send(new GetStagesCommand({ restApiId: apiId }))).item ?? [];
      assert.deepEqual(
        stages.map((s) => s.stageName),
        ["dev"],
      );
      const resources = (await t.admin("GET", `/restapis/${apiId}/resources?embed=methods`)).body.item;
      const pets = resources.find((r: { path: string }) => r.path === "/pets");
      assert.equal(pets.resourceMethods.GET.apiKeyRequired, true);

      const plans = (await t.apigateway.send(new GetUsagePlansCommand({}))).items ?? [];
      const byName = new Map(plans.map((p) => [p.name, p]));
      assert.deepEqual([...byName.keys()].sort(), ["Free", "Premium"]);
      assert.deepEqual(byName.get("Free")?.throttle, { rateLimit: 10, burstLimit: 5 });
      assert.deepEqual(byName.get("Free")?.quota, { limit: 1000, period: "DAY", offset: 0 });
      assert.deepEqual(byName.get("Premium")?.throttle, { rateLimit: 1000, burstLimit: 500 });
      assert.deepEqual(byName.get("Premium")?.quota, { limit: 100000, period: "DAY", offset: 0 });
      for (const plan of plans) assert.deepEqual(plan.apiStages, [{ apiId, stage: "dev" }]);

      const tenants = (await t.admin("GET", "/tenants")).body.item;
      assert.deepEqual(
        tenants.map((x: { name: string }) => x.name),
        ["free-tenant", "premium-tenant"],
      );
      const seeded = t.tollgate.quickstart!;
      assert.equal(seeded.apiId, apiId);
      assert.equal(seeded.stage, "dev");
      for (const [tenantName, planName] of [
        ["free-tenant", "Free"],
        ["premium-tenant", "Premium"],
      ] as const) {
        const tenant = tenants.find((x: { name: string }) => x.name === tenantName);
        const keys = (await t.admin("GET", `/apikeys?includeValues=true&customerId=${tenant.id}`)).body.item;
        assert.equal(keys.length, 1);
        assert.equal(keys[0].enabled, true);
        const plan = byName.get(planName)!;
        const onPlan = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }));
        assert.deepEqual(
          onPlan.items?.map((k) => k.id),
          [keys[0].id],
        );
        assert.equal(seeded.keys.find((k) => k.tenant === tenantName)?.value, keys[0].value);
      }
    });

    test("the banner's curl lines work as printed", async () => {
      const lines = quickstartBanner(t.tollgate.quickstart!, {
        adminUrl: t.tollgate.adminUrl,
        gatewayUrl: t.tollgate.gatewayUrl,
        adminToken: t.tollgate.credentials.adminToken,
      });
      const admin = lines
        .map((line) => /curl -s -H "Authorization: Bearer (\S+)" "?([^"\s]+)"?/.exec(line))
        .filter((m) => m !== null);
      assert.equal(admin.length, 3);
      for (const [, token, url] of admin) {
        const response = await fetch(url!, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(10_000),
        });
        assert.equal(response.status, 200, url);
      }
      const gateway = lines
        .map((line) => /curl -H "x-api-key: (\S+)" (\S+)/.exec(line))
        .find((m) => m !== null);
      assert.ok(gateway);
      const response = await fetch(gateway[2]!, {
        headers: { "x-api-key": gateway[1]! },
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(response.status, 200);
      assert.ok(Array.isArray(await response.json()));
    });
  });

  test(`${dialect}: a restart on a seeded store does not seed again`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tollgate-quickstart-"));
    const database = dialect === "postgres" ? await freshPostgresDatabase() : undefined;
    const settings = {
      ...resolveSettings({ dataDir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: true }, {}),
      databaseUrl: database?.url,
    };
    try {
      const first = await startTollgate(settings);
      assert.equal(first.quickstart?.keys.length, 2);
      const revision = await first.store.revision();
      await first.close();

      const second = await startTollgate(settings);
      try {
        assert.equal(second.quickstart, undefined);
        assert.equal(await second.store.revision(), revision);
        assert.equal((await second.services.tenants.list()).length, 2);
      } finally {
        await second.close();
      }
    } finally {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
