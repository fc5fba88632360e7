import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  ImportRestApiCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { newId } from "../../src/core/ids.js";
import { fields, rejects } from "../helpers/sdk.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

/**
 * Inserts a REST API whose resources have the given methods, deployed to `stages`, straight into
 * the store: the tests need APIs and stages before the apis part's routes exist.
 */
async function seedApi(
  t: TestTollgate,
  methods: Record<string, string[]>,
  stages: string[],
): Promise<string> {
  const db = t.tollgate.store.db;
  const apiId = newId();
  const now = Date.now();
  const resources = Object.entries(methods).map(([path, verbs]) => ({
    id: newId(),
    rest_api_id: apiId,
    parent_id: null,
    path_part: path === "/" ? null : path.split("/").at(-1)!,
    path,
    methods: JSON.stringify(
      Object.fromEntries(
        verbs.map((v) => [v, { httpMethod: v, authorizationType: "NONE", apiKeyRequired: true }]),
      ),
    ),
  }));
  await db
    .insertInto("rest_apis")
    .values({
      id: apiId,
      name: `api-${apiId}`,
      description: null,
      version: null,
      api_key_source: "HEADER",
      attributes: "{}",
      definition: null,
      warnings: "[]",
      root_resource_id: resources.find((r) => r.path === "/")?.id ?? newId(),
      created_at: now,
    })
    .execute();
  if (resources.length) await db.insertInto("resources").values(resources).execute();
  const deploymentId = newId();
  await db
    .insertInto("deployments")
    .values({ id: deploymentId, rest_api_id: apiId, description: null, snapshot: "{}", created_at: now })
    .execute();
  for (const stage of stages) {
    await db
      .insertInto("stages")
      .values({
        rest_api_id: apiId,
        stage_name: stage,
        deployment_id: deploymentId,
        description: null,
        attributes: "{}",
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  return apiId;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: usage plans`, () => {
    let t: TestTollgate;
    let petsApi: string;
    before(async () => {
      t = await startTestTollgate({ dialect });
      petsApi = await seedApi(t, { "/": ["GET"], "/pets": ["GET", "POST"], "/pets/{petId}": ["GET"] }, [
        "prod",
        "beta",
      ]);
    });
    after(() => t.close());

    const planCount = async () => (await t.admin("GET", "/usageplans?limit=500")).body.item.length;

    test("a plan with throttle, a MONTH quota and a per-method throttle reads back field for field", async () => {
      const created = await t.apigateway.send(
        new CreateUsagePlanCommand({
          name: "Standard",
          description: "for paying tenants",
          throttle: { burstLimit: 200, rateLimit: 100.5 },
          quota: { limit: 10000, offset: 14, period: "MONTH" },
          apiStages: [
            {
              apiId: petsApi,
              stage: "prod",
              throttle: { "/pets/{petId}/GET": { burstLimit: 10, rateLimit: 5 } },
            },
          ],
          tags: { tier: "standard" },
        }),
      );
      assert.equal(created.$metadata.httpStatusCode, 201);
      assert.match(created.id!, /^[a-z0-9]{10}$/);
      const read = await t.apigateway.send(new GetUsagePlanCommand({ usagePlanId: created.id }));
      assert.deepEqual(fields(read), {
        id: created.id,
        name: "Standard",
        description: "for paying tenants",
        throttle: { burstLimit: 200, rateLimit: 100.5 },
        quota: { limit: 10000, offset: 14, period: "MONTH" },
        apiStages: [
          {
            apiId: petsApi,
            stage: "prod",
            throttle: { "/pets/{petId}/GET": { burstLimit: 10, rateLimit: 5 } },
          },
        ],
        tags: { tier: "standard" },
      });
      assert.deepEqual(fields(read), fields(created));
    });

    test("UpdateUsagePlan applies AWS's patch paths, per-method throttles in escaped and raw form", async () => {
      const plan = await t.apigateway.send(new CreateUsagePlanCommand({ name: "Patchable" }));
      const updated = await t.apigateway.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [
            { op: "replace", path: "/name", value: "Patched" },
            { op: "replace", path: "/description", value: "now with limits" },
            { op: "replace", path: "/productCode", value: "prod-123" },
            { op: "replace", path: "/throttle/rateLimit", value: "20" },
            { op: "replace", path: "/throttle/burstLimit", value: "40" },
            { op: "add", path: "/quota/limit", value: "500" },
            { op: "add", path: "/quota/period", value: "WEEK" },
            { op: "add", path: "/quota/offset", value: "6" },
            { op: "add", path: "/apiStages", value: `${petsApi}:prod` },
            {
              op: "replace",
              path: `/apiStages/${petsApi}:prod/throttle/~1pets/POST/rateLimit`,
              value: "2.5",
            },
            { op: "replace", path: `/apiStages/${petsApi}:prod/throttle/~1pets/POST/burstLimit`, value: "3" },
            // Terraform sends the resource path unescaped.
            { op: "replace", path: `/apiStages/${petsApi}:prod/throttle//pets/GET/rateLimit`, value: "7" },
          ],
        }),
      );
      assert.deepEqual(fields(updated), {
        id: plan.id,
        name: "Patched",
        description: "now with limits",
        productCode: "prod-123",
        throttle: { rateLimit: 20, burstLimit: 40 },
        quota: { limit: 500, offset: 6, period: "WEEK" },
        apiStages: [
          {
            apiId: petsApi,
            stage: "prod",
            throttle: { "/pets/POST": { rateLimit: 2.5, burstLimit: 3 }, "/pets/GET": { rateLimit: 7 } },
          },
        ],
      });

      const trimmed = await t.apigateway.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [
            { op: "remove", path: `/apiStages/${petsApi}:prod/throttle/~1pets/GET` },
            { op: "remove", path: "/throttle" },
            { op: "remove", path: "/quota" },
            { op: "remove", path: "/productCode" },
          ],
        }),
      );
      assert.deepEqual(fields(trimmed), {
        id: plan.id,
        name: "Patched",
        description: "now with limits",
        apiStages: [
          { apiId: petsApi, stage: "prod", throttle: { "/pets/POST": { rateLimit: 2.5, burstLimit: 3 } } },
        ],
      });
      const emptied = await t.apigateway.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [{ op: "remove", path: "/apiStages", value: `${petsApi}:prod` }],
        }),
      );
      assert.deepEqual(emptied.apiStages, []);
      assert.deepEqual(
        fields(await t.apigateway.send(new GetUsagePlanCommand({ usagePlanId: plan.id }))),
        fields(emptied),
      );
    });

    test("a patch with one bad operation is a 400 that changes nothing", async () => {
      const { body: plan } = await t.admin("POST", "/usageplans", {
        name: "Steady",
        quota: { limit: 10, period: "DAY" },
      });
      const cases = [
        [{ op: "replace", path: "/quota/period", value: "YEAR" }],
        [{ op: "replace", path: "/quota/offset", value: "1" }],
        [{ op: "replace", path: "/throttle/burstLimit", value: "1.5" }],
        [{ op: "replace", path: "/throttle/rateLimit", value: "-1" }],
        [{ op: "replace", path: "/color", value: "red" }],
        [{ op: "remove", path: `/apiStages/${petsApi}:prod` }],
        [{ op: "add", path: "/apiStages", value: `${petsApi}:gamma` }],
      ];
      for (const bad of cases) {
        const answer = await t.admin("PATCH", `/usageplans/${plan.id}`, {
          patchOperations: [{ op: "replace", path: "/name", value: "half-applied" }, ...bad],
        });
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.equal(answer.headers.get("x-amzn-errortype"), "BadRequestException");
      }
      assert.deepEqual((await t.admin("GET", `/usageplans/${plan.id}`)).body, plan);
    });

    test("bad plans are 4xx with a message naming the problem, and store nothing", async () => {
      const before = await planCount();
      const cases: Array<[object, number, RegExp]> = [
        [{ quota: { limit: 10, period: "YEAR" } }, 400, /quota\.period 'YEAR'/],
        [{ quota: { limit: 10, offset: 1, period: "DAY" } }, 400, /must be zero in the DAY period/],
        [{ quota: { limit: 10, offset: 7, period: "WEEK" } }, 400, /between 0 and 6/],
        [{ quota: { limit: 10, offset: 28, period: "MONTH" } }, 400, /between 0 and 27/],
        [{ quota: { limit: -1, period: "DAY" } }, 400, /quota\.limit '-1'/],
        [{ throttle: { rateLimit: -1, burstLimit: 1 } }, 400, /throttle\.rateLimit '-1'/],
        [{ throttle: { rateLimit: 1, burstLimit: 1.5 } }, 400, /throttle\.burstLimit '1\.5'/],
        [{ apiStages: [{ apiId: petsApi, stage: "gamma" }] }, 400, /Invalid stage identifier specified/],
        [{ apiStages: [{ apiId: "nosuchapi0", stage: "prod" }] }, 400, /Invalid API Stage/],
        [
          {
            apiStages: [
              { apiId: petsApi, stage: "prod" },
              { apiId: petsApi, stage: "prod" },
            ],
          },
          400,
          /more than once/,
        ],
        [
          { apiStages: [{ apiId: petsApi, stage: "prod", throttle: { "/pets/DELETE": { rateLimit: 1 } } }] },
          404,
          /Invalid method identifier specified/,
        ],
        [
          { apiStages: [{ apiId: petsApi, stage: "prod", throttle: { "pets-GET": { rateLimit: 1 } } }] },
          400,
          /Invalid throttle key/,
        ],
        [{ tags: { "aws:reserved": "x" } }, 400, /reserved/],
        [{ name: "" }, 400, /name/],
      ];
      for (const [input, status, message] of cases) {
        const answer = await t.admin("POST", "/usageplans", { name: "Broken", ...input });
        assert.equal(answer.status, status, JSON.stringify(input));
        assert.match(answer.body.message, message);
      }
      assert.equal(await planCount(), before);
    });

    test("keys go on a plan, are listed by name prefix, read and taken off through the SDK", async () => {
      const plan = await t.apigateway.send(
        new CreateUsagePlanCommand({ name: "Keyed", apiStages: [{ apiId: petsApi, stage: "beta" }] }),
      );
      const alpha = await t.apigateway.send(new CreateApiKeyCommand({ name: "alpha-key", enabled: true }));
      const beta = await t.apigateway.send(new CreateApiKeyCommand({ name: "beta-key", enabled: true }));
      const planKey = await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: alpha.id, keyType: "API_KEY" }),
      );
      assert.equal(planKey.$metadata.httpStatusCode, 201);
      assert.deepEqual(fields(planKey), {
        id: alpha.id,
        type: "API_KEY",
        value: alpha.value,
        name: "alpha-key",
      });
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: beta.id, keyType: "API_KEY" }),
      );

      const all = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }));
      assert.deepEqual(
        all.items?.map((k) => k.name),
        ["alpha-key", "beta-key"],
      );
      const filtered = await t.apigateway.send(
        new GetUsagePlanKeysCommand({ usagePlanId: plan.id, nameQuery: "be" }),
      );
      assert.deepEqual(
        filtered.items?.map((k) => k.id),
        [beta.id],
      );
      const one = await t.apigateway.send(
        new GetUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: beta.id }),
      );
      assert.deepEqual(fields(one), { id: beta.id, type: "API_KEY", value: beta.value, name: "beta-key" });

      const holding = await t.apigateway.send(new GetUsagePlansCommand({ keyId: alpha.id }));
      assert.deepEqual(
        holding.items?.map((p) => p.id),
        [plan.id],
      );

      const removed = await t.apigateway.send(
        new DeleteUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: alpha.id }),
      );
      assert.equal(removed.$metadata.httpStatusCode, 202);
      await rejects(
        t.apigateway.send(new GetUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: alpha.id })),
        "NotFoundException",
        404,
      );
      assert.deepEqual((await t.apigateway.send(new GetUsagePlansCommand({ keyId: alpha.id }))).items, []);
    });

    test("GetUsagePlans pages with limit and position", async () => {
      for (const name of ["page-a", "page-b", "page-c"]) await t.admin("POST", "/usageplans", { name });
      const total = await planCount();
      const seen: string[] = [];
      let position: string | undefined;
      do {
        const page = await t.apigateway.send(new GetUsagePlansCommand({ limit: 2, position }));
        assert.ok((page.items?.length ?? 0) <= 2);
        seen.push(...(page.items ?? []).map((p) => p.id!));
        position = page.position;
      } while (position);
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
    });

    test("an unknown key or plan in CreateUsagePlanKey is a 404 NotFoundException that adds nothing", async () => {
      const plan = await t.apigateway.send(new CreateUsagePlanCommand({ name: "Lonely" }));
      const key = await t.apigateway.send(new CreateApiKeyCommand({ name: "stray" }));
      const message = await rejects(
        t.apigateway.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: "nosuchkey0", keyType: "API_KEY" }),
        ),
        "NotFoundException",
        404,
      );
      assert.match(message, /Invalid API Key identifier specified/);
      await rejects(
        t.apigateway.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: "nosuchplan", keyId: key.id, keyType: "API_KEY" }),
        ),
        "NotFoundException",
        404,
      );
      const badType = await t.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "JWT" });
      assert.equal(badType.status, 400);
      assert.deepEqual(
        (await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }))).items,
        [],
      );
    });

    test("one key on two plans that share an API stage is a 409 ConflictException that changes nothing", async () => {
      const first = await t.apigateway.send(
        new CreateUsagePlanCommand({ name: "First", apiStages: [{ apiId: petsApi, stage: "prod" }] }),
      );
      const second = await t.apigateway.send(
        new CreateUsagePlanCommand({
          name: "Second",
          apiStages: [
            { apiId: petsApi, stage: "beta" },
            { apiId: petsApi, stage: "prod" },
          ],
        }),
      );
      const third = await t.apigateway.send(
        new CreateUsagePlanCommand({ name: "Third", apiStages: [{ apiId: petsApi, stage: "beta" }] }),
      );
      const key = await t.apigateway.send(new CreateApiKeyCommand({ name: "shared" }));
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: first.id, keyId: key.id, keyType: "API_KEY" }),
      );

      const message = await rejects(
        t.apigateway.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: second.id, keyId: key.id, keyType: "API_KEY" }),
        ),
        "ConflictException",
        409,
      );
      assert.match(
        message,
        new RegExp(`cannot reference multiple Usage Plans with the same API Stage: ${petsApi}:prod`),
      );
      await rejects(
        t.apigateway.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: first.id, keyId: key.id, keyType: "API_KEY" }),
        ),
        "ConflictException",
        409,
      );

      // A plan holding the key may not gain a stage that another plan of the key covers.
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: third.id, keyId: key.id, keyType: "API_KEY" }),
      );
      await rejects(
        t.apigateway.send(
          new UpdateUsagePlanCommand({
            usagePlanId: third.id,
            patchOperations: [{ op: "add", path: "/apiStages", value: `${petsApi}:prod` }],
          }),
        ),
        "ConflictException",
        409,
      );
      const plans = await t.apigateway.send(new GetUsagePlansCommand({ keyId: key.id }));
      assert.deepEqual(plans.items?.map((p) => p.name).sort(), ["First", "Third"]);
      const thirdNow = await t.apigateway.send(new GetUsagePlanCommand({ usagePlanId: third.id }));
      assert.deepEqual(thirdNow.apiStages, [{ apiId: petsApi, stage: "beta" }]);
    });

    test("a plan that covers API stages cannot be deleted; without them it can, and its keys go with it", async () => {
      const plan = await t.apigateway.send(
        new CreateUsagePlanCommand({ name: "Doomed", apiStages: [{ apiId: petsApi, stage: "beta" }] }),
      );
      const key = await t.apigateway.send(new CreateApiKeyCommand({ name: "doomed-key" }));
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: "API_KEY" }),
      );
      const message = await rejects(
        t.apigateway.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id })),
        "BadRequestException",
        400,
      );
      assert.match(
        message,
        new RegExp(`because there are API Stages associated with it, including ${petsApi}:beta`),
      );
      assert.equal((await t.admin("GET", `/usageplans/${plan.id}`)).status, 200);

      await t.apigateway.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [{ op: "remove", path: "/apiStages", value: `${petsApi}:beta` }],
        }),
      );
      const deleted = await t.apigateway.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id }));
      assert.equal(deleted.$metadata.httpStatusCode, 202);
      await rejects(
        t.apigateway.send(new GetUsagePlanCommand({ usagePlanId: plan.id })),
        "NotFoundException",
        404,
      );
      assert.deepEqual((await t.apigateway.send(new GetUsagePlansCommand({ keyId: key.id }))).items, []);
      assert.equal((await t.admin("GET", `/apikeys/${key.id}`)).status, 200);
    });

    test("an API imported and deployed through the admin API backs a usage plan", async () => {
      const openapi = {
        openapi: "3.0.1",
        info: { title: "Imported pets", version: "1" },
        paths: {
          "/pets": {
            get: {
              responses: { "200": { description: "ok" } },
              "x-amazon-apigateway-integration": {
                type: "MOCK",
                requestTemplates: { "application/json": "{}" },
              },
            },
          },
        },
      };
      const api = await t.apigateway.send(
        new ImportRestApiCommand({ body: Buffer.from(JSON.stringify(openapi)), failOnWarnings: true }),
      );
      await t.apigateway.send(new CreateDeploymentCommand({ restApiId: api.id, stageName: "live" }));
      const throttle = { "/pets/GET": { rateLimit: 1, burstLimit: 2 } };
      const plan = await t.apigateway.send(
        new CreateUsagePlanCommand({
          name: "On imported API",
          throttle: { rateLimit: 10, burstLimit: 20 },
          apiStages: [{ apiId: api.id, stage: "live", throttle }],
        }),
      );
      assert.deepEqual(plan.apiStages, [{ apiId: api.id, stage: "live", throttle }]);
      await rejects(
        t.apigateway.send(
          new UpdateUsagePlanCommand({
            usagePlanId: plan.id,
            patchOperations: [
              { op: "replace", path: `/apiStages/${api.id}:live/throttle/~1pets/POST/rateLimit`, value: "1" },
            ],
          }),
        ),
        "NotFoundException",
        404,
      );
      await rejects(
        t.apigateway.send(
          new CreateUsagePlanCommand({
            name: "Wrong stage",
            apiStages: [{ apiId: api.id, stage: "staging" }],
          }),
        ),
        "BadRequestException",
        400,
      );
    });
  });
}
