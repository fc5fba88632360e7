import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  CreateResourceCommand,
  GetAuthorizersCommand,
  GetModelsCommand,
  GetRequestValidatorsCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  ImportRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  PutRestApiCommand,
  type Resource,
} from "@aws-sdk/client-api-gateway";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../fixtures/openapi/${name}`, import.meta.url));

for (const dialect of DIALECTS) {
  describe(`${dialect}: PutRestApi merge and overwrite`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect });
    });
    after(() => t.close());

    async function resourcesByPath(restApiId: string): Promise<Map<string, Resource>> {
      const page = await t.apigateway.send(
        new GetResourcesCommand({ restApiId, embed: ["methods"], limit: 500 }),
      );
      return new Map((page.items ?? []).map((r) => [r.path!, r]));
    }

    /** The petstore plus a hand-made MOCK method at /legacy, which no document mentions. */
    async function petstoreWithLegacy(): Promise<{ id: string; rootResourceId: string }> {
      const api = await t.apigateway.send(new ImportRestApiCommand({ body: fixture("petstore-oas30.yaml") }));
      const legacy = await t.apigateway.send(
        new CreateResourceCommand({ restApiId: api.id, parentId: api.rootResourceId, pathPart: "legacy" }),
      );
      await t.apigateway.send(
        new PutMethodCommand({
          restApiId: api.id,
          resourceId: legacy.id,
          httpMethod: "GET",
          authorizationType: "NONE",
        }),
      );
      await t.apigateway.send(
        new PutIntegrationCommand({
          restApiId: api.id,
          resourceId: legacy.id,
          httpMethod: "GET",
          type: "MOCK",
        }),
      );
      return { id: api.id!, rootResourceId: api.rootResourceId! };
    }

    test("merge replaces the document's methods and keeps every other resource and method", async () => {
      const api = await petstoreWithLegacy();
      const before = await resourcesByPath(api.id);
      const merged = await t.apigateway.send(
        new PutRestApiCommand({ restApiId: api.id, mode: "merge", body: fixture("petstore-v2-merge.yaml") }),
      );
      assert.equal(merged.id, api.id);
      assert.equal(merged.version, "2024-06-01");
      assert.equal(
        merged.description,
        "A sample pet store, served by an upstream that reads stage variables.",
        "a merge keeps what the new document does not state",
      );
      assert.equal(merged.warnings, undefined, "warnings are those of the last put");

      const after = await resourcesByPath(api.id);
      assert.deepEqual([...after.keys()].sort(), [
        "/",
        "/health",
        "/legacy",
        "/owners",
        "/owners/{ownerId}",
        "/pets",
        "/pets/{petId}",
      ]);
      const pets = after.get("/pets")!;
      assert.equal(pets.id, before.get("/pets")!.id, "resources keep their ids");
      assert.equal(pets.resourceMethods!.GET!.operationName, "listPetsV2");
      assert.equal(pets.resourceMethods!.GET!.apiKeyRequired, true);
      assert.equal(pets.resourceMethods!.GET!.methodIntegration!.uri, "https://petstore-v2.example.com/pets");
      assert.deepEqual(pets.resourceMethods!.POST, before.get("/pets")!.resourceMethods!.POST);
      assert.deepEqual(after.get("/pets/{petId}"), before.get("/pets/{petId}"));
      assert.deepEqual(after.get("/legacy"), before.get("/legacy"));
      const owner = after.get("/owners/{ownerId}")!.resourceMethods!.GET!;
      assert.deepEqual(owner.requestParameters, { "method.request.path.ownerId": true });
    });

    test("overwrite leaves exactly the new document's resources, keeping ids where paths survive", async () => {
      const api = await petstoreWithLegacy();
      const before = await resourcesByPath(api.id);
      const overwritten = await t.apigateway.send(
        new PutRestApiCommand({
          restApiId: api.id,
          mode: "overwrite",
          body: fixture("petstore-v2-merge.yaml"),
        }),
      );
      assert.equal(overwritten.rootResourceId, api.rootResourceId);
      assert.equal(overwritten.description, undefined, "an overwrite takes only what the document states");
      assert.equal(overwritten.binaryMediaTypes, undefined);
      const after = await resourcesByPath(api.id);
      assert.deepEqual([...after.keys()].sort(), ["/", "/owners", "/owners/{ownerId}", "/pets"]);
      assert.equal(after.get("/pets")!.id, before.get("/pets")!.id);
      assert.deepEqual(Object.keys(after.get("/pets")!.resourceMethods!), ["GET"]);
      assert.equal(after.get("/")!.resourceMethods, undefined);
      const read = await t.apigateway.send(new GetRestApiCommand({ restApiId: api.id }));
      assert.equal(read.name, "Petstore");
      assert.equal(read.version, "2024-06-01");
    });

    test("authorizers, request validators and models follow the document by name: merge keeps the others, overwrite drops them", async () => {
      /** A document declaring one authorizer, validator and model of each name in `names`. */
      const document = (names: string[]) =>
        new TextEncoder().encode(
          JSON.stringify({
            openapi: "3.0.3",
            info: { title: "named", version: "1" },
            "x-amazon-apigateway-request-validators": Object.fromEntries(
              names.map((n) => [`v${n}`, { validateRequestBody: true, validateRequestParameters: false }]),
            ),
            components: {
              securitySchemes: Object.fromEntries(
                names.map((n) => [
                  `a${n}`,
                  {
                    type: "apiKey",
                    name: "X-Token",
                    in: "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {
                      type: "token",
                      authorizerUri: `https://auth.example/${n}`,
                    },
                  },
                ]),
              ),
              schemas: Object.fromEntries(names.map((n) => [`M${n}`, { type: "object" }])),
            },
            // Authorizers are imported from the schemes that methods use.
            paths: Object.fromEntries(
              names.map((n) => [
                `/x${n}`,
                {
                  get: {
                    security: [{ [`a${n}`]: [] }],
                    responses: { "200": { description: "ok" } },
                    "x-amazon-apigateway-integration": {
                      type: "mock",
                      requestTemplates: { "application/json": '{"statusCode": 200}' },
                    },
                  },
                },
              ]),
            ),
          }),
        );
      const named = async (restApiId: string) => {
        const [authorizers, validators, models] = await Promise.all([
          t.apigateway.send(new GetAuthorizersCommand({ restApiId })),
          t.apigateway.send(new GetRequestValidatorsCommand({ restApiId })),
          t.apigateway.send(new GetModelsCommand({ restApiId })),
        ]);
        const ids = (items: Array<{ name?: string; id?: string }> | undefined) =>
          Object.fromEntries((items ?? []).map((i) => [i.name!, i.id!]));
        return {
          authorizers: ids(authorizers.items),
          validators: ids(validators.items),
          models: ids(models.items),
        };
      };
      const api = await t.apigateway.send(new ImportRestApiCommand({ body: document(["1", "2"]) }));
      const before = await named(api.id!);
      assert.deepEqual(Object.keys(before.authorizers).sort(), ["a1", "a2"]);
      assert.deepEqual(Object.keys(before.validators).sort(), ["v1", "v2"]);
      assert.deepEqual(Object.keys(before.models).sort(), ["M1", "M2"]);

      await t.apigateway.send(
        new PutRestApiCommand({ restApiId: api.id, mode: "merge", body: document(["2", "3"]) }),
      );
      const merged = await named(api.id!);
      assert.deepEqual(Object.keys(merged.authorizers).sort(), ["a1", "a2", "a3"]);
      assert.deepEqual(Object.keys(merged.validators).sort(), ["v1", "v2", "v3"]);
      assert.deepEqual(Object.keys(merged.models).sort(), ["M1", "M2", "M3"]);
      // A name the document declares again keeps its id.
      assert.equal(merged.authorizers.a2, before.authorizers.a2);
      assert.equal(merged.validators.v2, before.validators.v2);
      assert.equal(merged.models.M2, before.models.M2);

      await t.apigateway.send(
        new PutRestApiCommand({ restApiId: api.id, mode: "overwrite", body: document(["3"]) }),
      );
      const overwritten = await named(api.id!);
      assert.deepEqual(overwritten.authorizers, { a3: merged.authorizers.a3 });
      assert.deepEqual(overwritten.validators, { v3: merged.validators.v3 });
      assert.deepEqual(overwritten.models, { M3: merged.models.M3 });
    });

    test("without a mode PutRestApi merges, as AWS", async () => {
      const api = await petstoreWithLegacy();
      const put = await t.admin(
        "PUT",
        `/restapis/${api.id}`,
        readFileSync(new URL("../fixtures/openapi/petstore-v2-merge.yaml", import.meta.url), "utf8"),
        { headers: { "content-type": "application/yaml" } },
      );
      assert.equal(put.status, 200);
      const paths = [...(await resourcesByPath(api.id)).keys()];
      assert.ok(paths.includes("/legacy") && paths.includes("/owners/{ownerId}"));
    });

    test("a bad mode or a bad document is a 400 that changes nothing", async () => {
      const api = await petstoreWithLegacy();
      const before = await resourcesByPath(api.id);
      const text = readFileSync(
        new URL("../fixtures/openapi/petstore-v2-merge.yaml", import.meta.url),
        "utf8",
      );
      const badMode = await t.admin("PUT", `/restapis/${api.id}?mode=replace`, text);
      assert.equal(badMode.status, 400);
      assert.match(badMode.body.message, /Invalid mode 'replace': expected overwrite or merge/);
      const badDocument = await t.admin(
        "PUT",
        `/restapis/${api.id}?mode=overwrite`,
        readFileSync(new URL("../fixtures/openapi/timeout-too-short.yaml", import.meta.url), "utf8"),
      );
      assert.equal(badDocument.status, 400);
      assert.match(badDocument.body.message, /timeoutInMillis 10/);
      assert.deepEqual(await resourcesByPath(api.id), before);
      assert.equal(
        (await t.apigateway.send(new GetRestApiCommand({ restApiId: api.id }))).version,
        "2024-05-01",
      );
    });

    test("a merge whose variable path part clashes with an existing sibling is refused whole", async () => {
      const api = await petstoreWithLegacy();
      const before = await resourcesByPath(api.id);
      const clash = [
        "openapi: 3.0.1",
        "info: { title: Petstore, version: '3' }",
        "paths:",
        "  /pets/{id}/photos:",
        "    get:",
        "      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]",
        "      responses: { '200': { description: ok } }",
        "      x-amazon-apigateway-integration: { type: mock }",
        "  /zoo:",
        "    get:",
        "      responses: { '200': { description: ok } }",
        "      x-amazon-apigateway-integration: { type: mock }",
      ].join("\n");
      const refused = await t.admin("PUT", `/restapis/${api.id}?mode=merge`, clash);
      assert.equal(refused.status, 400);
      assert.match(
        refused.body.message,
        /A sibling \(\{petId\}\) of this resource already has a variable path part/,
      );
      assert.deepEqual(await resourcesByPath(api.id), before, "not even /zoo was created");
    });
  });
}
