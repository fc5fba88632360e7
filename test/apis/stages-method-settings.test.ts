import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { StageService } from "../../src/apis/index.js";
import { BadRequestError } from "../../src/core/errors.js";
import { fromJson } from "../../src/store/index.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

/** Imports a one-method API over the admin API and deploys it once. */
async function seedDeployment(t: TestTollgate): Promise<{ apiId: string; deploymentId: string }> {
  const document = {
    openapi: "3.0.1",
    info: { title: "pets", version: "1" },
    paths: {
      "/pets": {
        get: {
          "x-amazon-apigateway-integration": { type: "mock" },
          responses: { "200": { description: "ok" } },
        },
      },
    },
  };
  const imported = await t.admin("POST", "/restapis?mode=import", JSON.stringify(document));
  assert.equal(imported.status, 201);
  const deployment = await t.admin("POST", `/restapis/${imported.body.id}/deployments`, {});
  assert.equal(deployment.status, 201);
  return { apiId: imported.body.id, deploymentId: deployment.body.id };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: stage method settings`, () => {
    let t: TestTollgate;
    let stages: StageService;
    let apiId: string;
    let deploymentId: string;
    before(async () => {
      t = await startTestTollgate({ dialect });
      stages = t.tollgate.services.stages;
      ({ apiId, deploymentId } = await seedDeployment(t));
    });
    after(() => t.close());

    const setRate = (stageName: string, path: string) =>
      stages.update(apiId, stageName, [{ op: "replace", path: `${path}/throttling/rateLimit`, value: "7" }]);

    test("escaped and plain resource paths name the same setting, keyed as AWS keys it", async () => {
      await stages.create(apiId, { stageName: "keys", deploymentId });
      await setRate("keys", "/~1pets~1{petId}/GET");
      const stage = await setRate("keys", "/pets/{petId}/GET");
      assert.deepEqual(Object.keys(stage.methodSettings), ["~1pets~1{petId}/GET"]);
      assert.equal(stage.methodSettings["~1pets~1{petId}/GET"]?.throttlingRateLimit, 7);
    });

    test("the root resource is keyed ~1/METHOD and a tilde in a path stays escaped", async () => {
      await stages.create(apiId, { stageName: "root", deploymentId });
      await setRate("root", "/~1/GET");
      const stage = await setRate("root", "/~1a~0b/POST");
      assert.deepEqual(Object.keys(stage.methodSettings).sort(), ["~1/GET", "~1a~0b/POST"]);
    });

    test("'*' stands for every resource and method together only", async () => {
      await stages.create(apiId, { stageName: "wild", deploymentId });
      for (const path of ["/*/GET", "/~1pets/*"]) {
        await assert.rejects(setRate("wild", path), (error) => {
          assert.ok(error instanceof BadRequestError);
          assert.match(error.message, /every resource and method together/);
          return true;
        });
      }
      assert.deepEqual((await stages.get(apiId, "wild")).methodSettings, {});
    });

    test("variables and method settings sit at the top of stages.attributes, where the gateway reads them", async () => {
      await stages.create(apiId, { stageName: "stored", deploymentId, variables: { up: "http://x" } });
      await setRate("stored", "/*/*");
      const row = await t.tollgate.store.db
        .selectFrom("stages")
        .select("attributes")
        .where("rest_api_id", "=", apiId)
        .where("stage_name", "=", "stored")
        .executeTakeFirstOrThrow();
      const attributes = fromJson<Record<string, unknown>>(row.attributes, {});
      assert.deepEqual(attributes.variables, { up: "http://x" });
      assert.deepEqual(Object.keys(attributes.methodSettings as object), ["*/*"]);
    });
  });
}
