import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteIntegrationCommand,
  DeleteMethodCommand,
  DeleteRestApiCommand,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourceCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateIntegrationCommand,
  UpdateMethodCommand,
  UpdateRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { rejection, fields as shape } from "../helpers/sdk.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: REST APIs, resources, methods and integrations by hand`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect });
    });
    after(() => t.close());

    const resourceCount = async (restApiId: string) =>
      (
        await t.tollgate.store.db
          .selectFrom("resources")
          .select("id")
          .where("rest_api_id", "=", restApiId)
          .execute()
      ).length;

    test("CreateRestApi answers 201 with AWS's defaults and a root resource '/'", async () => {
      const created = await t.admin("POST", "/restapis", {
        name: "shop",
        description: "Shop API",
        tags: { team: "a" },
      });
      assert.equal(created.status, 201);
      assert.match(created.body.id, /^[a-z0-9]{10}$/);
      assert.equal(created.body.apiKeySource, "HEADER");
      assert.deepEqual(created.body.endpointConfiguration, { types: ["EDGE"], ipAddressType: "ipv4" });
      assert.equal(created.body.disableExecuteApiEndpoint, false);
      assert.deepEqual(created.body.tags, { team: "a" });
      assert.equal(typeof created.body.createdDate, "number");
      const resources = await t.apigateway.send(new GetResourcesCommand({ restApiId: created.body.id }));
      assert.deepEqual(
        resources.items?.map((r) => ({ id: r.id, path: r.path })),
        [{ id: created.body.rootResourceId, path: "/" }],
      );
      const viaSdk = await t.apigateway.send(
        new CreateRestApiCommand({
          name: "regional",
          apiKeySource: "AUTHORIZER",
          endpointConfiguration: { types: ["REGIONAL"] },
          binaryMediaTypes: ["image/png"],
          minimumCompressionSize: 1024,
        }),
      );
      const read = await t.apigateway.send(new GetRestApiCommand({ restApiId: viaSdk.id }));
      assert.deepEqual(shape(read), shape(viaSdk));
      assert.deepEqual(read.endpointConfiguration?.types, ["REGIONAL"]);
      assert.equal(read.minimumCompressionSize, 1024);
      assert.ok(read.createdDate instanceof Date);
    });

    test("cloneFrom copies resources and methods under new ids", async () => {
      const { body: source } = await t.admin("POST", "/restapis", { name: "source" });
      const { body: r } = await t.admin("POST", `/restapis/${source.id}/resources/${source.rootResourceId}`, {
        pathPart: "things",
      });
      await t.admin("PUT", `/restapis/${source.id}/resources/${r.id}/methods/GET`, {
        authorizationType: "NONE",
      });
      await t.admin("PUT", `/restapis/${source.id}/resources/${r.id}/methods/GET/integration`, {
        type: "MOCK",
      });
      const clone = await t.apigateway.send(
        new CreateRestApiCommand({ name: "clone", cloneFrom: source.id }),
      );
      const items = (
        await t.apigateway.send(new GetResourcesCommand({ restApiId: clone.id, embed: ["methods"] }))
      ).items!;
      assert.deepEqual(items.map((i) => i.path).sort(), ["/", "/things"]);
      const things = items.find((i) => i.path === "/things")!;
      assert.notEqual(things.id, r.id);
      assert.equal(things.parentId, clone.rootResourceId);
      assert.equal(things.resourceMethods?.GET?.methodIntegration?.type, "MOCK");
      assert.equal(things.resourceMethods?.GET?.methodIntegration?.cacheNamespace, things.id);
      const missing = await t.admin("POST", "/restapis", { name: "x", cloneFrom: "nosuchapi0" });
      assert.equal(missing.status, 404);
    });

    test("GetRestApis pages with limit and position", async () => {
      for (const name of ["page-a", "page-b", "page-c"]) await t.admin("POST", "/restapis", { name });
      const all = (await t.apigateway.send(new GetRestApisCommand({ limit: 500 }))).items ?? [];
      const first = await t.apigateway.send(new GetRestApisCommand({ limit: 2 }));
      assert.equal(first.items?.length, 2);
      assert.ok(first.position);
      const second = await t.apigateway.send(
        new GetRestApisCommand({ limit: 500, position: first.position }),
      );
      assert.deepEqual(
        [...(first.items ?? []), ...(second.items ?? [])].map((a) => a.id),
        all.map((a) => a.id),
      );
    });

    test("bad create input is a 400 naming the field, and nothing is created", async () => {
      const before = (await t.admin("GET", "/restapis?limit=500")).body.item.length;
      const noName = await t.admin("POST", "/restapis", { description: "nameless" });
      assert.equal(noName.status, 400);
      assert.match(noName.body.message, /name/);
      const badSource = await t.admin("POST", "/restapis", { name: "x", apiKeySource: "QUERY" });
      assert.equal(badSource.status, 400);
      assert.match(badSource.body.message, /apiKeySource/);
      const twoTypes = await t.admin("POST", "/restapis", {
        name: "x",
        endpointConfiguration: { types: ["EDGE", "REGIONAL"] },
      });
      assert.equal(twoTypes.status, 400);
      assert.match(twoTypes.body.message, /exactly one of EDGE, REGIONAL, PRIVATE/);
      const compression = await t.admin("POST", "/restapis", { name: "x", minimumCompressionSize: -1 });
      assert.equal(compression.status, 400);
      assert.equal((await t.admin("GET", "/restapis?limit=500")).body.item.length, before);
    });

    test("UpdateRestApi applies patch operations whole or not at all", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "patchable" });
      const updated = await t.apigateway.send(
        new UpdateRestApiCommand({
          restApiId: api.id,
          patchOperations: [
            { op: "replace", path: "/name", value: "patched" },
            { op: "replace", path: "/description", value: "now described" },
            { op: "replace", path: "/apiKeySource", value: "AUTHORIZER" },
            { op: "replace", path: "/minimumCompressionSize", value: "2048" },
            { op: "add", path: "/binaryMediaTypes/image~1png", value: "" },
            { op: "add", path: "/binaryMediaTypes/application~1pdf", value: "" },
            { op: "remove", path: "/binaryMediaTypes/image~1png" },
            { op: "replace", path: "/disableExecuteApiEndpoint", value: "true" },
          ],
        }),
      );
      assert.equal(updated.name, "patched");
      assert.equal(updated.description, "now described");
      assert.equal(updated.apiKeySource, "AUTHORIZER");
      assert.equal(updated.minimumCompressionSize, 2048);
      assert.deepEqual(updated.binaryMediaTypes, ["application/pdf"]);
      assert.equal(updated.disableExecuteApiEndpoint, true);
      const bad = await t.admin("PATCH", `/restapis/${api.id}`, {
        patchOperations: [
          { op: "replace", path: "/name", value: "half" },
          { op: "replace", path: "/color", value: "red" },
        ],
      });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /Invalid patch path '\/color'/);
      assert.equal((await t.admin("GET", `/restapis/${api.id}`)).body.name, "patched");
    });

    test("tag and untag (for the TagResource route) change only the API's tags", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "tagged", tags: { a: "1" } });
      await t.tollgate.services.restApis.tag(api.id, { b: "2", a: "one" });
      assert.deepEqual((await t.admin("GET", `/restapis/${api.id}`)).body.tags, { a: "one", b: "2" });
      const untagged = await t.tollgate.services.restApis.untag(api.id, ["a", "zzz"]);
      assert.deepEqual(untagged.tags, { b: "2" });
      assert.equal(untagged.name, "tagged");
    });

    test("DeleteRestApi answers 202 and takes resources, deployments and stages with it", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "doomed" });
      await t.admin("POST", `/restapis/${api.id}/resources/${api.rootResourceId}`, { pathPart: "items" });
      const now = Date.now();
      await t.tollgate.store.db
        .insertInto("deployments")
        .values({ id: "dep1doomed", rest_api_id: api.id, description: null, snapshot: "{}", created_at: now })
        .execute();
      await t.tollgate.store.db
        .insertInto("stages")
        .values({
          rest_api_id: api.id,
          stage_name: "prod",
          deployment_id: "dep1doomed",
          description: null,
          attributes: "{}",
          created_at: now,
          updated_at: now,
        })
        .execute();
      await t.apigateway.send(new DeleteRestApiCommand({ restApiId: api.id }));
      const missing = await rejection(t.apigateway.send(new GetRestApiCommand({ restApiId: api.id })));
      assert.equal(missing.name, "NotFoundException");
      assert.equal(missing.status, 404);
      assert.equal(await resourceCount(api.id), 0);
      const stages = await t.tollgate.store.db
        .selectFrom("stages")
        .select("stage_name")
        .where("rest_api_id", "=", api.id)
        .execute();
      assert.equal(stages.length, 0);
      assert.equal((await t.admin("DELETE", `/restapis/${api.id}`)).status, 404);
    });

    test("a resource tree, a method and an HTTP integration built by hand read back field for field", async () => {
      const api = await t.apigateway.send(new CreateRestApiCommand({ name: "by-hand" }));
      const restApiId = api.id!;
      const users = await t.apigateway.send(
        new CreateResourceCommand({ restApiId, parentId: api.rootResourceId, pathPart: "users" }),
      );
      assert.deepEqual(shape(users), {
        id: users.id,
        parentId: api.rootResourceId,
        pathPart: "users",
        path: "/users",
      });
      const user = await t.apigateway.send(
        new CreateResourceCommand({ restApiId, parentId: users.id, pathPart: "{userId}" }),
      );
      assert.equal(user.path, "/users/{userId}");

      const method = await t.apigateway.send(
        new PutMethodCommand({
          restApiId,
          resourceId: user.id,
          httpMethod: "GET",
          authorizationType: "NONE",
          apiKeyRequired: true,
          operationName: "getUser",
          requestParameters: {
            "method.request.path.userId": true,
            "method.request.querystring.fields": false,
          },
        }),
      );
      assert.deepEqual(shape(method), {
        httpMethod: "GET",
        authorizationType: "NONE",
        apiKeyRequired: true,
        operationName: "getUser",
        requestParameters: { "method.request.path.userId": true, "method.request.querystring.fields": false },
      });
      const integration = await t.apigateway.send(
        new PutIntegrationCommand({
          restApiId,
          resourceId: user.id,
          httpMethod: "GET",
          type: "HTTP_PROXY",
          integrationHttpMethod: "GET",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
          uri: "https://users.example.com/${stageVariables.version}/users/{userId}",
          requestParameters: { "integration.request.path.userId": "method.request.path.userId" },
          timeoutInMillis: 3000,
        }),
      );
      const expected = {
        type: "HTTP_PROXY",
        httpMethod: "GET",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's stage variable syntax, kept verbatim
        uri: "https://users.example.com/${stageVariables.version}/users/{userId}",
        connectionType: "INTERNET",
        requestParameters: { "integration.request.path.userId": "method.request.path.userId" },
        passthroughBehavior: "WHEN_NO_MATCH",
        timeoutInMillis: 3000,
        cacheNamespace: user.id,
        cacheKeyParameters: [],
      };
      assert.deepEqual(shape(integration), expected);
      assert.deepEqual(
        shape(
          await t.apigateway.send(
            new GetIntegrationCommand({ restApiId, resourceId: user.id, httpMethod: "GET" }),
          ),
        ),
        expected,
      );
      const read = await t.apigateway.send(
        new GetMethodCommand({ restApiId, resourceId: user.id, httpMethod: "GET" }),
      );
      assert.deepEqual(read.methodIntegration, expected);
      const embedded = await t.apigateway.send(
        new GetResourceCommand({ restApiId, resourceId: user.id, embed: ["methods"] }),
      );
      assert.deepEqual(embedded.resourceMethods?.GET, shape(read));
      const listed = await t.apigateway.send(new GetResourceCommand({ restApiId, resourceId: user.id }));
      assert.deepEqual(listed.resourceMethods, { GET: {} });

      const patched = await t.apigateway.send(
        new UpdateIntegrationCommand({
          restApiId,
          resourceId: user.id,
          httpMethod: "GET",
          patchOperations: [
            { op: "replace", path: "/timeoutInMillis", value: "8000" },
            { op: "replace", path: "/uri", value: "https://users-v2.example.com/users/{userId}" },
          ],
        }),
      );
      assert.equal(patched.timeoutInMillis, 8000);
      assert.equal(patched.uri, "https://users-v2.example.com/users/{userId}");
      const updatedMethod = await t.apigateway.send(
        new UpdateMethodCommand({
          restApiId,
          resourceId: user.id,
          httpMethod: "GET",
          patchOperations: [
            { op: "replace", path: "/apiKeyRequired", value: "false" },
            { op: "add", path: "/requestParameters/method.request.header.X-Trace", value: "true" },
          ],
        }),
      );
      assert.equal(updatedMethod.apiKeyRequired, false);
      assert.equal(updatedMethod.requestParameters?.["method.request.header.X-Trace"], true);
      assert.equal(
        updatedMethod.methodIntegration?.timeoutInMillis,
        8000,
        "the integration survives a method update",
      );

      await t.apigateway.send(
        new DeleteIntegrationCommand({ restApiId, resourceId: user.id, httpMethod: "GET" }),
      );
      const noIntegration = await rejection(
        t.apigateway.send(new GetIntegrationCommand({ restApiId, resourceId: user.id, httpMethod: "GET" })),
      );
      assert.equal(noIntegration.name, "NotFoundException");
      await t.apigateway.send(new DeleteMethodCommand({ restApiId, resourceId: user.id, httpMethod: "GET" }));
      const noMethod = await rejection(
        t.apigateway.send(new GetMethodCommand({ restApiId, resourceId: user.id, httpMethod: "GET" })),
      );
      assert.equal(noMethod.status, 404);
      assert.match(noMethod.message, /Invalid Method identifier specified/);
    });

    test("DeleteMethod and DeleteIntegration answer 204, DeleteResource 202", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "statuses" });
      const { body: r } = await t.admin("POST", `/restapis/${api.id}/resources/${api.rootResourceId}`, {
        pathPart: "r",
      });
      const method = `/restapis/${api.id}/resources/${r.id}/methods/POST`;
      assert.equal((await t.admin("PUT", method, { authorizationType: "NONE" })).status, 201);
      assert.equal((await t.admin("PUT", `${method}/integration`, { type: "MOCK" })).status, 201);
      assert.equal((await t.admin("DELETE", `${method}/integration`)).status, 204);
      assert.equal((await t.admin("DELETE", method)).status, 204);
      assert.equal((await t.admin("DELETE", `/restapis/${api.id}/resources/${r.id}`)).status, 202);
    });

    test("path part rules: duplicates 409, a second variable sibling or a child of {proxy+} 400", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "rules" });
      const create = (parent: string, pathPart: string) =>
        t.admin("POST", `/restapis/${api.id}/resources/${parent}`, { pathPart });
      const { body: items } = await create(api.rootResourceId, "items");
      const before = await resourceCount(api.id);
      const duplicate = await create(api.rootResourceId, "items");
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.headers.get("x-amzn-errortype"), "ConflictException");
      assert.match(
        duplicate.body.message,
        /Another resource with the same parent already has this name: items/,
      );

      assert.equal((await create(items.id, "{itemId}")).status, 201);
      const secondVariable = await create(items.id, "{id}");
      assert.equal(secondVariable.status, 400);
      assert.match(
        secondVariable.body.message,
        /A sibling \(\{itemId\}\) of this resource already has a variable path part/,
      );
      const { body: proxy } = await create(api.rootResourceId, "{proxy+}");
      const underGreedy = await create(proxy.id, "more");
      assert.equal(underGreedy.status, 400);
      assert.match(underGreedy.body.message, /greedy path variable: \{proxy\+\}/);
      for (const bad of ["a/b", "{unclosed", "sp ace", "{a}b"]) {
        const refused = await create(api.rootResourceId, bad);
        assert.equal(refused.status, 400, bad);
        assert.match(refused.body.message, /Invalid path part/);
      }
      const unknownParent = await create("nosuchparent", "x");
      assert.equal(unknownParent.status, 404);
      assert.match(unknownParent.body.message, /Invalid Resource identifier specified/);
      assert.equal(await resourceCount(api.id), before + 2, "only {itemId} and {proxy+} were created");
    });

    test("UpdateResource renames and moves resources, paths below follow; DeleteResource takes its children", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "tree" });
      const { body: a } = await t.admin("POST", `/restapis/${api.id}/resources/${api.rootResourceId}`, {
        pathPart: "a",
      });
      const { body: b } = await t.admin("POST", `/restapis/${api.id}/resources/${a.id}`, { pathPart: "b" });
      const renamed = await t.admin("PATCH", `/restapis/${api.id}/resources/${a.id}`, {
        patchOperations: [{ op: "replace", path: "/pathPart", value: "renamed" }],
      });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.path, "/renamed");
      assert.equal((await t.admin("GET", `/restapis/${api.id}/resources/${b.id}`)).body.path, "/renamed/b");
      const greedy = await t.admin("PATCH", `/restapis/${api.id}/resources/${a.id}`, {
        patchOperations: [{ op: "replace", path: "/pathPart", value: "{proxy+}" }],
      });
      assert.equal(greedy.status, 400, "a resource with children cannot become greedy");
      const cyclic = await t.admin("PATCH", `/restapis/${api.id}/resources/${a.id}`, {
        patchOperations: [{ op: "replace", path: "/parentId", value: b.id }],
      });
      assert.equal(cyclic.status, 400);
      assert.match(cyclic.body.message, /cyclical/);
      const moved = await t.admin("PATCH", `/restapis/${api.id}/resources/${b.id}`, {
        patchOperations: [{ op: "replace", path: "/parentId", value: api.rootResourceId }],
      });
      assert.deepEqual(
        { path: moved.body.path, parentId: moved.body.parentId },
        { path: "/b", parentId: api.rootResourceId },
      );
      const { body: c } = await t.admin("POST", `/restapis/${api.id}/resources/${a.id}`, { pathPart: "c" });
      const root = await t.admin("DELETE", `/restapis/${api.id}/resources/${api.rootResourceId}`);
      assert.equal(root.status, 400);
      await t.admin("DELETE", `/restapis/${api.id}/resources/${a.id}`);
      assert.equal((await t.admin("GET", `/restapis/${api.id}/resources/${c.id}`)).status, 404);
      assert.equal((await t.admin("GET", `/restapis/${api.id}/resources/${b.id}`)).status, 200);
      assert.equal(await resourceCount(api.id), 2, "the root and the moved /b remain");
    });

    test("methods and integrations refuse what API Gateway or Tollgate cannot run, changing nothing", async () => {
      const { body: api } = await t.admin("POST", "/restapis", { name: "strict" });
      const { body: r } = await t.admin("POST", `/restapis/${api.id}/resources/${api.rootResourceId}`, {
        pathPart: "r",
      });
      const method = `/restapis/${api.id}/resources/${r.id}/methods`;
      assert.equal((await t.admin("PUT", `${method}/FETCH`, { authorizationType: "NONE" })).status, 400);
      assert.equal((await t.admin("PUT", `${method}/GET`, { authorizationType: "NONE" })).status, 201);
      const again = await t.admin("PUT", `${method}/GET`, { authorizationType: "NONE" });
      assert.equal(again.status, 409);
      assert.match(again.body.message, /Method already exists/);
      const custom = await t.admin("PUT", `${method}/POST`, { authorizationType: "CUSTOM" });
      assert.equal(custom.status, 400);
      assert.match(custom.body.message, /authorizer/);

      const integration = `${method}/GET/integration`;
      const cases: Array<[object, RegExp]> = [
        [
          { type: "AWS_PROXY", httpMethod: "POST", uri: "arn:aws:apigateway:us-east-1:lambda:path/fn" },
          /AWS_PROXY is not supported by Tollgate/,
        ],
        [
          { type: "AWS", httpMethod: "POST", uri: "arn:aws:apigateway:us-east-1:s3:path/b" },
          /AWS is not supported by Tollgate/,
        ],
        [
          { type: "HTTP_PROXY", httpMethod: "GET", uri: "https://x.example.com", timeoutInMillis: 10 },
          /timeoutInMillis 10.*50 to 29000/,
        ],
        [
          { type: "HTTP_PROXY", httpMethod: "GET", uri: "https://x.example.com", timeoutInMillis: 30000 },
          /timeoutInMillis/,
        ],
        [{ type: "HTTP_PROXY", httpMethod: "GET", uri: "/relative/path" }, /absolute http\(s\) URL/],
        [
          { type: "HTTP_PROXY", httpMethod: "GET", uri: "ftp://files.example.com/x" },
          /absolute http\(s\) URL/,
        ],
        [{ type: "HTTP_PROXY", httpMethod: "GET" }, /needs a uri/],
        [{ type: "HTTP", uri: "https://x.example.com" }, /HttpMethod must be non-empty/],
        [{ type: "SOAP" }, /Invalid integration type 'SOAP'/],
      ];
      for (const [body, message] of cases) {
        const refused = await t.admin("PUT", integration, body);
        assert.equal(refused.status, 400, JSON.stringify(body));
        assert.match(refused.body.message, message);
      }
      const noIntegration = await t.admin("GET", integration);
      assert.equal(noIntegration.status, 404);
      assert.match(noIntegration.body.message, /Invalid Integration identifier specified/);
      assert.equal((await t.admin("PUT", `${method}/DELETE/integration`, { type: "MOCK" })).status, 404);
    });

    test("an unknown REST API id is a 404 NotFoundException on every operation", async () => {
      const paths: Array<[string, string, unknown?]> = [
        ["GET", "/restapis/nosuchapi0"],
        ["PATCH", "/restapis/nosuchapi0", { patchOperations: [] }],
        ["DELETE", "/restapis/nosuchapi0"],
        ["GET", "/restapis/nosuchapi0/resources"],
        ["POST", "/restapis/nosuchapi0/resources/root", { pathPart: "x" }],
        ["PUT", "/restapis/nosuchapi0/resources/r/methods/GET", { authorizationType: "NONE" }],
        ["GET", "/restapis/nosuchapi0/stages/prod/exports/oas30"],
      ];
      for (const [method, path, body] of paths) {
        const response = await t.admin(method, path, body);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.headers.get("x-amzn-errortype"), "NotFoundException");
        assert.match(response.body.message, /Invalid API identifier specified: nosuchapi0/);
      }
    });
  });
}
