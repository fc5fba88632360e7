import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  FlushStageAuthorizersCacheCommand,
  GetResourcesCommand,
  ImportRestApiCommand,
  UpdateMethodCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { startAuthorizer, type TestAuthorizer } from "../helpers/auth-servers.js";
import { call, gatewayCaughtUp } from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { type CountingUpstream, startCountingUpstream } from "./helpers/cache-upstream.js";

const DOCUMENT = Buffer.from(`openapi: 3.0.3
info: { title: Reports, version: "1" }
paths:
  /report:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://\${stageVariables.upstream}/report"
      responses:
        "200": { description: ok }
`);

describe("gateway: the response cache with a Lambda-style authorizer", () => {
  let t: TestTollgate;
  let upstream: CountingUpstream;
  let authorizer: TestAuthorizer;
  let apiId: string;

  before(async () => {
    upstream = await startCountingUpstream();
    // "ops" may invoke and invalidate the cache; "user" may only invoke.
    authorizer = await startAuthorizer((event) => {
      const token = event.authorizationToken;
      if (token !== "ops" && token !== "user") return { status: 401 };
      const actions =
        token === "ops" ? ["execute-api:Invoke", "execute-api:InvalidateCache"] : "execute-api:Invoke";
      return {
        status: 200,
        body: {
          principalId: token,
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: actions, Resource: "arn:aws:execute-api:*:*:*/dev/GET/*" },
            ],
          },
        },
      };
    });
    t = await startTestTollgate();
    const api = await t.apigateway.send(new ImportRestApiCommand({ body: DOCUMENT }));
    apiId = api.id!;
    const resources = await t.apigateway.send(new GetResourcesCommand({ restApiId: apiId }));
    const report = resources.items!.find((r) => r.path === "/report")!.id!;
    const created = await t.apigateway.send(
      new CreateAuthorizerCommand({
        restApiId: apiId,
        name: "token",
        type: "TOKEN",
        authorizerUri: authorizer.url,
        identitySource: "method.request.header.Authorization",
        authorizerResultTtlInSeconds: 300,
      }),
    );
    await t.apigateway.send(
      new UpdateMethodCommand({
        restApiId: apiId,
        resourceId: report,
        httpMethod: "GET",
        patchOperations: [
          { op: "replace", path: "/authorizationType", value: "CUSTOM" },
          { op: "replace", path: "/authorizerId", value: created.id! },
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
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [
          { op: "replace", path: "/cacheClusterEnabled", value: "true" },
          { op: "replace", path: "/*/*/caching/enabled", value: "true" },
        ],
      }),
    );
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await Promise.all([upstream.close(), authorizer.close()]);
  });

  test("the authorizer's policy allowing execute-api:InvalidateCache lets its caller refetch; others get the cached answer and a Warning", async () => {
    const first = await call(t, "/dev/report", { headers: { authorization: "user" } });
    assert.equal(first.status, 200);
    const ignored = await call(t, "/dev/report", {
      headers: { authorization: "user", "cache-control": "max-age=0" },
    });
    assert.deepEqual([ignored.headers.get("x-cache"), ignored.body.n], ["Hit", first.body.n]);
    assert.match(ignored.headers.get("warning") ?? "", /ignored/);
    const refreshed = await call(t, "/dev/report", {
      headers: { authorization: "ops", "cache-control": "max-age=0" },
    });
    assert.equal(refreshed.headers.get("x-cache"), "Miss");
    assert.notEqual(refreshed.body.n, first.body.n);
    // The refreshed answer replaced the entry for every caller.
    const seenByUser = await call(t, "/dev/report", { headers: { authorization: "user" } });
    assert.equal(seenByUser.body.n, refreshed.body.n);
    assert.equal(upstream.count("/report"), 2);
  });

  test("FlushStageAuthorizersCache makes the authorizer be asked again", async () => {
    const before = authorizer.calls.length;
    await call(t, "/dev/report", { headers: { authorization: "user" } });
    assert.equal(authorizer.calls.length, before, "the answer is cached for 300 s");
    await t.apigateway.send(new FlushStageAuthorizersCacheCommand({ restApiId: apiId, stageName: "dev" }));
    await gatewayCaughtUp(t);
    await call(t, "/dev/report", { headers: { authorization: "user" } });
    assert.equal(authorizer.calls.length, before + 1);
    await call(t, "/dev/report", { headers: { authorization: "user" } });
    assert.equal(authorizer.calls.length, before + 1, "and cached again");
  });
});
