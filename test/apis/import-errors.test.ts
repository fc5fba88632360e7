import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { ImportRestApiCommand, PutRestApiCommand } from "@aws-sdk/client-api-gateway";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const fixtureText = (name: string): string =>
  readFileSync(new URL(`../fixtures/openapi/${name}`, import.meta.url), "utf8");

const minimal = (paths: string): string =>
  ["openapi: 3.0.1", "info: { title: Minimal, version: '1' }", "paths:", paths].join("\n");

for (const dialect of DIALECTS) {
  describe(`${dialect}: a bad OpenAPI import is a clear 4xx that stores nothing`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect });
    });
    after(() => t.close());

    async function counts(): Promise<{ apis: number; resources: number; revision: number }> {
      const db = t.tollgate.store.db;
      return {
        apis: (await db.selectFrom("rest_apis").select("id").execute()).length,
        resources: (await db.selectFrom("resources").select("id").execute()).length,
        revision: await t.tollgate.store.revision(),
      };
    }

    const cases: Array<[string, string, RegExp]> = [
      [
        "text that is neither JSON nor YAML",
        fixtureText("not-openapi.txt"),
        /Invalid OpenAPI definition: the body is neither JSON nor valid YAML/,
      ],
      [
        "truncated JSON",
        '{"openapi": "3.0.1", "info": {',
        /Invalid OpenAPI definition: the body is not valid JSON/,
      ],
      ["an empty body", "", /the request body is empty/],
      [
        "YAML whose alias contains itself",
        "openapi: 3.0.1\ninfo: &loop { title: x, version: '1', self: *loop }\npaths: {}\n",
        /refers to itself through an alias/,
      ],
      [
        "YAML that is not an OpenAPI document",
        "name: hello\nitems: [1, 2]\n",
        /neither an 'openapi' \(3\.x\) nor a 'swagger' \(2\.0\) version field/,
      ],
      [
        "an unsupported OpenAPI version",
        "openapi: 4.0.0\ninfo: { title: x, version: '1' }\npaths: {}\n",
        /unsupported OpenAPI version '4\.0\.0'/,
      ],
      [
        "a missing info.title",
        fixtureText("missing-title.yaml"),
        /^Invalid OpenAPI definition: info\.title is required/,
      ],
      [
        "an operation whose responses are not an object",
        minimal("  /a:\n    get:\n      responses: [ok]"),
        /^Invalid OpenAPI definition: paths\.\/a\.get\.responses must be object$/,
      ],
      [
        "a dangling $ref",
        minimal("  /a:\n    get:\n      responses: { '200': { $ref: '#/components/responses/Nope' } }"),
        /Missing \$ref pointer "#\/components\/responses\/Nope"/,
      ],
      [
        "a 10 ms integration timeout",
        fixtureText("timeout-too-short.yaml"),
        /timeoutInMillis 10: must be an integer from 50 to 29000 \(at GET \/slow\)/,
      ],
      [
        "an AWS_PROXY (Lambda) integration",
        fixtureText("lambda-proxy.yaml"),
        /Integration type AWS_PROXY is not supported by Tollgate.*\(at POST \/hello\)/,
      ],
      [
        "a variable inside a path part",
        minimal("  /files/{name}.json:\n    get:\n      responses: { '200': { description: ok } }"),
        /Invalid path part '\{name\}\.json' in path '\/files\/\{name\}\.json'/,
      ],
      [
        "a greedy variable before the end",
        minimal("  /{proxy+}/more:\n    get:\n      responses: { '200': { description: ok } }"),
        /greedy path variable \{proxy\+\} must be the last part/,
      ],
      [
        "two variable siblings",
        minimal(
          "  /a/{x}:\n    get:\n      responses: { '200': { description: ok } }\n  /a/{y}/b:\n    get:\n      responses: { '200': { description: ok } }",
        ),
        /A sibling \(\{x\}\) of this resource already has a variable path part/,
      ],
      [
        "an HTTP integration with a relative uri",
        minimal(
          "  /a:\n    get:\n      responses: { '200': { description: ok } }\n      x-amazon-apigateway-integration: { type: http_proxy, httpMethod: GET, uri: /backend/a }",
        ),
        /Invalid integration uri '\/backend\/a'/,
      ],
      [
        "an integration response without a status code",
        minimal(
          "  /a:\n    get:\n      responses: { '200': { description: ok } }\n      x-amazon-apigateway-integration: { type: mock, responses: { default: { responseTemplates: {} } } }",
        ),
        /responses\['default'\] needs a statusCode/,
      ],
    ];

    for (const [what, body, message] of cases) {
      test(`${what} is a 400 BadRequestException`, async () => {
        const before = await counts();
        const response = await t.admin("POST", "/restapis?mode=import", body, {
          headers: { "content-type": "application/octet-stream" },
        });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get("x-amzn-errortype"), "BadRequestException");
        assert.match(response.body.message, message);
        assert.deepEqual(await counts(), before);
      });
    }

    test("an unknown basepath mode is a 400", async () => {
      const response = await t.admin(
        "POST",
        "/restapis?mode=import&basepath=strip",
        fixtureText("catalog-oas31.yaml"),
      );
      assert.equal(response.status, 400);
      assert.match(response.body.message, /Invalid basepath 'strip': expected ignore, prepend or split/);
    });

    test("through the SDK the failure is a BadRequestException with the same message", async () => {
      const before = await counts();
      await assert.rejects(
        t.apigateway.send(
          new ImportRestApiCommand({ body: new TextEncoder().encode(fixtureText("missing-title.yaml")) }),
        ),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, "BadRequestException");
          assert.equal(error.$metadata?.httpStatusCode, 400);
          assert.match(error.message, /info\.title is required/);
          return true;
        },
      );
      assert.deepEqual(await counts(), before);
    });

    test("PutRestApi on an unknown id is a 404 NotFoundException", async () => {
      const before = await counts();
      await assert.rejects(
        t.apigateway.send(
          new PutRestApiCommand({
            restApiId: "nosuchapi0",
            mode: "overwrite",
            body: new TextEncoder().encode(fixtureText("petstore-v2-merge.yaml")),
          }),
        ),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, "NotFoundException");
          assert.equal(error.$metadata?.httpStatusCode, 404);
          return true;
        },
      );
      assert.deepEqual(await counts(), before);
    });
  });
}
