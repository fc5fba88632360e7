import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import {
  CreateDeploymentCommand,
  ImportRestApiCommand,
  UpdateRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { call, type GatewayResponse, gatewayCaughtUp, planWithKey } from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** Orders behind AWS_IAM; `/orders/keyed` wants a signature and an API key of the same tenant. */
const IAM_OPENAPI = (upstream: string) =>
  new TextEncoder().encode(
    JSON.stringify({
      openapi: "3.0.3",
      info: { title: "Orders", version: "1" },
      components: {
        securitySchemes: {
          sigv4: {
            type: "apiKey",
            name: "Authorization",
            in: "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
          },
          api_key: { type: "apiKey", name: "x-api-key", in: "header" },
        },
      },
      paths: {
        "/orders": Object.fromEntries(
          ["get", "post"].map((method) => [
            method,
            {
              security: [{ sigv4: [] }],
              responses: { "200": { description: "ok" } },
              "x-amazon-apigateway-integration": {
                type: "http_proxy",
                httpMethod: method.toUpperCase(),
                uri: `${upstream}/orders`,
              },
            },
          ]),
        ),
        "/orders/keyed": {
          get: {
            security: [{ sigv4: [], api_key: [] }],
            responses: { "200": { description: "ok" } },
            "x-amazon-apigateway-integration": {
              type: "http_proxy",
              httpMethod: "GET",
              uri: `${upstream}/keyed`,
            },
          },
        },
      },
    }),
  );

interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

describe("gateway: AWS_IAM methods check the caller's SigV4 signature with its tenant's key pair", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  let tenantId: string;
  let pair: KeyPair;

  /** A request to the gateway signed as the AWS SDK signs execute-api calls. */
  const signed = async (
    path: string,
    options: {
      method?: string;
      body?: string;
      keys?: KeyPair;
      service?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<GatewayResponse> => {
    const url = new URL(path, t.tollgate.gatewayUrl);
    const signer = new SignatureV4({
      credentials: options.keys ?? pair,
      region: "us-east-1",
      service: options.service ?? "execute-api",
      sha256: Sha256,
    });
    const request = await signer.sign(
      new HttpRequest({
        method: options.method ?? "GET",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, ...(options.headers ?? {}) },
        body: options.body,
      }),
    );
    return call(t, path, { method: options.method, headers: request.headers, body: options.body });
  };

  before(async () => {
    upstream = await startUpstream();
    t = await startTestTollgate();
    const api = await t.apigateway.send(new ImportRestApiCommand({ body: IAM_OPENAPI(upstream.url) }));
    apiId = api.id!;
    await t.apigateway.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: "prod" }));
    tenantId = (await t.admin("POST", "/tenants", { name: "acme" })).body.id;
    const issued = await t.admin("POST", `/tenants/${tenantId}/credentials`, {});
    assert.equal(issued.status, 201);
    pair = { accessKeyId: issued.body.accessKeyId, secretAccessKey: issued.body.secretAccessKey };
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  test("a signed request reaches the upstream, which learns the tenant and the access key", async () => {
    const r = await signed("/prod/orders?status=open");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.url, "/orders?status=open");
    assert.equal(r.body.headers["x-tollgate-tenant-id"], tenantId);
    assert.equal(r.body.headers["x-tollgate-principal-id"], pair.accessKeyId);
  });

  test("a signed body is forwarded whole; a body changed after signing is refused", async () => {
    const body = JSON.stringify({ item: "book", quantity: 2 });
    const ok = await signed("/prod/orders", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.bodyBytes, Buffer.byteLength(body));

    const url = new URL("/prod/orders", t.tollgate.gatewayUrl);
    const request = await new SignatureV4({
      credentials: pair,
      region: "us-east-1",
      service: "execute-api",
      sha256: Sha256,
    }).sign(
      new HttpRequest({
        method: "POST",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host },
        body,
      }),
    );
    const before = upstream.count();
    const tampered = await call(t, "/prod/orders", {
      method: "POST",
      headers: request.headers,
      body: body.replace("2", "9"),
    });
    assert.equal(tampered.status, 403);
    assert.equal(tampered.headers.get("x-amzn-errortype"), "InvalidSignatureException");
    assert.match(tampered.body.message, /does not match/);
    assert.equal(upstream.count(), before);
  });

  test("missing, malformed, unknown, wrongly keyed and wrongly scoped signatures answer AWS's 403s", async () => {
    const before = upstream.count();
    const cases: Array<[string, Promise<GatewayResponse>, string, RegExp]> = [
      [
        "unsigned",
        call(t, "/prod/orders"),
        "MissingAuthenticationTokenException",
        /^Missing Authentication Token$/,
      ],
      [
        "a bearer token",
        call(t, "/prod/orders", { headers: { authorization: "Bearer abc" } }),
        "IncompleteSignatureException",
        /requires 'Credential'/,
      ],
      [
        "an unknown access key",
        signed("/prod/orders", { keys: { accessKeyId: "TGTUNKNOWN00000000", secretAccessKey: "x" } }),
        "UnrecognizedClientException",
        /security token included in the request is invalid/,
      ],
      [
        "the wrong secret",
        signed("/prod/orders", { keys: { ...pair, secretAccessKey: `${pair.secretAccessKey}x` } }),
        "InvalidSignatureException",
        /signature we calculated does not match/,
      ],
      [
        "another service's scope",
        signed("/prod/orders", { service: "apigateway" }),
        "InvalidSignatureException",
        /scoped to correct service: 'execute-api'/,
      ],
    ];
    for (const [name, response, type, message] of cases) {
      const r = await response;
      assert.equal(r.status, 403, name);
      assert.equal(r.headers.get("x-amzn-errortype"), type, name);
      assert.match(r.body.message, message, name);
    }
    assert.equal(upstream.count(), before);
  });

  test("with an API key required too, the key must be the signing tenant's", async () => {
    const own = await planWithKey(t, apiId, { stage: "prod" });
    const other = await planWithKey(t, apiId, { stage: "prod" });
    // Attach the first plan's key to the signing tenant.
    const moved = await t.admin("PATCH", `/apikeys/${own.keyId}`, {
      patchOperations: [{ op: "replace", path: "/customerId", value: tenantId }],
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await gatewayCaughtUp(t);
    const r = await signed("/prod/orders/keyed", { headers: { "x-api-key": own.key } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.headers["x-tollgate-api-key-id"], own.keyId);
    assert.equal((await signed("/prod/orders/keyed", { headers: { "x-api-key": other.key } })).status, 403);
    assert.equal((await signed("/prod/orders/keyed")).status, 403);
  });

  test("a blocked tenant's signatures answer 403; revoked credentials stop working at once", async () => {
    const second = (await t.admin("POST", `/tenants/${tenantId}/credentials`, {})).body as KeyPair;
    await gatewayCaughtUp(t);
    assert.equal((await signed("/prod/orders", { keys: second })).status, 200);

    const blocked = await t.admin("PATCH", `/tenants/${tenantId}`, {
      patchOperations: [{ op: "replace", path: "/blocked", value: "true" }],
    });
    assert.equal(blocked.status, 200);
    await gatewayCaughtUp(t);
    assert.equal((await signed("/prod/orders", { keys: second })).status, 403);
    await t.admin("PATCH", `/tenants/${tenantId}`, {
      patchOperations: [{ op: "replace", path: "/blocked", value: "false" }],
    });

    const revoked = await t.admin("DELETE", `/tenants/${tenantId}/credentials/${second.accessKeyId}`);
    assert.ok(revoked.status < 300, JSON.stringify(revoked.body));
    await gatewayCaughtUp(t);
    const r = await signed("/prod/orders", { keys: second });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get("x-amzn-errortype"), "UnrecognizedClientException");
    assert.equal((await signed("/prod/orders")).status, 200);
  });

  test("a resource policy naming AWS accounts applies to the AWS_IAM callers of those tenants", async () => {
    const own = await t.admin("POST", `/tenants/${tenantId}/credentials`, {});
    const otherTenant = (await t.admin("POST", "/tenants", { name: "globex" })).body.id;
    const other = (await t.admin("POST", `/tenants/${otherTenant}/credentials`, {})).body;
    assert.notEqual(other.accountId, own.body.accountId);
    const setPolicy = (policy: unknown) =>
      t.apigateway.send(
        new UpdateRestApiCommand({
          restApiId: apiId,
          patchOperations: [{ op: "replace", path: "/policy", value: JSON.stringify(policy) }],
        }),
      );
    await assert.rejects(
      setPolicy({
        Statement: [
          { Effect: "Allow", Principal: { AWS: "acme" }, Action: "execute-api:Invoke", Resource: "*" },
        ],
      }),
      /Principal.AWS: 'acme' is not an account id or an IAM ARN/,
    );
    await setPolicy({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${own.body.accountId}:root`] },
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
        },
        {
          Effect: "Deny",
          Principal: { AWS: own.body.accountId },
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*/POST/orders",
        },
      ],
    });
    await t.apigateway.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: "prod" }));
    await gatewayCaughtUp(t);
    const keys = (body: { accessKeyId: string; secretAccessKey: string }) => ({
      accessKeyId: body.accessKeyId,
      secretAccessKey: body.secretAccessKey,
    });
    assert.equal((await signed("/prod/orders", { keys: keys(own.body) })).status, 200);
    const outsider = await signed("/prod/orders", { keys: keys(other) });
    assert.equal(outsider.status, 403);
    assert.equal(outsider.headers.get("x-amzn-errortype"), "AccessDeniedException");
    const denied = await signed("/prod/orders", { method: "POST", body: "{}", keys: keys(own.body) });
    assert.equal(denied.status, 403);
    assert.match(
      denied.body.Message,
      new RegExp(
        `^User: arn:aws:iam::${own.body.accountId}:root is not authorized .* with an explicit deny$`,
      ),
    );
  });
});
