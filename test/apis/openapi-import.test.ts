import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  ImportRestApiCommand,
  type Resource,
  UpdateMethodCommand,
} from "@aws-sdk/client-api-gateway";
import { fields as shape } from "../helpers/sdk.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../fixtures/openapi/${name}`, import.meta.url));

for (const dialect of DIALECTS) {
  describe(`${dialect}: ImportRestApi through the AWS SDK`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect });
    });
    after(() => t.close());

    async function importFile(name: string, parameters?: Record<string, string>) {
      return t.apigateway.send(new ImportRestApiCommand({ body: fixture(name), parameters }));
    }

    async function resourcesByPath(restApiId: string): Promise<Map<string, Resource>> {
      const page = await t.apigateway.send(new GetResourcesCommand({ restApiId, embed: ["methods"] }));
      return new Map((page.items ?? []).map((r) => [r.path!, r]));
    }

    test("a YAML OpenAPI 3.0 petstore becomes resources, methods and integrations field for field", async () => {
      const api = await importFile("petstore-oas30.yaml");
      assert.equal(api.name, "Petstore");
      assert.equal(api.description, "A sample pet store, served by an upstream that reads stage variables.");
      assert.equal(api.version, "2024-05-01");
      assert.equal(api.apiKeySource, "HEADER");
      assert.deepEqual(api.binaryMediaTypes, ["image/png"]);
      assert.deepEqual(api.warnings, [
        "DELETE /pets/{petId} has no x-amazon-apigateway-integration: the method was imported without an integration",
      ]);
      assert.deepEqual(
        shape(await t.apigateway.send(new GetRestApiCommand({ restApiId: api.id }))),
        shape(api),
      );

      const resources = await resourcesByPath(api.id!);
      assert.deepEqual([...resources.keys()].sort(), ["/", "/health", "/pets", "/pets/{petId}"]);
      assert.equal(resources.get("/")!.id, api.rootResourceId);
      const pets = resources.get("/pets")!;
      const pet = resources.get("/pets/{petId}")!;
      assert.equal(pet.parentId, pets.id);
      assert.equal(pet.pathPart, "{petId}");
      assert.deepEqual(Object.keys(pet.resourceMethods ?? {}).sort(), ["DELETE", "GET"]);

      const listPets = await t.apigateway.send(
        new GetMethodCommand({ restApiId: api.id, resourceId: pets.id, httpMethod: "GET" }),
      );
      assert.deepEqual(shape(listPets), {
        httpMethod: "GET",
        authorizationType: "NONE",
        apiKeyRequired: false,
        operationName: "listPets",
        requestParameters: {
          "method.request.querystring.limit": false,
          "method.request.header.X-Request-Id": true,
        },
        methodResponses: {
          "200": { statusCode: "200", responseParameters: { "method.response.header.x-next": false } },
        },
        methodIntegration: {
          type: "HTTP",
          httpMethod: "GET",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
          uri: "https://${stageVariables.petHost}/pets",
          connectionType: "INTERNET",
          requestParameters: {
            "integration.request.querystring.limit": "method.request.querystring.limit",
            "integration.request.header.X-Request-Id": "method.request.header.X-Request-Id",
          },
          passthroughBehavior: "WHEN_NO_MATCH",
          timeoutInMillis: 5000,
          cacheNamespace: pets.id,
          cacheKeyParameters: [],
          integrationResponses: {
            "200": {
              statusCode: "200",
              responseParameters: { "method.response.header.x-next": "integration.response.header.x-next" },
            },
          },
        },
      });
      // The embedded method of GetResources is the same document as GetMethod.
      assert.deepEqual(pets.resourceMethods!.GET, shape(listPets));

      const showPet = await t.apigateway.send(
        new GetMethodCommand({ restApiId: api.id, resourceId: pet.id, httpMethod: "GET" }),
      );
      assert.equal(
        showPet.apiKeyRequired,
        true,
        "security api_key (apiKey in header x-api-key) requires a key",
      );
      assert.deepEqual(showPet.requestParameters, { "method.request.path.petId": true });
      const showPetIntegration = await t.apigateway.send(
        new GetIntegrationCommand({ restApiId: api.id, resourceId: pet.id, httpMethod: "GET" }),
      );
      assert.deepEqual(shape(showPetIntegration), {
        type: "HTTP_PROXY",
        httpMethod: "GET",
        uri: "https://petstore-backend.example.com/pets/{petId}",
        connectionType: "INTERNET",
        requestParameters: { "integration.request.path.petId": "method.request.path.petId" },
        passthroughBehavior: "WHEN_NO_MATCH",
        timeoutInMillis: 29000,
        cacheNamespace: pet.id,
        cacheKeyParameters: ["method.request.path.petId"],
      });
      const createPet = pets.resourceMethods!.POST!;
      assert.equal(createPet.apiKeyRequired, true);
      assert.equal(createPet.methodIntegration?.timeoutInMillis, 29000, "the default timeout is 29 seconds");

      const deletePet = pet.resourceMethods!.DELETE!;
      assert.equal(deletePet.methodIntegration, undefined);
      const health = resources.get("/health")!.resourceMethods!.GET!.methodIntegration!;
      assert.equal(health.type, "MOCK");
      assert.equal(health.uri, undefined);
      assert.deepEqual(health.requestTemplates, { "application/json": '{"statusCode": 200}' });
      assert.deepEqual(health.integrationResponses, {
        "200": { statusCode: "200", responseTemplates: { "application/json": '{"status": "ok"}' } },
      });
    });

    test("a JSON Swagger 2.0 file: root security, greedy ANY proxy, authorizer and selection patterns", async () => {
      const api = await importFile("orders-swagger2.json");
      assert.equal(api.name, "Orders");
      assert.equal(api.version, "1.4.0");
      assert.ok(api.warnings?.some((w) => /partnerAuth.*authorizer/.test(w)));
      assert.ok(
        api.warnings?.some((w) => w.startsWith("GET /reports has no x-amazon-apigateway-integration")),
      );

      const resources = await resourcesByPath(api.id!);
      assert.deepEqual(
        [...resources.keys()].sort(),
        ["/", "/orders", "/orders/{orderId}", "/partner", "/partner/{proxy+}", "/reports"],
        "the base path is ignored by default and every prefix is a resource",
      );
      const orders = resources.get("/orders")!;
      const list = orders.resourceMethods!.GET!;
      assert.equal(
        list.apiKeyRequired,
        true,
        "root-level security applies; the header name is case-insensitive",
      );
      assert.deepEqual(list.requestParameters, {
        "method.request.querystring.status": true,
        "method.request.querystring.page": false,
      });
      const listIntegration = await t.apigateway.send(
        new GetIntegrationCommand({ restApiId: api.id, resourceId: orders.id, httpMethod: "GET" }),
      );
      assert.deepEqual(shape(listIntegration), {
        type: "HTTP",
        httpMethod: "GET",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
        uri: "http://${stageVariables.ordersHost}:8080/orders",
        connectionType: "INTERNET",
        requestParameters: { "integration.request.querystring.status": "method.request.querystring.status" },
        passthroughBehavior: "WHEN_NO_TEMPLATES",
        timeoutInMillis: 10000,
        cacheNamespace: orders.id,
        cacheKeyParameters: [],
        integrationResponses: {
          "200": { statusCode: "200" },
          "400": {
            statusCode: "400",
            selectionPattern: "4\\d{2}",
            responseTemplates: { "application/json": '{"message": "bad request"}' },
          },
        },
      });
      assert.equal(orders.resourceMethods!.POST!.methodIntegration!.type, "HTTP_PROXY");
      const getOrder = resources.get("/orders/{orderId}")!.resourceMethods!.GET!;
      assert.equal(getOrder.apiKeyRequired, false, "an empty operation security overrides the root");
      assert.equal(getOrder.methodIntegration!.type, "MOCK");

      const proxy = resources.get("/partner/{proxy+}")!;
      assert.deepEqual(Object.keys(proxy.resourceMethods!), ["ANY"]);
      const any = await t.apigateway.send(
        new GetMethodCommand({ restApiId: api.id, resourceId: proxy.id, httpMethod: "ANY" }),
      );
      assert.equal(any.authorizationType, "CUSTOM");
      assert.equal(any.apiKeyRequired, false);
      assert.deepEqual(any.requestParameters, { "method.request.path.proxy": true });
      assert.deepEqual(shape(any.methodIntegration!), {
        type: "HTTP_PROXY",
        httpMethod: "ANY",
        uri: "https://partners.example.com/{proxy}",
        connectionType: "INTERNET",
        requestParameters: { "integration.request.path.proxy": "method.request.path.proxy" },
        passthroughBehavior: "WHEN_NO_MATCH",
        timeoutInMillis: 29000,
        cacheNamespace: "partner-proxy",
        cacheKeyParameters: ["method.request.path.proxy"],
      });
      assert.equal(resources.get("/partner")!.resourceMethods, undefined);
      const patched = await t.apigateway.send(
        new UpdateMethodCommand({
          restApiId: api.id,
          resourceId: proxy.id,
          httpMethod: "ANY",
          patchOperations: [{ op: "replace", path: "/apiKeyRequired", value: "true" }],
        }),
      );
      assert.equal(patched.apiKeyRequired, true, "an imported authorizer does not block other patches");
      assert.equal(patched.authorizationType, "CUSTOM");
    });

    test("an OpenAPI 3.1 file imports with its greedy ANY method and key requirement", async () => {
      const api = await importFile("catalog-oas31.yaml");
      assert.equal(api.name, "Catalog");
      assert.equal(api.warnings, undefined);
      const resources = await resourcesByPath(api.id!);
      assert.deepEqual([...resources.keys()].sort(), ["/", "/products", "/products/{sku}", "/{proxy+}"]);
      const proxy = resources.get("/{proxy+}")!;
      const integration = await t.apigateway.send(
        new GetIntegrationCommand({ restApiId: api.id, resourceId: proxy.id, httpMethod: "ANY" }),
      );
      assert.equal(integration.type, "HTTP_PROXY");
      // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
      assert.equal(integration.uri, "https://${stageVariables.legacyHost}/{proxy}");
      const sku = resources.get("/products/{sku}")!.resourceMethods!.GET!;
      assert.equal(sku.apiKeyRequired, true);
      assert.equal(sku.operationName, "getProduct");
      assert.equal(sku.methodIntegration!.timeoutInMillis, 1500);
      assert.equal(resources.get("/products")!.resourceMethods!.GET!.apiKeyRequired, false);
    });

    test("basepath=prepend and basepath=split place paths under the document's base path", async () => {
      const prepended = await importFile("orders-swagger2.json", { basepath: "prepend" });
      const prependedPaths = [...(await resourcesByPath(prepended.id!)).keys()];
      assert.ok(prependedPaths.includes("/prod/orders-api/orders/{orderId}"));
      assert.ok(prependedPaths.includes("/prod/orders-api"));
      const split = await importFile("orders-swagger2.json", { basepath: "split" });
      const splitPaths = [...(await resourcesByPath(split.id!)).keys()].sort();
      assert.ok(splitPaths.includes("/orders-api/orders"), "the first segment names a stage and is dropped");
      assert.ok(!splitPaths.some((p) => p.startsWith("/prod")));
      const server = await importFile("petstore-oas30.yaml", { basepath: "prepend" });
      assert.ok([...(await resourcesByPath(server.id!)).keys()].includes("/v1/pets/{petId}"));
    });

    test("without embed, GetResources lists each resource's methods by verb only, as AWS", async () => {
      const api = await importFile("petstore-oas30.yaml");
      const page = await t.admin("GET", `/restapis/${api.id}/resources`);
      assert.equal(page.status, 200);
      const pets = page.body.item.find((r: { path: string }) => r.path === "/pets");
      assert.deepEqual(pets.resourceMethods, { GET: {}, POST: {} });
      const root = page.body.item.find((r: { path: string }) => r.path === "/");
      assert.equal(root.resourceMethods, undefined);
      assert.equal(root.parentId, undefined);
    });

    test("what the schema requires but API Gateway tolerates imports with AWS's parse-issue warnings", async () => {
      const api = await importFile("tolerated-omissions.json");
      assert.deepEqual(api.warnings, [
        "Parse issue: attribute info.version is missing",
        "Parse issue: attribute paths.'/pets'(get).responses is missing",
        "Parse issue: attribute paths.'/pets'(post).responses.201.description is missing",
      ]);
      assert.equal(api.version, undefined);
      const pets = (await resourcesByPath(api.id!)).get("/pets")!;
      const method = (httpMethod: string) =>
        t.apigateway.send(new GetMethodCommand({ restApiId: api.id, resourceId: pets.id, httpMethod }));
      const get = await method("GET");
      assert.equal(get.operationName, "listPets");
      assert.equal(get.methodResponses, undefined);
      assert.equal(get.methodIntegration?.type, "MOCK");
      assert.deepEqual(Object.keys((await method("POST")).methodResponses ?? {}), ["201"]);
      await assert.rejects(
        importFile("tolerated-omissions.json", { failonwarnings: "true" }),
        /failonwarnings.*responses is missing/,
      );
    });

    test("failonwarnings=true refuses a document with warnings and stores nothing", async () => {
      const before = (await t.admin("GET", "/restapis?limit=500")).body.item.length;
      const refused = await t.admin(
        "POST",
        "/restapis?mode=import&failonwarnings=true",
        readFileSync(new URL("../fixtures/openapi/petstore-oas30.yaml", import.meta.url), "utf8"),
        { headers: { "content-type": "application/yaml" } },
      );
      assert.equal(refused.status, 400);
      assert.match(
        refused.body.message,
        /failonwarnings.*DELETE \/pets\/\{petId\} has no x-amazon-apigateway-integration/,
      );
      assert.equal((await t.admin("GET", "/restapis?limit=500")).body.item.length, before);
      const clean = await t.admin(
        "POST",
        "/restapis?mode=import&failonwarnings=true",
        readFileSync(new URL("../fixtures/openapi/catalog-oas31.yaml", import.meta.url), "utf8"),
        { headers: { "content-type": "text/plain" } },
      );
      assert.equal(clean.status, 201, "any content type is accepted for the document");
    });
  });
}
