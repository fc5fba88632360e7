import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  GetAuthorizerCommand,
  GetResourcesCommand,
  ImportRestApiCommand,
  TestInvokeAuthorizerCommand,
  type TestInvokeAuthorizerCommandInput,
  UpdateMethodCommand,
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
import { call, gatewayCaughtUp } from "../helpers/gateway-fixture.js";
import { fields, rejects } from "../helpers/sdk.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const POLICIES_OPENAPI = readFileSync(new URL("../fixtures/openapi/gateway-policies.yaml", import.meta.url));

/** The REQUEST event as the test authorizer receives it (more than `AuthorizerCall` names). */
type RequestEvent = AuthorizerCall & {
  multiValueHeaders: Record<string, string[]>;
  path: string;
  httpMethod: string;
  stageVariables: Record<string, string>;
};

describe("admin: TestInvokeAuthorizer (through the AWS SDK)", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  let t: TestTollgate;
  let upstream: Upstream;
  let issuer: TestIssuer;
  let endpoint: TestAuthorizer;
  let apiId: string;
  let tokenId: string;
  let requestId: string;
  let jwtId: string;

  /** The Lambda-style endpoint's answers, by token (TOKEN) or x-user header (REQUEST). */
  function answer(event: AuthorizerCall): { status: number; body?: unknown } {
    const token = event.authorizationToken ?? event.headers?.["x-user"] ?? "";
    if (token === "allow")
      return {
        status: 200,
        body: policyAnswer("user-7", "Allow", event.methodArn, { context: { plan: "gold", seats: 3 } }),
      };
    if (token === "deny") return { status: 200, body: policyAnswer("user-8", "Deny", event.methodArn) };
    if (token === "forbidden") return { status: 403 };
    if (token === "broken") return { status: 500 };
    return { status: 401 };
  }

  const invoke = (input: Omit<TestInvokeAuthorizerCommandInput, "restApiId">) =>
    t.apigateway.send(new TestInvokeAuthorizerCommand({ restApiId: apiId, ...input }));

  before(async () => {
    upstream = await startUpstream();
    issuer = await startIssuer();
    endpoint = await startAuthorizer(answer);
    t = await startTestTollgate({ clock });
    apiId = (await t.apigateway.send(new ImportRestApiCommand({ body: POLICIES_OPENAPI }))).id!;
    tokenId = (
      await t.apigateway.send(
        new CreateAuthorizerCommand({
          restApiId: apiId,
          name: "token",
          type: "TOKEN",
          authorizerUri: endpoint.url,
          identitySource: "method.request.header.Authorization",
          authorizerResultTtlInSeconds: 300,
        }),
      )
    ).id!;
    requestId = (
      await t.apigateway.send(
        new CreateAuthorizerCommand({
          restApiId: apiId,
          name: "request",
          type: "REQUEST",
          authorizerUri: endpoint.url,
          identitySource: "method.request.header.x-user",
          authorizerResultTtlInSeconds: 300,
        }),
      )
    ).id!;
    // Tollgate's JWT type: jwtConfiguration is not in the SDK's shape.
    const jwt = await t.admin("POST", `/restapis/${apiId}/authorizers`, {
      name: "jwt",
      type: "JWT",
      jwtConfiguration: { issuer: issuer.issuer, audience: ["orders-api"] },
    });
    assert.equal(jwt.status, 201, JSON.stringify(jwt.body));
    jwtId = jwt.body.id;

    // GET /token uses the TOKEN authorizer on a deployed stage, to compare with the gateway's cache.
    const resources = await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId, limit: 100 }));
    await t.apigateway.send(
      new UpdateMethodCommand({
        restApiId: apiId,
        resourceId: resources.items!.find((r) => r.path === "/token")!.id,
        httpMethod: "GET",
        patchOperations: [
          { op: "replace", path: "/authorizationType", value: "CUSTOM" },
          { op: "replace", path: "/authorizerId", value: tokenId },
        ],
      }),
    );
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await Promise.all([upstream.close(), issuer.close(), endpoint.close()]);
  });

  test("a TOKEN authorizer that allows: clientStatus 200 with its principalId, policy and context", async () => {
    const before = endpoint.calls.length;
    const r = await invoke({ authorizerId: tokenId, headers: { Authorization: "allow" } });
    assert.equal(r.$metadata.httpStatusCode, 200);
    assert.equal(r.clientStatus, 200, r.log);
    assert.equal(r.principalId, "user-7");
    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:${apiId}/ESTestInvoke-stage/GET/`;
    assert.deepEqual(JSON.parse(r.policy!), policyAnswer("user-7", "Allow", methodArn).policyDocument);
    assert.deepEqual(r.authorization, { plan: ["gold"], seats: ["3"] });
    assert.equal(r.claims, undefined);
    assert.ok(Number.isInteger(r.latency) && r.latency! >= 0, String(r.latency));
    assert.match(r.log!, /Authorizer result: allowed/);
    assert.match(r.log!, /Endpoint response status: 200/);
    // The endpoint got the TOKEN event a Lambda authorizer gets from a test invocation.
    assert.equal(endpoint.calls.length, before + 1);
    assert.deepEqual(endpoint.calls.at(-1), { type: "TOKEN", authorizationToken: "allow", methodArn });
  });

  test("a TOKEN authorizer that denies: clientStatus 403, by a Deny policy or by answering 403", async () => {
    const denied = await invoke({ authorizerId: tokenId, headers: { Authorization: "deny" } });
    assert.equal(denied.clientStatus, 403, denied.log);
    assert.equal(denied.principalId, "user-8");
    assert.equal(JSON.parse(denied.policy!).Statement[0].Effect, "Deny");
    assert.match(denied.log!, /with an explicit deny/);

    const forbidden = await invoke({ authorizerId: tokenId, headers: { Authorization: "forbidden" } });
    assert.equal(forbidden.clientStatus, 403, forbidden.log);
    assert.equal(forbidden.policy, undefined);
    assert.equal(forbidden.principalId, undefined);
  });

  test("no identity, or one the endpoint does not accept: clientStatus 401; without one the endpoint is not called", async () => {
    const before = endpoint.calls.length;
    const identityless: Array<Record<string, string>> = [{}, { Authorization: "" }, { "X-Other": "allow" }];
    for (const headers of identityless) {
      const r = await invoke({ authorizerId: tokenId, headers });
      assert.equal(r.clientStatus, 401, JSON.stringify(headers));
      assert.match(r.log!, /401 UnauthorizedException/);
    }
    assert.equal(endpoint.calls.length, before, "no identity, no call");
    const rejected = await invoke({ authorizerId: tokenId, headers: { Authorization: "who-knows" } });
    assert.equal(rejected.clientStatus, 401);
    assert.equal(endpoint.calls.length, before + 1);
  });

  test("an endpoint that fails: clientStatus 500, the cause in the log", async () => {
    const r = await invoke({ authorizerId: tokenId, headers: { Authorization: "broken" } });
    assert.equal(r.clientStatus, 500);
    assert.match(r.log!, /Authorizer 'token' failed: it answered 500/);
    assert.match(r.log!, /Endpoint response status: 500/);
  });

  test("the endpoint is called on every test invocation: neither a test's answer nor the gateway's cached one is reused", async () => {
    const before = endpoint.calls.length;
    const first = await invoke({ authorizerId: tokenId, headers: { Authorization: "allow" } });
    const second = await invoke({ authorizerId: tokenId, headers: { Authorization: "allow" } });
    assert.deepEqual([first.clientStatus, second.clientStatus], [200, 200]);
    assert.equal(endpoint.calls.length, before + 2);

    // The gateway caches its answer for the token (TTL 300 s); a test invocation still calls.
    for (let i = 0; i < 2; i++) {
      const r = await call(t, "/dev/token", { headers: { authorization: "allow" } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    assert.equal(endpoint.calls.length, before + 3, "the gateway called once and then used its cache");
    await invoke({ authorizerId: tokenId, headers: { Authorization: "allow" } });
    assert.equal(endpoint.calls.length, before + 4);
  });

  test("a REQUEST authorizer without identity sources (so without caching) is called, not refused", async () => {
    const open = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "open",
        type: "REQUEST",
        authorizerUri: endpoint.url,
        authorizerResultTtlInSeconds: 0,
      }),
    );
    const before = endpoint.calls.length;
    const r = await invoke({ authorizerId: open.id!, headers: { "x-user": "allow" } });
    assert.equal(r.clientStatus, 200, r.log);
    assert.equal(endpoint.calls.length, before + 1);
  });

  test("a REQUEST authorizer gets the simulated request: headers, multi-value headers, path, query and stage variables", async () => {
    const r = await invoke({
      authorizerId: requestId,
      headers: { "x-user": "allow" },
      multiValueHeaders: { "x-team": ["blue", "green"] },
      pathWithQueryString: "/orders/7?limit=2",
      stageVariables: { env: "test" },
    });
    assert.equal(r.clientStatus, 200, r.log);
    const event = endpoint.calls.at(-1) as RequestEvent;
    assert.equal(event.type, "REQUEST");
    assert.equal(
      event.methodArn,
      `arn:aws:execute-api:us-east-1:000000000000:${apiId}/ESTestInvoke-stage/GET/orders/7`,
    );
    assert.deepEqual(
      [event.httpMethod, event.path, event.queryStringParameters, event.stageVariables],
      ["GET", "/orders/7", { limit: "2" }, { env: "test" }],
    );
    assert.deepEqual(event.headers, { "x-user": "allow", "x-team": "blue,green" });
    assert.deepEqual(event.multiValueHeaders, { "x-user": ["allow"], "x-team": ["blue", "green"] });
  });

  test("a JWT authorizer with a valid token: clientStatus 200 and the verified claims", async () => {
    const fetches = issuer.fetches();
    const token = await issuer.sign(
      { sub: "alice", aud: "orders-api", tenant: "t-1", groups: ["admins"] },
      { nowMs: clock.now() },
    );
    const r = await invoke({ authorizerId: jwtId, headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.clientStatus, 200, r.log);
    assert.equal(r.principalId, "alice");
    assert.equal(r.policy, undefined);
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual(r.claims, {
      sub: "alice",
      aud: "orders-api",
      tenant: "t-1",
      groups: '["admins"]',
      iss: issuer.issuer,
      iat: String(now),
      exp: String(now + 3600),
    });
    // A test fetches the issuer's keys itself, not from the gateway's cached key set.
    await invoke({ authorizerId: jwtId, headers: { Authorization: `Bearer ${token}` } });
    assert.equal(issuer.fetches(), fetches + 2);
  });

  test("a JWT authorizer with an expired token, or one for another audience: clientStatus 401 and no claims", async () => {
    const expired = await issuer.sign(
      { sub: "alice", aud: "orders-api" },
      { nowMs: clock.now() - 7200_000, expiresInS: 3600 },
    );
    const foreign = await issuer.sign({ sub: "alice", aud: "billing-api" }, { nowMs: clock.now() });
    for (const token of [expired, foreign]) {
      const r = await invoke({ authorizerId: jwtId, headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.clientStatus, 401, r.log);
      assert.equal(r.claims, undefined);
      assert.equal(r.principalId, undefined);
    }
  });

  test("an unknown authorizer or API is AWS's 404 NotFoundException", async () => {
    const message = await rejects(
      invoke({ authorizerId: "nope", headers: { Authorization: "allow" } }),
      "NotFoundException",
      404,
    );
    assert.match(message, /Invalid authorizer identifier specified: nope/);
    await rejects(
      t.apigateway.send(
        new TestInvokeAuthorizerCommand({ restApiId: "nope", authorizerId: tokenId, headers: {} }),
      ),
      "NotFoundException",
      404,
    );
  });

  test("a test invocation changes nothing stored; a malformed one is a 400 that calls nothing", async () => {
    const revision = await t.tollgate.store.revision();
    const stored = fields(
      await t.apigateway.send(new GetAuthorizerCommand({ restApiId: apiId, authorizerId: tokenId })),
    );
    const calls = endpoint.calls.length;
    await invoke({ authorizerId: tokenId, headers: { Authorization: "allow" } });
    for (const body of [
      { headers: { Authorization: 7 } },
      { headers: { "bad header": "allow" } },
      { headers: { Authorization: "allow" }, pathWithQueryString: "orders" },
      { multiValueHeaders: { Authorization: "allow" } },
    ]) {
      const r = await t.admin("POST", `/restapis/${apiId}/authorizers/${tokenId}`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.headers.get("x-amzn-errortype"), "BadRequestException");
    }
    assert.equal(endpoint.calls.length, calls + 1, "only the valid test called the endpoint");
    assert.equal(await t.tollgate.store.revision(), revision);
    assert.deepEqual(
      fields(await t.apigateway.send(new GetAuthorizerCommand({ restApiId: apiId, authorizerId: tokenId }))),
      stored,
    );
  });
});
