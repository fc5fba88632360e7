import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  DeleteAuthorizerCommand,
  GetAuthorizersCommand,
  GetResourcesCommand,
  ImportRestApiCommand,
  UpdateAuthorizerCommand,
  UpdateMethodCommand,
  UpdateRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import {
  type AuthorizerCall,
  policyAnswer,
  startAuthorizer,
  startIssuer,
  type TestAuthorizer,
  type TestIssuer,
} from "../helpers/auth-servers.js";
import { call, gatewayCaughtUp, planWithKey } from "../helpers/gateway-fixture.js";
import { rejection } from "../helpers/sdk.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const POLICIES_OPENAPI = readFileSync(new URL("../fixtures/openapi/gateway-policies.yaml", import.meta.url));

describe("gateway: authorizers (JWT and Lambda-style over HTTP)", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  let t: TestTollgate;
  let upstream: Upstream;
  let issuer: TestIssuer;
  let authorizer: TestAuthorizer;
  let apiId: string;
  let meteredKey: string;
  let jwtTenant: string;
  const resources = new Map<string, string>();

  /** The Lambda-style authorizer's answers, by token or x-user header. */
  function answer(event: AuthorizerCall): { status: number; body?: unknown } {
    const token = event.authorizationToken ?? event.headers?.["x-user"] ?? "";
    const api = event.methodArn.split(":").pop()!.split("/")[0];
    const arn = (rest: string) => `arn:aws:execute-api:us-east-1:000000000000:${api}/${rest}`;
    if (token === "allow")
      return {
        status: 200,
        body: policyAnswer("user-7", "Allow", arn("*"), { context: { plan: "gold", seats: 3 } }),
      };
    if (token === "deny") return { status: 200, body: policyAnswer("user-8", "Deny", arn("*")) };
    if (token === "only-token")
      return { status: 200, body: policyAnswer("user-9", "Allow", arn("dev/GET/token")) };
    if (token === "metered")
      return {
        status: 200,
        body: policyAnswer("tenant-a", "Allow", arn("*"), { usageIdentifierKey: meteredKey }),
      };
    if (token === "broken") return { status: 500 };
    return { status: 401 };
  }

  async function attach(path: string, authorizationType: string, authorizerId: string) {
    await t.apigateway.send(
      new UpdateMethodCommand({
        restApiId: apiId,
        resourceId: resources.get(path),
        httpMethod: "GET",
        patchOperations: [
          { op: "replace", path: "/authorizationType", value: authorizationType },
          { op: "replace", path: "/authorizerId", value: authorizerId },
        ],
      }),
    );
  }

  before(async () => {
    upstream = await startUpstream();
    issuer = await startIssuer();
    authorizer = await startAuthorizer(answer);
    t = await startTestTollgate({
      clock,
      env: { TOLLGATE_ACCOUNT_RATE_LIMIT: "1000000", TOLLGATE_ACCOUNT_BURST_LIMIT: "1000000" },
    });
    const api = await t.apigateway.send(new ImportRestApiCommand({ body: POLICIES_OPENAPI }));
    apiId = api.id!;
    const listed = await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId, limit: 100 }));
    for (const r of listed.items ?? []) resources.set(r.path!, r.id!);

    // Through the AWS SDK: a Cognito-style JWT authorizer whose provider is our issuer's URL.
    const cognito = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "issuer",
        type: "COGNITO_USER_POOLS",
        providerARNs: [issuer.issuer],
        identitySource: "method.request.header.Authorization",
      }),
    );
    const audience = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "audience",
        type: "COGNITO_USER_POOLS",
        providerARNs: [issuer.issuer],
      }),
    );
    await t.apigateway.send(
      new UpdateAuthorizerCommand({
        restApiId: apiId,
        authorizerId: audience.id,
        patchOperations: [{ op: "replace", path: "/jwtConfiguration/audience", value: "orders-api" }],
      }),
    );
    const token = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "token",
        type: "TOKEN",
        authorizerUri: authorizer.url,
        identitySource: "method.request.header.Authorization",
        authorizerResultTtlInSeconds: 300,
      }),
    );
    const request = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "request",
        type: "REQUEST",
        authorizerUri: authorizer.url,
        identitySource: "method.request.header.x-user",
        authorizerResultTtlInSeconds: 300,
      }),
    );
    // A JWT authorizer with a tenant claim (Tollgate's type: its fields are not in the SDK's shape).
    const jwt = await t.admin("POST", `/restapis/${apiId}/authorizers`, {
      name: "tenant-jwt",
      type: "JWT",
      jwtConfiguration: { issuer: issuer.issuer, tenantClaim: "tenant" },
    });
    assert.equal(jwt.status, 201, JSON.stringify(jwt.body));

    await attach("/jwt", "COGNITO_USER_POOLS", cognito.id!);
    await attach("/audience", "COGNITO_USER_POOLS", audience.id!);
    await attach("/token", "CUSTOM", token.id!);
    await attach("/token/{id}", "CUSTOM", token.id!);
    await attach("/metered", "CUSTOM", request.id!);
    await attach("/jwt-metered", "COGNITO_USER_POOLS", jwt.body.id);
    await t.apigateway.send(
      new UpdateRestApiCommand({
        restApiId: apiId,
        patchOperations: [{ op: "replace", path: "/apiKeySource", value: "AUTHORIZER" }],
      }),
    );
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    const metered = await planWithKey(t, apiId, { quota: { limit: 3, period: "DAY" } });
    meteredKey = metered.key;
    jwtTenant = (await planWithKey(t, apiId, { quota: { limit: 2, period: "DAY" } })).tenantId;
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await Promise.all([upstream.close(), issuer.close(), authorizer.close()]);
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  test("a valid JWT is accepted and the upstream learns its subject", async () => {
    const token = await issuer.sign({ sub: "alice" }, { nowMs: clock.now() });
    const before = upstream.count();
    const r = await call(t, "/dev/jwt", { headers: bearer(token) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(upstream.count(), before + 1);
    assert.equal(upstream.seen.at(-1)!.headers["x-tollgate-principal-id"], "alice");
    assert.equal(upstream.seen.at(-1)!.headers.authorization, `Bearer ${token}`, "the token is passed on");
  });

  test("missing, expired, badly signed and foreign-issuer JWTs get 401 Unauthorized and never reach the upstream", async () => {
    const before = upstream.count();
    const expired = await issuer.sign({ sub: "alice" }, { nowMs: clock.now() - 7200_000, expiresInS: 3600 });
    const forged = await issuer.signWithOtherKey({ sub: "alice" }, { nowMs: clock.now() });
    const foreign = await issuer.sign(
      { sub: "alice" },
      { nowMs: clock.now(), issuer: "https://elsewhere.example.com" },
    );
    for (const headers of [{}, bearer(expired), bearer(forged), bearer(foreign), bearer("not-a-jwt")]) {
      const r = await call(t, "/dev/jwt", { headers });
      assert.deepEqual([r.status, r.body], [401, { message: "Unauthorized" }], JSON.stringify(headers));
      assert.equal(r.headers.get("x-amzn-errortype"), "UnauthorizedException");
    }
    assert.equal(upstream.count(), before);
  });

  test("a token that expires while cached stops working at its exp", async () => {
    const token = await issuer.sign({ sub: "bob" }, { nowMs: clock.now(), expiresInS: 60 });
    assert.equal((await call(t, "/dev/jwt", { headers: bearer(token) })).status, 200);
    clock.advance(61_000);
    assert.equal((await call(t, "/dev/jwt", { headers: bearer(token) })).status, 401);
  });

  test("a JWT for another audience gets 401; one for the authorizer's audience passes", async () => {
    const wrong = await issuer.sign({ sub: "alice", aud: "billing-api" }, { nowMs: clock.now() });
    const right = await issuer.sign({ sub: "alice", aud: ["orders-api"] }, { nowMs: clock.now() });
    assert.deepEqual((await call(t, "/dev/audience", { headers: bearer(wrong) })).status, 401);
    assert.deepEqual((await call(t, "/dev/audience", { headers: bearer(right) })).status, 200);
  });

  test("the JWKS is fetched once and cached across requests", () => {
    assert.equal(issuer.fetches(), 1);
  });

  test("an HTTP authorizer's Allow admits the request; its principal and context reach the upstream", async () => {
    const r = await call(t, "/dev/token", { headers: { authorization: "allow" } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers["x-tollgate-principal-id"], "user-7");
    assert.equal(seen.headers["x-tollgate-authorizer-plan"], "gold");
    assert.equal(seen.headers["x-tollgate-authorizer-seats"], "3");
    const event = authorizer.calls.at(-1)!;
    assert.equal(event.type, "TOKEN");
    assert.equal(event.authorizationToken, "allow");
    assert.equal(event.methodArn, `arn:aws:execute-api:us-east-1:000000000000:${apiId}/dev/GET/token`);
  });

  test("an HTTP authorizer's Deny is a 403 explicit deny; no identity is a 401; a failing authorizer a 500", async () => {
    const before = upstream.count();
    const denied = await call(t, "/dev/token", { headers: { authorization: "deny" } });
    assert.deepEqual(
      [denied.status, denied.body],
      [403, { Message: "User is not authorized to access this resource with an explicit deny" }],
    );
    const unknown = await call(t, "/dev/token", { headers: { authorization: "who" } });
    assert.deepEqual([unknown.status, unknown.body], [401, { message: "Unauthorized" }]);
    const missing = await call(t, "/dev/token");
    assert.equal(missing.status, 401);
    const broken = await call(t, "/dev/token", { headers: { authorization: "broken" } });
    assert.equal(broken.status, 500);
    assert.equal(broken.headers.get("x-amzn-errortype"), "AuthorizerConfigurationException");
    assert.match(broken.body.message, /Authorizer 'token' failed: it answered 500/);
    assert.equal(upstream.count(), before);
  });

  test("answers are cached by token for the TTL: one authorizer call for many requests, a new call after it", async () => {
    const calls = () => authorizer.calls.filter((c) => c.authorizationToken === "allow").length;
    const first = calls();
    for (let i = 0; i < 5; i++)
      assert.equal((await call(t, "/dev/token", { headers: { authorization: "allow" } })).status, 200);
    await Promise.all(
      Array.from({ length: 5 }, () => call(t, "/dev/token/1", { headers: { authorization: "allow" } })),
    );
    assert.equal(calls(), first, "served from the cache (the answer of the earlier test)");
    const denies = authorizer.calls.filter((c) => c.authorizationToken === "deny").length;
    assert.equal((await call(t, "/dev/token", { headers: { authorization: "deny" } })).status, 403);
    assert.equal(
      authorizer.calls.filter((c) => c.authorizationToken === "deny").length,
      denies,
      "denials are cached too",
    );
    clock.advance(301_000);
    assert.equal((await call(t, "/dev/token", { headers: { authorization: "allow" } })).status, 200);
    assert.equal(calls(), first + 1, "asked again once the TTL passed");
  });

  test("a cached policy is evaluated for each method it is used for, as AWS does", async () => {
    assert.equal((await call(t, "/dev/token", { headers: { authorization: "only-token" } })).status, 200);
    const other = await call(t, "/dev/token/7", { headers: { authorization: "only-token" } });
    assert.deepEqual(
      [other.status, other.body],
      [403, { Message: "User is not authorized to access this resource" }],
    );
  });

  test("usageIdentifierKey: the authorizer's key meters the request and its plan's quota holds", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call(t, "/dev/metered", { headers: { "x-user": "metered" } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.url, "/metered");
    assert.ok(seen.headers["x-tollgate-api-key-id"], "the upstream learns the key");
    const event = authorizer.calls.find((c) => c.type === "REQUEST")!;
    assert.equal(event.headers?.["x-user"], "metered");
    assert.equal(
      authorizer.calls.filter((c) => c.type === "REQUEST").length,
      1,
      "REQUEST answers are cached by identity source",
    );
    // Without the authorizer's key, an x-api-key header does not stand in (key source AUTHORIZER).
    assert.equal(
      (await call(t, "/dev/metered", { headers: { "x-user": "allow" }, key: meteredKey })).status,
      403,
    );
  });

  test("a JWT's tenant claim meters the tenant's key: limited by its plan's quota like a key holder", async () => {
    const token = await issuer.sign({ sub: "carol", tenant: jwtTenant }, { nowMs: clock.now() });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await call(t, "/dev/jwt-metered", { headers: bearer(token) })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(upstream.seen.at(-1)!.headers["x-tollgate-tenant-id"], jwtTenant);
    const stranger = await issuer.sign({ sub: "dave", tenant: "no-such-tenant" }, { nowMs: clock.now() });
    assert.equal((await call(t, "/dev/jwt-metered", { headers: bearer(stranger) })).status, 403);
  });

  test("bad authorizer input is a 400 that changes nothing; a method cannot name an authorizer that does not exist", async () => {
    const before = await t.apigateway.send(new GetAuthorizersCommand({ restApiId: apiId }));
    const bad = [
      { name: "x", type: "MAGIC" },
      { name: "x", type: "TOKEN" },
      { name: "x", type: "TOKEN", authorizerUri: "ftp://host/auth" },
      { name: "x", type: "TOKEN", authorizerUri: authorizer.url, authorizerResultTtlInSeconds: 4000 },
      { name: "x", type: "TOKEN", authorizerUri: authorizer.url, identityValidationExpression: "([" },
      { name: "x", type: "COGNITO_USER_POOLS", providerARNs: ["not-an-arn"] },
      { name: "x", type: "REQUEST", authorizerUri: authorizer.url, authorizerResultTtlInSeconds: 60 },
    ];
    for (const input of bad) {
      const r = await t.admin("POST", `/restapis/${apiId}/authorizers`, input);
      assert.equal(r.status, 400, JSON.stringify(input));
      assert.ok(r.body.message.length > 20, r.body.message);
    }
    const lambda = await rejection(
      t.apigateway.send(
        new CreateAuthorizerCommand({
          restApiId: apiId,
          name: "lambda",
          type: "TOKEN",
          authorizerUri:
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
        }),
      ),
    );
    assert.equal(lambda.name, "BadRequestException");
    assert.match(lambda.message, /cannot invoke Lambda/);
    const after = await t.apigateway.send(new GetAuthorizersCommand({ restApiId: apiId }));
    assert.deepEqual(
      after.items?.map((a) => a.id),
      before.items?.map((a) => a.id),
    );

    const unknown = await rejection(
      t.apigateway.send(
        new UpdateMethodCommand({
          restApiId: apiId,
          resourceId: resources.get("/open"),
          httpMethod: "GET",
          patchOperations: [
            { op: "replace", path: "/authorizationType", value: "CUSTOM" },
            { op: "replace", path: "/authorizerId", value: "nosuchauth" },
          ],
        }),
      ),
    );
    assert.equal(unknown.name, "BadRequestException");
    assert.match(unknown.message, /Invalid authorizer ID specified/);
    const method = await t.admin("GET", `/restapis/${apiId}/resources/${resources.get("/open")}/methods/GET`);
    assert.equal(method.body.authorizationType, "NONE");

    const inUse = await rejection(
      t.apigateway.send(new DeleteAuthorizerCommand({ restApiId: apiId, authorizerId: after.items![0]!.id })),
    );
    assert.equal(inUse.name, "ConflictException");
  });
});

describe("gateway: authorizers from an OpenAPI import", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let authorizer: TestAuthorizer;

  before(async () => {
    upstream = await startUpstream();
    authorizer = await startAuthorizer((event) =>
      event.authorizationToken === "ok"
        ? { status: 200, body: { isAuthorized: true, principalId: "p1" } }
        : { status: 200, body: { isAuthorized: false } },
    );
    t = await startTestTollgate();
  });
  after(async () => {
    await t.close();
    await Promise.all([upstream.close(), authorizer.close()]);
  });

  test("x-amazon-apigateway-authorizer on a security scheme creates the authorizer and protects its methods", async () => {
    const document = {
      openapi: "3.0.3",
      info: { title: "Imported", version: "1" },
      components: {
        securitySchemes: {
          partner: {
            type: "apiKey",
            name: "X-Partner-Token",
            in: "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
              type: "token",
              authorizerUri: authorizer.url,
              authorizerResultTtlInSeconds: 0,
            },
          },
        },
      },
      paths: {
        "/things": {
          get: {
            security: [{ partner: [] }],
            "x-amazon-apigateway-integration": {
              type: "http_proxy",
              httpMethod: "GET",
              uri: `${upstream.url}/things`,
            },
            responses: { "200": { description: "ok" } },
          },
        },
      },
    };
    const api = await t.apigateway.send(
      new ImportRestApiCommand({ body: Buffer.from(JSON.stringify(document)) }),
    );
    assert.equal(api.warnings, undefined);
    const authorizers = await t.apigateway.send(new GetAuthorizersCommand({ restApiId: api.id }));
    assert.deepEqual(
      authorizers.items?.map((a) => [a.name, a.type, a.identitySource, a.authorizerResultTtlInSeconds]),
      [["partner", "TOKEN", "method.request.header.X-Partner-Token", 0]],
    );
    await t.apigateway.send(new CreateDeploymentCommand({ restApiId: api.id, stageName: "v1" }));
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/v1/things", { headers: { "x-partner-token": "ok" } })).status, 200);
    const refused = await call(t, "/v1/things", { headers: { "x-partner-token": "nope" } });
    assert.deepEqual([refused.status, refused.body], [403, { message: "Forbidden" }]);
    assert.equal((await call(t, "/v1/things")).status, 401);
    assert.equal(authorizer.calls.length, 2, "TTL 0: every request with a token asks the authorizer");
  });
});
