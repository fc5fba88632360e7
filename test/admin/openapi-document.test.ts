import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import Ajv2020 from "ajv/dist/2020.js";
import { adminRoutes } from "../../src/admin/index.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: { "application/json"?: { schema: object } } }> }>
  >;
};

/**
 * The admin API's own OpenAPI document is generated from the route table the server routes by;
 * these tests hold it to what the server really does.
 */
describe("admin API OpenAPI document", () => {
  let t: TestTollgate;
  let doc: Doc;
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });

  before(async () => {
    t = await startTestTollgate();
    doc = (await t.admin("GET", "/openapi.json", undefined, { auth: false })).body;
  });
  after(() => t.close());

  /** Checks a live response against the schema the document gives for its path, method and status. */
  function conforms(template: string, method: string, status: number, body: unknown): void {
    const operation = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${template} is not documented`);
    const schema = operation.responses[String(status)]?.content?.["application/json"]?.schema;
    assert.ok(schema, `${method} ${template} documents no ${status} JSON body`);
    const validate = ajv.compile(schema);
    assert.ok(
      validate(body),
      `${method} ${template} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }

  test("documents every operation the server routes, and nothing else", () => {
    const services = t.tollgate.services;
    const routed = new Set(adminRoutes(services).map((r) => `${r.method} ${r.path}`));
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    assert.deepEqual([...documented].sort(), [...routed].sort());
  });

  test("live responses match their documented schemas, field for field", async () => {
    const openapi = readFileSync(new URL("../fixtures/openapi/gateway-echo.yaml", import.meta.url), "utf8");
    const check = async (method: string, path: string, template: string, status: number, body?: unknown) => {
      const r = await t.admin(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
      conforms(template, method, status, r.body);
      return r.body;
    };
    const api = await check("POST", "/restapis?mode=import", "/restapis", 201, openapi);
    await check("GET", `/restapis/${api.id}`, "/restapis/{restapi_id}", 200);
    await check("GET", "/restapis", "/restapis", 200);
    await check(
      "GET",
      `/restapis/${api.id}/resources?embed=methods`,
      "/restapis/{restapi_id}/resources",
      200,
    );
    const deployment = await check(
      "POST",
      `/restapis/${api.id}/deployments`,
      "/restapis/{restapi_id}/deployments",
      201,
      {
        stageName: "dev",
        variables: { upstream: "127.0.0.1:1" },
      },
    );
    await check(
      "GET",
      `/restapis/${api.id}/deployments/${deployment.id}`,
      "/restapis/{restapi_id}/deployments/{deployment_id}",
      200,
    );
    await check("GET", `/restapis/${api.id}/stages/dev`, "/restapis/{restapi_id}/stages/{stage_name}", 200);
    await check(
      "PATCH",
      `/restapis/${api.id}/stages/dev`,
      "/restapis/{restapi_id}/stages/{stage_name}",
      200,
      {
        patchOperations: [{ op: "replace", path: "/*/*/throttling/rateLimit", value: "100" }],
      },
    );
    await check("GET", `/restapis/${api.id}/stages`, "/restapis/{restapi_id}/stages", 200);
    const tenant = await check("POST", "/tenants", "/tenants", 201, { name: "doc-tenant" });
    const plan = await check("POST", "/usageplans", "/usageplans", 201, {
      name: "doc-plan",
      throttle: { rateLimit: 10, burstLimit: 5 },
      quota: { limit: 1000, period: "MONTH", offset: 0 },
      apiStages: [
        { apiId: api.id, stage: "dev", throttle: { "/pets/GET": { rateLimit: 1, burstLimit: 1 } } },
      ],
    });
    await check("GET", `/usageplans/${plan.id}`, "/usageplans/{usageplanId}", 200);
    const key = await check("POST", "/apikeys", "/apikeys", 201, {
      name: "doc-key",
      enabled: true,
      customerId: tenant.id,
    });
    await check("GET", `/apikeys/${key.id}?includeValue=true`, "/apikeys/{api_Key}", 200);
    await check("GET", "/apikeys", "/apikeys", 200);
    await check("POST", `/usageplans/${plan.id}/keys`, "/usageplans/{usageplanId}/keys", 201, {
      keyId: key.id,
      keyType: "API_KEY",
    });
    await check("GET", `/usageplans/${plan.id}/keys`, "/usageplans/{usageplanId}/keys", 200);
    await check("POST", "/domainnames", "/domainnames", 201, { domainName: "doc.example.test" });
    await check(
      "POST",
      "/domainnames/doc.example.test/basepathmappings",
      "/domainnames/{domain_name}/basepathmappings",
      201,
      {
        restApiId: api.id,
        stage: "dev",
      },
    );
    await check("GET", "/tenants", "/tenants", 200);
  });
});

test("docs/admin-api.md lists every operation the server routes", () => {
  const doc = readFileSync(new URL("../../docs/admin-api.md", import.meta.url), "utf8");
  const routes = adminRoutes(new Proxy({}, { get: () => ({}) }) as never);
  const missing = routes.map((r) => r.operationId).filter((id) => !doc.includes(`| ${id} |`));
  assert.deepEqual(missing, []);
});
