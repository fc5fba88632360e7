import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import {
  CreateResourceCommand,
  DeleteMethodCommand,
  GetExportCommand,
  GetResourcesCommand,
  ImportRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from "@aws-sdk/client-api-gateway";
import { parse as parseYaml } from "yaml";
import { snapshotApi } from "../../src/apis/rest-apis.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../fixtures/openapi/${name}`, import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: exported documents are read as untyped JSON.
type Doc = any;

for (const dialect of DIALECTS) {
  describe(`${dialect}: GetExport of a stage's deployment`, () => {
    let t: TestTollgate;
    let apiId: string;
    before(async () => {
      t = await startTestTollgate({ dialect });
      const api = await t.apigateway.send(new ImportRestApiCommand({ body: fixture("petstore-oas30.yaml") }));
      apiId = api.id!;
      // A method made by hand: it has no operation in the document, so the export builds one.
      const legacy = await t.apigateway.send(
        new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId, pathPart: "legacy" }),
      );
      await t.apigateway.send(
        new PutMethodCommand({
          restApiId: apiId,
          resourceId: legacy.id,
          httpMethod: "POST",
          authorizationType: "NONE",
          apiKeyRequired: true,
          operationName: "legacyPost",
        }),
      );
      await t.apigateway.send(
        new PutIntegrationCommand({
          restApiId: apiId,
          resourceId: legacy.id,
          httpMethod: "POST",
          type: "MOCK",
          requestTemplates: { "application/json": '{"statusCode": 200}' },
        }),
      );
      await deployStage(apiId, "prod");
      // Changed after the deployment: the export must still show what the stage serves.
      const health = (await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId }))).items!.find(
        (r) => r.path === "/health",
      )!;
      await t.apigateway.send(
        new DeleteMethodCommand({ restApiId: apiId, resourceId: health.id, httpMethod: "GET" }),
      );
    });
    after(() => t.close());

    /** What DeploymentService does: freeze the API with snapshotApi and point a stage at it. */
    async function deployStage(restApiId: string, stageName: string): Promise<void> {
      const snapshot = await snapshotApi(t.tollgate.store, restApiId);
      const now = Date.now();
      const deploymentId = `dep${Math.random().toString(36).slice(2, 9)}`;
      await t.tollgate.store.db
        .insertInto("deployments")
        .values({
          id: deploymentId,
          rest_api_id: restApiId,
          description: null,
          snapshot: JSON.stringify(snapshot),
          created_at: now,
        })
        .execute();
      await t.tollgate.store.db
        .insertInto("stages")
        .values({
          rest_api_id: restApiId,
          stage_name: stageName,
          deployment_id: deploymentId,
          description: null,
          attributes: "{}",
          created_at: now,
          updated_at: now,
        })
        .execute();
    }

    async function exported(
      accepts: string | undefined,
      parameters?: Record<string, string>,
      exportType = "oas30",
    ) {
      const out = await t.apigateway.send(
        new GetExportCommand({ restApiId: apiId, stageName: "prod", exportType, accepts, parameters }),
      );
      return { out, text: new TextDecoder().decode(out.body) };
    }

    test("oas30 JSON holds the deployed paths, the document's wording and the integrations", async () => {
      const { out, text } = await exported("application/json", { extensions: "integrations" });
      assert.equal(out.contentType, "application/json");
      assert.match(
        out.contentDisposition ?? "",
        /^attachment; filename="oas30_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.json"$/,
      );
      const doc: Doc = JSON.parse(text);
      assert.equal(doc.openapi, "3.0.1");
      assert.equal(doc.info.title, "Petstore");
      assert.equal(doc.info.version, "2024-05-01");
      assert.deepEqual(doc.servers, [{ url: "/{basePath}", variables: { basePath: { default: "prod" } } }]);
      assert.deepEqual(Object.keys(doc.paths).sort(), ["/health", "/legacy", "/pets", "/pets/{petId}"]);
      assert.equal(doc.paths["/pets"].get.operationId, "listPets");
      assert.deepEqual(doc.paths["/pets"].get["x-amazon-apigateway-integration"], {
        type: "http",
        httpMethod: "GET",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
        uri: "https://${stageVariables.petHost}/pets",
        requestParameters: {
          "integration.request.querystring.limit": "method.request.querystring.limit",
          "integration.request.header.X-Request-Id": "method.request.header.X-Request-Id",
        },
        passthroughBehavior: "when_no_match",
        timeoutInMillis: 5000,
        cacheNamespace: doc.paths["/pets"].get["x-amazon-apigateway-integration"].cacheNamespace,
        cacheKeyParameters: [],
        responses: {
          default: {
            statusCode: "200",
            responseParameters: { "method.response.header.x-next": "integration.response.header.x-next" },
          },
        },
      });
      assert.deepEqual(doc.paths["/pets/{petId}"].get.security, [{ api_key: [] }]);
      assert.ok(doc.components.schemas.Pet);
      assert.equal(
        doc.paths["/health"].get.responses["200"].content["application/json"].example.status,
        "ok",
      );
      const legacy = doc.paths["/legacy"].post;
      assert.equal(legacy.operationId, "legacyPost");
      assert.deepEqual(legacy.security, [{ api_key: [] }]);
      assert.deepEqual(doc.components.securitySchemes.api_key, {
        type: "apiKey",
        name: "x-api-key",
        in: "header",
      });
      assert.equal(legacy["x-amazon-apigateway-integration"].type, "mock");
      await SwaggerParser.validate(structuredClone(doc));
    });

    test("the same export in YAML parses to the same document", async () => {
      const json = JSON.parse((await exported("application/json", { extensions: "integrations" })).text);
      const { out, text } = await exported("application/yaml", { extensions: "integrations" });
      assert.equal(out.contentType, "application/yaml");
      assert.match(out.contentDisposition ?? "", /filename="oas30_.*\.yaml"$/);
      assert.doesNotMatch(text.trimStart(), /^\{/);
      assert.deepEqual(parseYaml(text), json);
    });

    test("without extensions there is no x-amazon-apigateway-integration; apigateway adds API-level ones", async () => {
      const plain = (await exported("application/json")).text;
      assert.doesNotMatch(plain, /x-amazon-apigateway/);
      const full: Doc = JSON.parse((await exported("application/json", { extensions: "apigateway" })).text);
      assert.equal(full["x-amazon-apigateway-api-key-source"], "HEADER");
      assert.deepEqual(full["x-amazon-apigateway-binary-media-types"], ["image/png"]);
      assert.ok(full.paths["/pets"].post["x-amazon-apigateway-integration"]);
    });

    test("an export with integrations imports back into the same methods", async () => {
      const { text } = await exported("application/json", { extensions: "integrations" });
      const copy = await t.apigateway.send(
        new ImportRestApiCommand({ body: new TextEncoder().encode(text) }),
      );
      const original = await t.apigateway.send(
        new GetResourcesCommand({ restApiId: apiId, embed: ["methods"] }),
      );
      const imported = await t.apigateway.send(
        new GetResourcesCommand({ restApiId: copy.id, embed: ["methods"] }),
      );
      const pets = (items: typeof original.items) =>
        items!.find((r) => r.path === "/pets/{petId}")!.resourceMethods!.GET!;
      const a = pets(original.items);
      const b = pets(imported.items);
      assert.equal(b.apiKeyRequired, a.apiKeyRequired);
      assert.deepEqual(b.requestParameters, a.requestParameters);
      assert.deepEqual(
        { ...b.methodIntegration, cacheNamespace: undefined },
        { ...a.methodIntegration, cacheNamespace: undefined },
      );
    });

    test("swagger exports Swagger 2.0 with the stage as base path", async () => {
      const { text } = await exported(undefined, { extensions: "integrations" }, "swagger");
      const doc: Doc = JSON.parse(text);
      assert.equal(doc.swagger, "2.0");
      assert.equal(doc.basePath, "/prod");
      assert.ok(doc.definitions.Pet);
      assert.deepEqual(doc.securityDefinitions.api_key, { type: "apiKey", name: "x-api-key", in: "header" });
      assert.equal(doc.paths["/pets/{petId}"].get.responses["200"].schema.$ref, "#/definitions/Pet");
      await SwaggerParser.validate(structuredClone(doc));
    });

    test("an API imported from OpenAPI 3.1 exports as valid OpenAPI 3.0", async () => {
      const catalog = await t.apigateway.send(
        new ImportRestApiCommand({ body: fixture("catalog-oas31.yaml") }),
      );
      await deployStage(catalog.id!, "v1");
      const out = await t.apigateway.send(
        new GetExportCommand({
          restApiId: catalog.id,
          stageName: "v1",
          exportType: "oas30",
          accepts: "application/json",
        }),
      );
      const doc: Doc = JSON.parse(new TextDecoder().decode(out.body));
      assert.equal(doc.openapi, "3.0.1");
      assert.deepEqual(doc.components.schemas.Product.properties.price, { type: "number", nullable: true });
      assert.deepEqual(Object.keys(doc.paths).sort(), ["/products", "/products/{sku}", "/{proxy+}"]);
      assert.ok(doc.paths["/{proxy+}"]["x-amazon-apigateway-any-method"]);
      assert.equal(doc.webhooks, undefined);
      await SwaggerParser.validate(structuredClone(doc));
    });

    test("an unknown stage is a 404 'Invalid stage identifier specified'; an unknown type or Accept a 400", async () => {
      const stage = await t.admin("GET", `/restapis/${apiId}/stages/nosuch/exports/oas30`);
      assert.equal(stage.status, 404);
      assert.equal(stage.headers.get("x-amzn-errortype"), "NotFoundException");
      assert.match(stage.body.message, /Invalid stage identifier specified/);
      const type = await t.admin("GET", `/restapis/${apiId}/stages/prod/exports/raml`);
      assert.equal(type.status, 400);
      const accept = await t.admin("GET", `/restapis/${apiId}/stages/prod/exports/oas30`, undefined, {
        headers: { accept: "text/html" },
      });
      assert.equal(accept.status, 400);
      assert.match(accept.body.message, /application\/json or application\/yaml/);
    });
  });
}
