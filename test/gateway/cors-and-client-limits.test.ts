import assert from "node:assert/strict";
import { connect } from "node:net";
import { before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  GetRestApiCommand,
  UpdateRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { call, echoApiWorld, gatewayCaughtUp, planWithKey } from "../helpers/gateway-fixture.js";
import { rejection } from "../helpers/sdk.js";
import type { TestTollgate } from "../helpers/tollgate.js";
import type { Upstream } from "../helpers/upstream.js";

/** Writes `head` on a raw connection and returns what the server sent until it closed. */
function raw(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = "";
    socket.on("data", (c: Buffer) => {
      text += c.toString("latin1");
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("the server did not close the connection")));
  });
}

describe("gateway: CORS per API, and slow-client and header limits", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  let key: string;
  const app = "https://app.example.com";

  const cors = async (config: unknown) =>
    t.apigateway.send(
      new UpdateRestApiCommand({
        restApiId: apiId,
        patchOperations: [{ op: "replace", path: "/corsConfiguration", value: JSON.stringify(config) }],
      }),
    );

  const w = echoApiWorld({
    env: {
      TOLLGATE_HEADERS_TIMEOUT_MS: "300",
      TOLLGATE_REQUEST_TIMEOUT_MS: "600",
      TOLLGATE_MAX_HEADER_BYTES: "4096",
    },
  });
  before(async () => {
    ({ t, upstream, apiId } = w);
    key = (await planWithKey(t, apiId)).key;
    await cors({
      allowOrigins: [app],
      allowHeaders: ["x-api-key", "content-type"],
      exposeHeaders: ["x-upstream"],
      maxAge: 300,
    });
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    await gatewayCaughtUp(t);
  });

  test("a preflight from an allowed origin is answered by the gateway; the upstream never sees it", async () => {
    const before = upstream.count();
    const r = await call(t, "/dev/pets", {
      method: "OPTIONS",
      headers: {
        origin: app,
        "access-control-request-method": "GET",
        "access-control-request-headers": "x-api-key",
      },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), app);
    assert.equal(r.headers.get("access-control-allow-headers"), "x-api-key, content-type");
    assert.equal(r.headers.get("access-control-max-age"), "300");
    assert.match(r.headers.get("access-control-allow-methods") ?? "", /GET/);
    assert.equal(r.headers.get("vary"), "Origin");
    assert.equal(upstream.count(), before);
  });

  test("an allowed origin's request gets Access-Control-Allow-Origin and the exposed headers; others get none", async () => {
    const r = await call(t, "/dev/pets", { key, headers: { origin: app } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("access-control-allow-origin"), app);
    assert.match(r.headers.get("access-control-expose-headers") ?? "", /^x-upstream, ratelimit/);
    const other = await call(t, "/dev/pets", { key, headers: { origin: "https://evil.example.com" } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    const refused = await call(t, "/dev/pets", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "GET" },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /origin https:\/\/evil\.example\.com is not allowed/);
  });

  test("the developer portal's origin is still answered on every API", async () => {
    const portal = new URL(t.tollgate.portalUrl).origin;
    const r = await call(t, "/dev/pets", {
      method: "OPTIONS",
      headers: { origin: portal, "access-control-request-method": "GET" },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), portal);
    assert.match(r.headers.get("access-control-allow-headers") ?? "", /x-api-key/);
  });

  test("bad CORS configurations are a 400 that changes nothing", async () => {
    const stored = (await t.apigateway.send(new GetRestApiCommand({ restApiId: apiId }))) as {
      corsConfiguration?: unknown;
    };
    for (const config of [
      { allowOrigins: [] },
      { allowOrigins: ["not a url"] },
      { allowOrigins: ["*"], allowCredentials: true },
      { allowOrigins: [app], maxAge: -1 },
      { allowOrigins: [app], allowMethods: ["FETCH"] },
      { allowOrigin: [app] },
    ]) {
      const e = await rejection(cors(config));
      assert.equal(e.name, "BadRequestException", JSON.stringify(config));
    }
    const now = await t.admin("GET", `/restapis/${apiId}`);
    assert.deepEqual(now.body.corsConfiguration, {
      allowOrigins: [app],
      allowHeaders: ["x-api-key", "content-type"],
      exposeHeaders: ["x-upstream"],
      maxAge: 300,
    });
    assert.equal(
      stored.corsConfiguration,
      undefined,
      "the SDK's RestApi shape has no such field: it is Tollgate's",
    );
  });

  test("x-amazon-apigateway-cors in an imported document configures the API", async () => {
    const document = {
      openapi: "3.0.3",
      info: { title: "With CORS", version: "1" },
      "x-amazon-apigateway-cors": { allowOrigins: ["*"], allowMethods: ["GET"] },
      paths: {
        "/x": {
          get: {
            "x-amazon-apigateway-integration": { type: "mock" },
            responses: { "200": { description: "ok" } },
          },
        },
      },
    };
    const r = await t.admin("POST", "/restapis?mode=import", document);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.corsConfiguration, { allowOrigins: ["*"], allowMethods: ["GET"] });
  });

  test("a client that sends its head too slowly gets 408 and the connection is closed", async () => {
    const answer = await raw(t.tollgate.gatewayUrl, "GET /dev/public HTTP/1.1\r\nHost: x\r\n");
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  test("a client that sends its body too slowly gets 408", async () => {
    const answer = await raw(
      t.tollgate.gatewayUrl,
      `PUT /dev/files/a HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\ncontent-length: 100\r\n\r\nonly part`,
    );
    assert.match(answer, /408/);
  });

  test("a request head over the header limit gets 431", async () => {
    const answer = await raw(
      t.tollgate.gatewayUrl,
      `GET /dev/public HTTP/1.1\r\nHost: x\r\nx-big: ${"a".repeat(5000)}\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 431/);
  });
});
