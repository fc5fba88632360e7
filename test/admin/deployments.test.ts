import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  DeleteDeploymentCommand,
  DeleteMethodCommand,
  GetDeploymentCommand,
  GetResourcesCommand,
  GetStageCommand,
  ImportRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const integration = (httpMethod: string) => ({
  type: "http_proxy",
  httpMethod,
  uri: "http://127.0.0.1:9/pets",
});

/** GET /pets needs an API key, POST /pets does not. */
const PETS_OPENAPI = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "pets", version: "1" },
  paths: {
    "/pets": {
      get: {
        security: [{ api_key: [] }],
        responses: { "200": { description: "ok" } },
        "x-amazon-apigateway-integration": integration("GET"),
      },
      post: {
        responses: { "201": { description: "ok" } },
        "x-amazon-apigateway-integration": integration("POST"),
      },
    },
  },
  components: { securitySchemes: { api_key: { type: "apiKey", name: "x-api-key", in: "header" } } },
});

/** Imports the pets API, or creates an API without methods (`withMethods` false). */
async function seedApi(t: TestTollgate, withMethods = true): Promise<string> {
  const response = withMethods
    ? await t.admin("POST", "/restapis?mode=import", PETS_OPENAPI)
    : await t.admin("POST", "/restapis", { name: "empty" });
  assert.equal(response.status, 201);
  return response.body.id;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: deployments`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect, clock: new ManualClock(NOW) });
    });
    after(() => t.close());

    test("CreateDeployment with stageName creates the stage, which reads back field for field (SDK)", async () => {
      const imported = await t.apigateway.send(
        new ImportRestApiCommand({ body: new TextEncoder().encode(PETS_OPENAPI) }),
      );
      const apiId = imported.id!;
      const deployment = await t.apigateway.send(
        new CreateDeploymentCommand({
          restApiId: apiId,
          stageName: "dev",
          stageDescription: "Development",
          description: "first",
          variables: { backend: "http://backend.internal:8080/v1" },
          tracingEnabled: true,
        }),
      );
      assert.equal(deployment.$metadata.httpStatusCode, 201);
      assert.match(deployment.id!, /^[a-z0-9]{10}$/);
      assert.equal(deployment.description, "first");
      assert.deepEqual(deployment.createdDate, new Date(NOW));

      const stage = await t.apigateway.send(new GetStageCommand({ restApiId: apiId, stageName: "dev" }));
      const { $metadata, ...fields } = stage;
      assert.deepEqual(fields, {
        deploymentId: deployment.id,
        stageName: "dev",
        description: "Development",
        cacheClusterEnabled: false,
        cacheClusterStatus: "NOT_AVAILABLE",
        methodSettings: {},
        variables: { backend: "http://backend.internal:8080/v1" },
        tracingEnabled: true,
        createdDate: new Date(NOW),
        lastUpdatedDate: new Date(NOW),
      });
    });

    test("a second deployment to an existing stage repoints it and merges the variables", async () => {
      const apiId = await seedApi(t);
      const first = await t.admin("POST", `/restapis/${apiId}/deployments`, {
        stageName: "prod",
        variables: { a: "1", b: "2" },
      });
      const second = await t.admin("POST", `/restapis/${apiId}/deployments`, {
        stageName: "prod",
        variables: { b: "3" },
      });
      assert.equal(second.status, 201);
      assert.notEqual(second.body.id, first.body.id);
      const stage = await t.admin("GET", `/restapis/${apiId}/stages/prod`);
      assert.equal(stage.body.deploymentId, second.body.id);
      assert.deepEqual(stage.body.variables, { a: "1", b: "3" });
      const list = await t.admin("GET", `/restapis/${apiId}/deployments`);
      assert.deepEqual(
        list.body.item.map((d: { id: string }) => d.id).sort(),
        [first.body.id, second.body.id].sort(),
      );
    });

    test("GetDeployment embeds the frozen API summary only when asked (SDK)", async () => {
      const apiId = await seedApi(t);
      const { id } = await t.apigateway.send(new CreateDeploymentCommand({ restApiId: apiId }));
      // The snapshot is frozen: changing the API afterwards does not change the deployment.
      const { items } = await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId }));
      const pets = items!.find((r) => r.path === "/pets")!;
      await t.apigateway.send(
        new DeleteMethodCommand({ restApiId: apiId, resourceId: pets.id, httpMethod: "GET" }),
      );
      const plain = await t.apigateway.send(new GetDeploymentCommand({ restApiId: apiId, deploymentId: id }));
      assert.equal(plain.apiSummary, undefined);
      const embedded = await t.apigateway.send(
        new GetDeploymentCommand({ restApiId: apiId, deploymentId: id, embed: ["apisummary"] }),
      );
      assert.deepEqual(embedded.apiSummary, {
        "/pets": {
          GET: { authorizationType: "NONE", apiKeyRequired: true },
          POST: { authorizationType: "NONE", apiKeyRequired: false },
        },
      });
    });

    test("GetDeployments pages with limit and position", async () => {
      const apiId = await seedApi(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await t.admin("POST", `/restapis/${apiId}/deployments`, {})).body.id);
      const seen: string[] = [];
      let position: string | undefined;
      do {
        const page = await t.admin(
          "GET",
          `/restapis/${apiId}/deployments?limit=2${position ? `&position=${position}` : ""}`,
        );
        assert.ok(page.body.item.length <= 2);
        seen.push(...page.body.item.map((d: { id: string }) => d.id));
        position = page.body.position;
      } while (position);
      assert.deepEqual(seen.sort(), ids.sort());
    });

    test("UpdateDeployment replaces the description; any other path is a 400 that changes nothing", async () => {
      const apiId = await seedApi(t);
      const { body: created } = await t.admin("POST", `/restapis/${apiId}/deployments`, {
        description: "old",
      });
      const path = `/restapis/${apiId}/deployments/${created.id}`;
      const updated = await t.admin("PATCH", path, {
        patchOperations: [{ op: "replace", path: "/description", value: "new" }],
      });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.description, "new");
      const bad = await t.admin("PATCH", path, {
        patchOperations: [
          { op: "replace", path: "/description", value: "half-applied" },
          { op: "replace", path: "/createdDate", value: "0" },
        ],
      });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /\/createdDate/);
      assert.equal((await t.admin("GET", path)).body.description, "new");
    });

    test("DeleteDeployment is refused while a stage points at it, then allowed (SDK)", async () => {
      const apiId = await seedApi(t);
      const { id } = await t.apigateway.send(
        new CreateDeploymentCommand({ restApiId: apiId, stageName: "live" }),
      );
      await assert.rejects(
        t.apigateway.send(new DeleteDeploymentCommand({ restApiId: apiId, deploymentId: id })),
        (error: Error & { $metadata: { httpStatusCode: number } }) => {
          assert.equal(error.name, "BadRequestException");
          assert.equal(error.$metadata.httpStatusCode, 400);
          assert.equal(error.message, "Active stages pointing to this deployment must be moved or deleted");
          return true;
        },
      );
      assert.equal((await t.admin("GET", `/restapis/${apiId}/deployments/${id}`)).status, 200);
      assert.equal((await t.admin("DELETE", `/restapis/${apiId}/stages/live`)).status, 202);
      const deleted = await t.apigateway.send(
        new DeleteDeploymentCommand({ restApiId: apiId, deploymentId: id }),
      );
      assert.equal(deleted.$metadata.httpStatusCode, 202);
      const gone = await t.admin("GET", `/restapis/${apiId}/deployments/${id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.headers.get("x-amzn-errortype"), "NotFoundException");
    });

    test("a deployment a stage's canary uses cannot be deleted either", async () => {
      const apiId = await seedApi(t);
      const base = await t.admin("POST", `/restapis/${apiId}/deployments`, { stageName: "beta" });
      const canary = await t.admin("POST", `/restapis/${apiId}/deployments`, {
        stageName: "beta",
        canarySettings: { percentTraffic: 10, stageVariableOverrides: { color: "blue" } },
      });
      assert.equal(canary.status, 201);
      const stage = (await t.admin("GET", `/restapis/${apiId}/stages/beta`)).body;
      assert.equal(
        stage.deploymentId,
        base.body.id,
        "a canary deployment leaves the main deployment in place",
      );
      assert.deepEqual(stage.canarySettings, {
        percentTraffic: 10,
        deploymentId: canary.body.id,
        stageVariableOverrides: { color: "blue" },
        useStageCache: false,
      });
      const refused = await t.admin("DELETE", `/restapis/${apiId}/deployments/${canary.body.id}`);
      assert.equal(refused.status, 400);
      assert.equal(
        refused.body.message,
        "Active stages pointing to this deployment must be moved or deleted",
      );
    });

    test("a canary deployment needs an existing stage; nothing is created otherwise", async () => {
      const apiId = await seedApi(t);
      const response = await t.admin("POST", `/restapis/${apiId}/deployments`, {
        stageName: "nostage",
        canarySettings: { percentTraffic: 5 },
      });
      assert.equal(response.status, 400);
      assert.match(response.body.message, /nostage/);
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/deployments`)).body.item, []);
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/stages`)).body.item, []);
    });

    test("an API without methods cannot be deployed (AWS's message)", async () => {
      const apiId = await seedApi(t, false);
      const response = await t.admin("POST", `/restapis/${apiId}/deployments`, { stageName: "dev" });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get("x-amzn-errortype"), "BadRequestException");
      assert.equal(response.body.message, "The REST API doesn't contain any methods");
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/deployments`)).body.item, []);
    });

    test("bad input is a 400 that creates nothing: stage fields without stageName, bad stage name, bad variable", async () => {
      const apiId = await seedApi(t);
      const cases = [
        [{ variables: { a: "1" } }, /variables.*stageName/],
        [{ stageName: "not ok!" }, /stage name 'not ok!'/],
        [{ stageName: "dev", variables: { "bad-name": "x" } }, /bad-name/],
        [{ stageName: "dev", variables: { name: "has space" } }, /has space/],
        [{ stageName: "dev", cacheClusterSize: "2" }, /cacheClusterSize '2'/],
      ] as const;
      for (const [body, message] of cases) {
        const response = await t.admin("POST", `/restapis/${apiId}/deployments`, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.match(response.body.message, message);
      }
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/deployments`)).body.item, []);
      assert.deepEqual((await t.admin("GET", `/restapis/${apiId}/stages`)).body.item, []);
    });

    test("an unknown REST API or deployment is a 404 NotFoundException", async () => {
      for (const [method, path] of [
        ["POST", "/restapis/nosuchapi0/deployments"],
        ["GET", "/restapis/nosuchapi0/deployments"],
        ["GET", `/restapis/${await seedApi(t)}/deployments/nosuchdep0`],
      ] as const) {
        const response = await t.admin(method, path, method === "POST" ? {} : undefined);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.headers.get("x-amzn-errortype"), "NotFoundException");
      }
    });
  });
}
