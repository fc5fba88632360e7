import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  CreateModelCommand,
  CreateRequestValidatorCommand,
  GetModelsCommand,
  GetRequestValidatorsCommand,
  GetResourcesCommand,
  ImportRestApiCommand,
  UpdateMethodCommand,
} from "@aws-sdk/client-api-gateway";
import { call, gatewayCaughtUp, planWithKey } from "../helpers/gateway-fixture.js";
import { rejection } from "../helpers/sdk.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const VALIDATION_OPENAPI = readFileSync(
  new URL("../fixtures/openapi/gateway-validation.yaml", import.meta.url),
);
const MAX_BODY = 4096;

/** Sends a body of `size` bytes chunked (no Content-Length), in 1 KiB pieces. */
function chunked(t: TestTollgate, path: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.tollgate.gatewayUrl}${path}`,
      { method: "PUT", headers: { "transfer-encoding": "chunked" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    for (let sent = 0; sent < size; sent += 1024) req.write(Buffer.alloc(Math.min(1024, size - sent), 97));
    req.end();
  });
}

describe("gateway: request validation from the OpenAPI document, and the body limit", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  let key: string;

  const json = (body: unknown) => ({
    key,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  before(async () => {
    upstream = await startUpstream();
    t = await startTestTollgate({
      env: {
        TOLLGATE_ACCOUNT_RATE_LIMIT: "100000",
        TOLLGATE_ACCOUNT_BURST_LIMIT: "100000",
        TOLLGATE_MAX_BODY_BYTES: String(MAX_BODY),
      },
    });
    const api = await t.apigateway.send(new ImportRestApiCommand({ body: VALIDATION_OPENAPI }));
    apiId = api.id!;
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    key = (await planWithKey(t, apiId, { quota: { limit: 3, period: "DAY" } })).key;
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  test("the import creates the validators and a model per schema", async () => {
    const validators = await t.apigateway.send(new GetRequestValidatorsCommand({ restApiId: apiId }));
    assert.deepEqual(
      validators.items?.map((v) => [v.name, v.validateRequestBody, v.validateRequestParameters]),
      [
        ["all", true, true],
        ["params-only", false, true],
      ],
    );
    const models = await t.apigateway.send(new GetModelsCommand({ restApiId: apiId }));
    assert.deepEqual(
      models.items?.map((m) => m.name),
      ["Kind", "Pet", "PostNotesBody"],
      "components.schemas, and the inline body schema of POST /notes",
    );
  });

  test("a body that fails its model is a 400 naming what is wrong; the upstream never sees it, the quota does not count it", async () => {
    const before = upstream.count();
    const cases: Array<[unknown, RegExp]> = [
      [{ kind: "cat" }, /must have required property 'name'/],
      [{ name: "Rex", kind: "bird" }, /\/kind: must be equal to one of the allowed values \["cat","dog"\]/],
      [{ name: "Rex", kind: "dog", age: -1 }, /\/age: must be >= 0/],
      [{ name: "Rex", kind: "dog", color: "red" }, /must NOT have additional properties 'color'/],
      [[1, 2], /must be object/],
    ];
    for (const [body, detail] of cases) {
      const r = await call(t, "/dev/pets", json(body));
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.message, "Invalid request body");
      assert.match(r.body.detail, detail);
      assert.equal(r.headers.get("x-amzn-errortype"), "BadRequestException");
    }
    const notJson = await call(t, "/dev/pets", {
      key,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    assert.deepEqual([notJson.status, notJson.body.message], [400, "Invalid request body"]);
    assert.match(notJson.body.detail, /not JSON/);
    const empty = await call(t, "/dev/pets", {
      key,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "",
    });
    assert.equal(empty.status, 400);
    assert.equal(upstream.count(), before, "no invalid request reached the upstream");

    // The quota of 3 is still whole: the refused requests were not counted.
    for (let i = 0; i < 3; i++)
      assert.equal((await call(t, "/dev/pets", json({ name: "Rex", kind: "dog", tag: null }))).status, 200);
    assert.equal((await call(t, "/dev/pets", json({ name: "Rex", kind: "dog" }))).status, 429);
  });

  test("a valid body reaches the upstream byte for byte", async () => {
    const other = (await planWithKey(t, apiId)).key;
    await gatewayCaughtUp(t);
    const body = JSON.stringify({ name: "Zoë", kind: "cat", age: 3 });
    const r = await call(t, "/dev/pets", {
      key: other,
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.bodyBytes, Buffer.byteLength(body));
    assert.equal(r.body.headers["content-length"], String(Buffer.byteLength(body)));
  });

  test("missing required query parameters and headers are a 400 that names them", async () => {
    const before = upstream.count();
    const none = await call(t, "/dev/search");
    assert.deepEqual(
      [none.status, none.body],
      [400, { message: "Missing required request parameters: [q, x-client]" }],
    );
    const noHeader = await call(t, "/dev/search?q=cats&page=2");
    assert.deepEqual(noHeader.body, { message: "Missing required request parameters: [x-client]" });
    assert.equal(upstream.count(), before);
    assert.equal((await call(t, "/dev/search?q=cats", { headers: { "x-client": "web" } })).status, 200);
  });

  test("a method whose validator checks parameters only passes any body", async () => {
    const r = await call(t, "/dev/notes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"no":"text"}',
    });
    assert.equal(r.status, 200);
  });

  test("a body over the limit is a 413 before anything else, with Content-Length or chunked", async () => {
    const before = upstream.count();
    const big = "x".repeat(MAX_BODY + 1);
    const r = await call(t, "/dev/uploads", { method: "PUT", body: big });
    assert.equal(r.status, 413);
    assert.equal(r.body.message, "Request Too Long");
    assert.match(r.body.detail, /limit of 4096 bytes/);
    assert.equal(upstream.count(), before, "refused on its Content-Length");
    assert.equal(
      (await call(t, "/dev/uploads", { method: "PUT", body: "x".repeat(MAX_BODY) })).status,
      200,
      "the limit itself passes",
    );

    const streamed = await chunked(t, "/dev/uploads", MAX_BODY * 3);
    assert.equal(streamed.status, 413, streamed.body);
    const small = await chunked(t, "/dev/uploads", 2000);
    assert.equal(small.status, 200);
    assert.equal(JSON.parse(small.body).bodyBytes, 2000);
  });

  test("validators and models through the SDK; bad models and references are a 400 that changes nothing", async () => {
    const validator = await t.apigateway.send(
      new CreateRequestValidatorCommand({ restApiId: apiId, name: "body", validateRequestBody: true }),
    );
    await t.apigateway.send(
      new CreateModelCommand({
        restApiId: apiId,
        name: "Upload",
        contentType: "text/plain",
        schema: JSON.stringify({ type: "string", maxLength: 3 }),
      }),
    );
    const resources = await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId }));
    const uploads = resources.items!.find((r) => r.path === "/uploads")!;
    const update = (patchOperations: Array<{ op: "replace" | "add"; path: string; value: string }>) =>
      t.apigateway.send(
        new UpdateMethodCommand({
          restApiId: apiId,
          resourceId: uploads.id,
          httpMethod: "PUT",
          patchOperations,
        }),
      );

    const models = (await t.apigateway.send(new GetModelsCommand({ restApiId: apiId }))).items!.length;
    for (const schema of ['{"type": ', '{"type": "nonsense"}', '{"$ref": "#/components/schemas/Missing"}']) {
      const e = await rejection(
        t.apigateway.send(
          new CreateModelCommand({ restApiId: apiId, name: "Bad", contentType: "application/json", schema }),
        ),
      );
      assert.equal(e.name, "BadRequestException", schema);
    }
    assert.equal((await t.apigateway.send(new GetModelsCommand({ restApiId: apiId }))).items!.length, models);
    assert.match(
      (await rejection(update([{ op: "replace", path: "/requestValidatorId", value: "nosuchvalidator" }])))
        .message,
      /Invalid Request Validator identifier/,
    );
    assert.match(
      (await rejection(update([{ op: "add", path: "/requestModels/text~1plain", value: "Nope" }]))).message,
      /Invalid model name 'Nope'/,
    );

    await update([
      { op: "replace", path: "/requestValidatorId", value: validator.id! },
      { op: "add", path: "/requestModels/text~1plain", value: "Upload" },
    ]);
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    await gatewayCaughtUp(t);
    const text = (body: string) =>
      call(t, "/dev/uploads", { method: "PUT", headers: { "content-type": "text/plain" }, body });
    assert.equal((await text('"ok"')).status, 200);
    const long = await text('"too long"');
    assert.equal(long.status, 400);
    assert.match(long.body.detail, /must NOT have more than 3 characters/);
  });
});
