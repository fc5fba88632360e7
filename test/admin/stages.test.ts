import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateStageCommand,
  GetStageCommand,
  GetStagesCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** AWS's defaults for a method setting a patch creates (`aws apigateway update-stage` output). */
const DEFAULTS = {
  metricsEnabled: false,
  dataTraceEnabled: false,
  throttlingBurstLimit: 5000,
  throttlingRateLimit: 10000,
  cachingEnabled: false,
  cacheTtlInSeconds: 300,
  cacheDataEncrypted: false,
  requireAuthorizationForCacheControl: true,
  unauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
};

/** One-method OpenAPI document: GET /pets proxied to a backend. */
const PETS_OPENAPI = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "pets", version: "1" },
  paths: {
    "/pets": {
      get: {
        responses: { "200": { description: "ok" } },
        "x-amazon-apigateway-integration": {
          type: "http_proxy",
          httpMethod: "GET",
          uri: "http://127.0.0.1:9/pets",
        },
      },
    },
  },
});

/** A new deployment of the API, with no stage. */
async function deploy(t: TestTollgate, apiId: string): Promise<string> {
  const response = await t.admin("POST", `/restapis/${apiId}/deployments`, {});
  assert.equal(response.status, 201);
  return response.body.id;
}

/** Imports the pets API and deploys it once. */
async function seedDeployedApi(t: TestTollgate): Promise<{ apiId: string; deploymentId: string }> {
  const imported = await t.admin("POST", "/restapis?mode=import", PETS_OPENAPI);
  assert.equal(imported.status, 201);
  return { apiId: imported.body.id, deploymentId: await deploy(t, imported.body.id) };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: stages`, () => {
    let t: TestTollgate;
    let clock: ManualClock;
    before(async () => {
      clock = new ManualClock(NOW);
      t = await startTestTollgate({ dialect, clock });
    });
    after(() => t.close());

    test("CreateStage, GetStages and UpdateStage through the SDK; GetStage shows the exact keys and values", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      const created = await t.apigateway.send(
        new CreateStageCommand({
          restApiId: apiId,
          stageName: "prod",
          deploymentId,
          description: "Production",
          variables: { region: "eu" },
          tags: { team: "core" },
        }),
      );
      assert.equal(created.$metadata.httpStatusCode, 201);
      assert.equal(created.cacheClusterStatus, "NOT_AVAILABLE");
      assert.deepEqual(created.methodSettings, {});

      const listed = await t.apigateway.send(new GetStagesCommand({ restApiId: apiId }));
      assert.deepEqual(
        listed.item?.map((s) => s.stageName),
        ["prod"],
      );

      clock.advance(60_000);
      const updated = await t.apigateway.send(
        new UpdateStageCommand({
          restApiId: apiId,
          stageName: "prod",
          patchOperations: [
            { op: "replace", path: "/*/*/throttling/rateLimit", value: "100.5" },
            { op: "replace", path: "/~1pets/GET/throttling/burstLimit", value: "20" },
            { op: "replace", path: "/~1pets/GET/logging/loglevel", value: "INFO" },
            { op: "add", path: "/variables/backend", value: "http://pets.internal:8080" },
            { op: "replace", path: "/variables/region", value: "us" },
          ],
        }),
      );
      assert.equal(updated.$metadata.httpStatusCode, 200);

      const { $metadata, ...stage } = await t.apigateway.send(
        new GetStageCommand({ restApiId: apiId, stageName: "prod" }),
      );
      assert.deepEqual(stage, {
        deploymentId,
        stageName: "prod",
        description: "Production",
        cacheClusterEnabled: false,
        cacheClusterStatus: "NOT_AVAILABLE",
        methodSettings: {
          "*/*": { ...DEFAULTS, throttlingRateLimit: 100.5 },
          "~1pets/GET": { ...DEFAULTS, throttlingBurstLimit: 20, loggingLevel: "INFO" },
        },
        variables: { region: "us", backend: "http://pets.internal:8080" },
        tracingEnabled: false,
        tags: { team: "core" },
        createdDate: new Date(NOW),
        lastUpdatedDate: new Date(NOW + 60_000),
      });
    });

    test("remove drops a method setting and a variable; removing a missing method setting is a 400", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      await t.admin("POST", `/restapis/${apiId}/stages`, {
        stageName: "dev",
        deploymentId,
        variables: { a: "1", b: "2" },
      });
      const path = `/restapis/${apiId}/stages/dev`;
      await t.admin("PATCH", path, {
        patchOperations: [
          { op: "replace", path: "/*/*/metrics/enabled", value: "true" },
          { op: "replace", path: "/~1pets/GET/caching/ttlInSeconds", value: "60" },
        ],
      });
      const removed = await t.admin("PATCH", path, {
        patchOperations: [
          { op: "remove", path: "/~1pets/GET" },
          { op: "remove", path: "/variables/a" },
        ],
      });
      assert.equal(removed.status, 200);
      assert.deepEqual(Object.keys(removed.body.methodSettings), ["*/*"]);
      assert.deepEqual(removed.body.variables, { b: "2" });
      const again = await t.admin("PATCH", path, {
        patchOperations: [{ op: "remove", path: "/~1pets/GET" }],
      });
      assert.equal(again.status, 400);
      assert.match(again.body.message, /no method setting/);
    });

    test("GetStages filters by deploymentId", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      const other = await deploy(t, apiId);
      await t.admin("POST", `/restapis/${apiId}/stages`, { stageName: "a", deploymentId });
      await t.admin("POST", `/restapis/${apiId}/stages`, { stageName: "b", deploymentId: other });
      const filtered = await t.apigateway.send(
        new GetStagesCommand({ restApiId: apiId, deploymentId: other }),
      );
      assert.deepEqual(
        filtered.item?.map((s) => s.stageName),
        ["b"],
      );
    });

    test("a patch with a bad operation anywhere is a 400 and changes nothing", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      await t.admin("POST", `/restapis/${apiId}/stages`, {
        stageName: "qa",
        deploymentId,
        variables: { v: "1" },
      });
      const path = `/restapis/${apiId}/stages/qa`;
      const before = (await t.admin("GET", path)).body;
      const badOperations = [
        [{ op: "replace", path: "/*/*/throttling/rateLimit", value: "abc" }, /'abc'.*expected a number/],
        [{ op: "replace", path: "/*/*/throttling/burstLimit", value: "1.5" }, /expected an integer/],
        [{ op: "replace", path: "/*/*/throttling/rateLimit", value: "-1" }, /at least 0/],
        [{ op: "replace", path: "/color", value: "red" }, /Invalid patch path '\/color'.*\/variables/],
        [{ op: "replace", path: "/deploymentId", value: "nosuchdep0" }, /nosuchdep0/],
        [{ op: "add", path: "/variables/bad-name", value: "x" }, /bad-name/],
        [
          { op: "replace", path: "/~1pets/FETCH/metrics/enabled", value: "true" },
          /'FETCH' is not an HTTP method/,
        ],
        [{ op: "replace", path: "/*/*/logging/loglevel", value: "LOUD" }, /OFF, ERROR, INFO/],
        [{ op: "replace", path: "/*/*/caching/ttlInSeconds", value: "3601" }, /at most 3600/],
        [{ op: "replace", path: "/cacheClusterSize", value: "2" }, /cacheClusterSize '2'/],
        [{ op: "replace", path: "/canarySettings/percentTraffic", value: "101" }, /0.0 to 100.0/],
      ] as const;
      for (const [bad, message] of badOperations) {
        clock.advance(1000);
        const response = await t.admin("PATCH", path, {
          patchOperations: [
            { op: "replace", path: "/description", value: "half-applied" },
            { op: "replace", path: "/*/*/metrics/enabled", value: "true" },
            bad,
          ],
        });
        assert.equal(response.status, 400, JSON.stringify(bad));
        assert.equal(response.headers.get("x-amzn-errortype"), "BadRequestException");
        assert.match(response.body.message, message);
        assert.deepEqual((await t.admin("GET", path)).body, before, `after ${JSON.stringify(bad)}`);
      }
    });

    test("bad CreateStage input is a 4xx that creates nothing", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      await t.admin("POST", `/restapis/${apiId}/stages`, { stageName: "taken", deploymentId });
      const cases = [
        [{ stageName: "bad name", deploymentId }, 400, "BadRequestException", /stage name 'bad name'/],
        [{ stageName: "x".repeat(129), deploymentId }, 400, "BadRequestException", /1 to 128/],
        [{ stageName: "s1", deploymentId: "nosuchdep0" }, 404, "NotFoundException", /nosuchdep0/],
        [{ stageName: "s2", deploymentId, variables: { v: "a b" } }, 400, "BadRequestException", /'a b'/],
        [{ stageName: "s3", deploymentId, cacheClusterSize: "9" }, 400, "BadRequestException", /'9'/],
        [{ stageName: "taken", deploymentId }, 409, "ConflictException", /^Stage already exists$/],
      ] as const;
      for (const [body, status, type, message] of cases) {
        const response = await t.admin("POST", `/restapis/${apiId}/stages`, body);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.equal(response.headers.get("x-amzn-errortype"), type);
        assert.match(response.body.message, message);
      }
      const names = (await t.admin("GET", `/restapis/${apiId}/stages`)).body.item.map(
        (s: { stageName: string }) => s.stageName,
      );
      assert.deepEqual(names, ["taken"]);
    });

    test("a duplicate stage through the SDK is a ConflictException", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      await t.apigateway.send(new CreateStageCommand({ restApiId: apiId, stageName: "dup", deploymentId }));
      await assert.rejects(
        t.apigateway.send(new CreateStageCommand({ restApiId: apiId, stageName: "dup", deploymentId })),
        (error: Error & { $metadata: { httpStatusCode: number } }) =>
          error.name === "ConflictException" && error.$metadata.httpStatusCode === 409,
      );
    });

    test("an unknown REST API or stage is a 404 NotFoundException", async () => {
      const { apiId } = await seedDeployedApi(t);
      await assert.rejects(
        t.apigateway.send(new GetStagesCommand({ restApiId: "nosuchapi0" })),
        (error: Error) => error.name === "NotFoundException",
      );
      for (const [method, path, body] of [
        ["POST", "/restapis/nosuchapi0/stages", { stageName: "x", deploymentId: "d" }],
        ["GET", `/restapis/${apiId}/stages/nostage`, undefined],
        ["PATCH", `/restapis/${apiId}/stages/nostage`, { patchOperations: [] }],
        ["DELETE", `/restapis/${apiId}/stages/nostage`, undefined],
      ] as const) {
        const response = await t.admin(method, path, body);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.headers.get("x-amzn-errortype"), "NotFoundException");
      }
    });

    test("a canary set by patch starts on the stage's deployment and is promoted with copy", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      const next = await deploy(t, apiId);
      await t.admin("POST", `/restapis/${apiId}/stages`, { stageName: "live", deploymentId });
      const path = `/restapis/${apiId}/stages/live`;
      const canary = await t.admin("PATCH", path, {
        patchOperations: [
          { op: "replace", path: "/canarySettings/percentTraffic", value: "25" },
          { op: "replace", path: "/canarySettings/deploymentId", value: next },
          { op: "add", path: "/canarySettings/stageVariableOverrides/color", value: "green" },
        ],
      });
      assert.equal(canary.status, 200);
      assert.deepEqual(canary.body.canarySettings, {
        deploymentId: next,
        percentTraffic: 25,
        useStageCache: false,
        stageVariableOverrides: { color: "green" },
      });
      const promoted = await t.admin("PATCH", path, {
        patchOperations: [
          { op: "copy", from: "/canarySettings/deploymentId", path: "/deploymentId" },
          { op: "copy", from: "/canarySettings/stageVariableOverrides", path: "/variables" },
          { op: "remove", path: "/canarySettings" },
        ],
      });
      assert.equal(promoted.status, 200);
      assert.equal(promoted.body.deploymentId, next);
      assert.deepEqual(promoted.body.variables, { color: "green" });
      assert.equal(promoted.body.canarySettings, undefined);
    });

    test("DeleteStage answers 202, then the stage is gone", async () => {
      const { apiId, deploymentId } = await seedDeployedApi(t);
      await t.admin("POST", `/restapis/${apiId}/stages`, { stageName: "old", deploymentId });
      assert.equal((await t.admin("DELETE", `/restapis/${apiId}/stages/old`)).status, 202);
      assert.equal((await t.admin("GET", `/restapis/${apiId}/stages/old`)).status, 404);
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/stages`)).body, { item: [] });
    });
  });
}
