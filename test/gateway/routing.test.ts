import assert from "node:assert/strict";
import { request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { before, describe, test } from "node:test";
import {
  CreateBasePathMappingCommand,
  CreateDomainNameCommand,
  UpdateApiKeyCommand,
} from "@aws-sdk/client-api-gateway";
import { IDENTITY_HEADERS } from "../../src/gateway/index.js";
import {
  call,
  deployEchoApi,
  echoApiWorld,
  gatewayCaughtUp,
  type PlanWithKey,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import type { TestTollgate } from "../helpers/tollgate.js";

describe("gateway: routing, identification and proxying", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let apiId: string;
  let tenant: PlanWithKey;

  before(async () => {
    ({ t, apiId } = w);
    tenant = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
  });

  test("a templated path reaches the upstream with the parameter substituted and the query kept", async () => {
    const r = await call(t, "/dev/pets/42?color=brown", { key: tenant.key });
    assert.equal(r.status, 200);
    assert.equal(r.body.url, "/pets/42?color=brown");
    assert.equal(r.headers.get("x-upstream"), "yes");
  });

  test("the upstream learns tenant, key and plan; forged copies are replaced; the key is not passed on", async () => {
    const r = await call(t, "/dev/pets", {
      key: tenant.key,
      headers: {
        [IDENTITY_HEADERS.tenant]: "forged",
        [IDENTITY_HEADERS.plan]: "forged",
        "x-forwarded-for": "10.1.2.3",
      },
    });
    assert.equal(r.body.headers[IDENTITY_HEADERS.tenant], tenant.tenantId);
    assert.equal(r.body.headers[IDENTITY_HEADERS.key], tenant.keyId);
    assert.equal(r.body.headers[IDENTITY_HEADERS.plan], tenant.planId);
    assert.equal(r.body.headers["x-api-key"], undefined);
    assert.equal(r.body.headers["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    assert.equal(r.body.headers["x-forwarded-proto"], "http");
    assert.match(r.body.headers["x-forwarded-host"], /^127\.0\.0\.1:\d+$/);
  });

  test("a greedy {proxy+} with ANY takes every method and the rest of the path", async () => {
    const r = await call(t, "/dev/files/a/b/c.txt", { key: tenant.key, method: "DELETE" });
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.method, r.body.url], ["DELETE", "/storage/a/b/c.txt"]);
  });

  test("request bodies stream to the upstream", async () => {
    const body = new Uint8Array(3 * 1024 * 1024).fill(97);
    const r = await call(t, "/dev/pets", { key: tenant.key, method: "POST", body });
    assert.equal(r.body.bodyBytes, body.length);
  });

  test("a request body of unknown length (chunked) reaches the upstream whole", async () => {
    const received = await new Promise<{
      status: number;
      body: { bodyBytes: number; headers: Record<string, string> };
    }>((resolve, reject) => {
      const req = request(
        `${t.tollgate.gatewayUrl}/dev/pets`,
        { method: "POST", headers: { "x-api-key": tenant.key } },
        (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.write("a".repeat(1000));
      setTimeout(() => req.end("b".repeat(500)), 20);
    });
    assert.equal(received.status, 200);
    assert.equal(received.body.bodyBytes, 1500);
    assert.equal(received.body.headers["transfer-encoding"], "chunked");
  });

  test("hop-by-hop fields and those the Connection field names are not passed on", async () => {
    const r = await call(t, "/dev/pets", {
      key: tenant.key,
      headers: {
        connection: "keep-alive, x-hop-only",
        "x-hop-only": "1",
        "x-end-to-end": "2",
        te: "trailers",
      },
    });
    assert.equal(r.body.headers["x-end-to-end"], "2");
    assert.equal(r.body.headers["x-hop-only"], undefined);
    assert.equal(r.body.headers.te, undefined);
  });

  test("an upstream whose answer is not valid HTTP is a 502 that says so", async () => {
    const raw = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n"));
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", () => resolve()));
    try {
      const brokenApi = await deployEchoApi(
        t,
        `http://127.0.0.1:${(raw.address() as AddressInfo).port}`,
        "broken",
      );
      const broken = await planWithKey(t, brokenApi, { stage: "broken" });
      await gatewayCaughtUp(t);
      const r = await call(t, "/broken/pets", {
        key: broken.key,
        headers: { host: `${brokenApi}.execute-api.test` },
      });
      assert.equal(r.status, 502);
      assert.match(r.body.message, /sent an invalid response.*Content-Length/);
    } finally {
      raw.close();
    }
  });

  test("an unknown route is a 404 naming method, path and stage", async () => {
    const r = await call(t, "/dev/unicorns", { key: tenant.key });
    assert.equal(r.status, 404);
    assert.match(r.body.message, /GET \/unicorns/);
    assert.match(r.body.message, /'dev'/);
    const noStage = await call(t, "/prod/pets", { key: tenant.key });
    assert.equal(noStage.status, 404);
    assert.match(noStage.body.message, /prod/);
  });

  test("missing, unknown and uncovered keys are 403 Forbidden; a key-less method needs none", async () => {
    for (const key of [undefined, "x".repeat(40)]) {
      const r = await call(t, "/dev/pets", { key });
      assert.deepEqual([r.status, r.body], [403, { message: "Forbidden" }]);
    }
    const otherTenant = await t.admin("POST", "/tenants", { name: "uncovered" });
    const stray = await t.admin("POST", "/apikeys", {
      name: "stray",
      enabled: true,
      customerId: otherTenant.body.id,
    });
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: stray.body.value })).status, 403);
    assert.equal((await call(t, "/dev/public")).status, 200);
  });

  test("a disabled key is refused within a second, without restart", async () => {
    const other = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: other.key })).status, 200);
    await t.apigateway.send(
      new UpdateApiKeyCommand({
        apiKey: other.keyId,
        patchOperations: [{ op: "replace", path: "/enabled", value: "false" }],
      }),
    );
    const deadline = Date.now() + 1000;
    let status = 200;
    while (Date.now() < deadline && status !== 403) {
      status = (await call(t, "/dev/pets", { key: other.key })).status;
      if (status !== 403) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 403);
  });

  test("an upstream slower than timeoutInMillis is a 504; an unreachable one a 502 with a clear message", async () => {
    const slow = await call(t, "/dev/slow", { key: tenant.key });
    assert.deepEqual([slow.status, slow.body], [504, { message: "Endpoint request timed out" }]);
    const down = await call(t, "/dev/down", { key: tenant.key });
    assert.equal(down.status, 502);
    assert.match(down.body.message, /127\.0\.0\.1:9.*could not be reached/);
  });

  test("a mock integration answers from the OpenAPI example", async () => {
    const r = await call(t, "/dev/mocked", { key: tenant.key });
    assert.deepEqual([r.status, r.body], [200, { id: 1, name: "Rex" }]);
  });

  test("an {api}.execute-api host and a custom domain's base path mapping address the API", async () => {
    const viaHost = await call(t, "/dev/pets/7", {
      key: tenant.key,
      headers: { host: `${apiId}.execute-api.localhost` },
    });
    assert.equal(viaHost.body.url, "/pets/7");
    await t.apigateway.send(new CreateDomainNameCommand({ domainName: "api.example.test" }));
    await t.apigateway.send(
      new CreateBasePathMappingCommand({
        domainName: "api.example.test",
        restApiId: apiId,
        stage: "dev",
        basePath: "v1",
      }),
    );
    await gatewayCaughtUp(t);
    const viaDomain = await call(t, "/v1/pets/8", { key: tenant.key, headers: { host: "api.example.test" } });
    assert.equal(viaDomain.body.url, "/pets/8");
  });
});
