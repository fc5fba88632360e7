import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { UsagePlanService } from "../../src/plans/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { DIALECTS, freshPostgresDatabase } from "../helpers/tollgate.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: usage plans in the store`, () => {
    let store: Store;
    let drop: (() => Promise<void>) | undefined;
    let plans: UsagePlanService;
    before(async () => {
      const database = dialect === "postgres" ? await freshPostgresDatabase() : undefined;
      drop = database?.drop;
      store = await openStore({ databaseUrl: database?.url, dataDir: ":memory:" });
      plans = new UsagePlanService(store, new ManualClock(Date.UTC(2026, 0, 1)));
      await store.db
        .insertInto("rest_apis")
        .values({
          id: "api0000000",
          name: "a",
          description: null,
          version: null,
          api_key_source: "HEADER",
          attributes: "{}",
          definition: null,
          warnings: "[]",
          root_resource_id: "root000000",
          created_at: 0,
        })
        .execute();
      await store.db
        .insertInto("resources")
        .values({
          id: "res0000000",
          rest_api_id: "api0000000",
          parent_id: null,
          path_part: null,
          path: "/",
          methods: JSON.stringify({ GET: { httpMethod: "GET" } }),
        })
        .execute();
      for (const stage of ["prod", "old"]) {
        await store.db
          .insertInto("stages")
          .values({
            rest_api_id: "api0000000",
            stage_name: stage,
            deployment_id: "d",
            description: null,
            attributes: "{}",
            created_at: 0,
            updated_at: 0,
          })
          .execute();
      }
    });
    after(async () => {
      await store.close();
      await drop?.();
    });

    test("writes bump the configuration revision; refused writes change neither row nor revision", async () => {
      let revision = await store.revision();
      const plan = await plans.create({ name: "rev", apiStages: [{ apiId: "api0000000", stage: "prod" }] });
      assert.equal(await store.revision(), ++revision);
      await assert.rejects(plans.update(plan.id, [{ op: "replace", path: "/quota/period", value: "YEAR" }]), {
        code: "BadRequestException",
      });
      await assert.rejects(plans.delete(plan.id), { code: "BadRequestException" });
      assert.equal(await store.revision(), revision);
      assert.deepEqual(await plans.get(plan.id), plan);
      await plans.update(plan.id, [{ op: "remove", path: "/apiStages", value: "api0000000:prod" }]);
      await plans.delete(plan.id);
      assert.equal(await store.revision(), revision + 2);
    });

    test("the root resource's method is addressed as '//GET' or '/GET'", async () => {
      const plan = await plans.create({
        name: "root",
        throttle: { rateLimit: 1, burstLimit: 1 },
        apiStages: [
          { apiId: "api0000000", stage: "prod", throttle: { "//GET": { rateLimit: 1, burstLimit: 1 } } },
        ],
      });
      const patched = await plans.update(plan.id, [
        { op: "replace", path: "/apiStages/api0000000:prod/throttle/GET/rateLimit", value: "3" },
      ]);
      assert.deepEqual(patched.apiStages[0]?.throttle, {
        "//GET": { rateLimit: 1, burstLimit: 1 },
        "/GET": { rateLimit: 3 },
      });
    });

    test("a plan whose stage was deleted meanwhile can still be renamed; no plan can add that stage", async () => {
      const plan = await plans.create({ name: "stale", apiStages: [{ apiId: "api0000000", stage: "old" }] });
      await store.db.deleteFrom("stages").where("stage_name", "=", "old").execute();
      const renamed = await plans.update(plan.id, [{ op: "replace", path: "/name", value: "still-stale" }]);
      assert.equal(renamed.name, "still-stale");
      const other = await plans.create({ name: "fresh" });
      await assert.rejects(
        plans.update(other.id, [{ op: "add", path: "/apiStages", value: "api0000000:old" }]),
        /Invalid stage identifier specified/,
      );
      assert.deepEqual((await plans.get(other.id)).apiStages, []);
    });
  });
}
