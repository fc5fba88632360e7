import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  FlushStageCacheCommand,
  GetUsageCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { call, gatewayCaughtUp, type PlanWithKey, planWithKey } from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { type CountingUpstream, deployCachedApi, startCountingUpstream } from "./helpers/cache-upstream.js";

const START = Date.UTC(2026, 5, 10, 12, 0, 0);

describe("gateway: the stage response cache", () => {
  let t: TestTollgate;
  let upstream: CountingUpstream;
  let apiId: string;
  let alice: PlanWithKey;
  let bob: PlanWithKey;
  const clock = new ManualClock(START);

  before(async () => {
    upstream = await startCountingUpstream();
    t = await startTestTollgate({ clock });
    apiId = await deployCachedApi(t, upstream.url);
    alice = await planWithKey(t, apiId, { quota: { limit: 1000, period: "DAY", offset: 0 } });
    bob = await planWithKey(t, apiId, { quota: { limit: 1000, period: "DAY", offset: 0 } });
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });
  beforeEach(async () => {
    // Each test starts from an empty cache.
    await t.apigateway.send(new FlushStageCacheCommand({ restApiId: apiId, stageName: "dev" }));
    await gatewayCaughtUp(t);
  });

  test("ten requests for the same key reach the upstream once; the hits say x-cache: Hit with an Age", async () => {
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await call(t, "/dev/items?color=red", { key: alice.key }));
    assert.equal(upstream.count("/items?color=red"), 1);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(10).fill(200),
    );
    assert.equal(answers[0]!.headers.get("x-cache"), "Miss");
    for (const a of answers.slice(1)) {
      assert.equal(a.headers.get("x-cache"), "Hit");
      assert.deepEqual(a.body, answers[0]!.body);
      assert.equal(a.headers.get("content-type"), "application/json");
      // The stored fields are written once: a second content-length or date would show as "a, b".
      assert.equal(a.headers.get("content-length"), answers[0]!.headers.get("content-length"));
      assert.doesNotMatch(a.headers.get("date") ?? "", /GMT,/);
    }
    clock.advance(7_000);
    const later = await call(t, "/dev/items?color=red", { key: alice.key });
    assert.equal(later.headers.get("age"), "7");
    // Each answer has its own request id and RateLimit fields, never the stored ones.
    assert.notEqual(later.headers.get("x-amzn-requestid"), answers[1]!.headers.get("x-amzn-requestid"));
    assert.match(later.headers.get("ratelimit") ?? "", /"quota";r=\d+/);
  });

  test("cache key parameters: the listed query parameter and header key entries, other parameters do not", async () => {
    const before = upstream.count("/items?color=");
    await call(t, "/dev/items?color=red", { key: alice.key });
    await call(t, "/dev/items?color=blue", { key: alice.key });
    await call(t, "/dev/items?color=red&size=xl", { key: alice.key }); // size is not a key parameter
    await call(t, "/dev/items?color=red", { key: alice.key, headers: { "x-locale": "fr" } });
    const fr = await call(t, "/dev/items?color=red", { key: alice.key, headers: { "X-Locale": "fr" } });
    assert.equal(fr.headers.get("x-cache"), "Hit");
    assert.equal(fr.body.locale, "fr");
    assert.equal(upstream.count("/items?color=") - before, 3);
  });

  test("a path parameter keys entries only when it is a cache key parameter (as AWS)", async () => {
    const one = await call(t, "/dev/items/1", { key: alice.key });
    const two = await call(t, "/dev/items/2", { key: alice.key });
    assert.equal(two.headers.get("x-cache"), "Miss");
    assert.notDeepEqual(one.body, two.body);
    // Without the parameter in cacheKeyParameters, /unkeyed/1 and /unkeyed/2 share one entry.
    await call(t, "/dev/unkeyed/1", { key: alice.key });
    const shared = await call(t, "/dev/unkeyed/2", { key: alice.key });
    assert.equal(shared.headers.get("x-cache"), "Hit");
    assert.equal(shared.body.url, "/unkeyed/1");
    assert.equal(upstream.count("/unkeyed/"), 1);
  });

  test("an entry expires after ttlInSeconds: the next request goes to the upstream again", async () => {
    await call(t, "/dev/items?color=green", { key: alice.key });
    clock.advance(59_000);
    assert.equal((await call(t, "/dev/items?color=green", { key: alice.key })).headers.get("x-cache"), "Hit");
    clock.advance(1_000);
    const fresh = await call(t, "/dev/items?color=green", { key: alice.key });
    assert.equal(fresh.headers.get("x-cache"), "Miss");
    assert.equal(upstream.count("/items?color=green"), 2);
  });

  test("the upstream's Cache-Control is honoured: no-store and private are not kept, max-age shortens the TTL", async () => {
    for (const mode of ["no-store", "private", "cookie", "missing"]) {
      await call(t, `/dev/control/${mode}`, { key: alice.key });
      const again = await call(t, `/dev/control/${mode}`, { key: alice.key });
      assert.equal(again.headers.get("x-cache"), "Miss", mode);
      assert.equal(upstream.count(`/control/${mode}`), 2, mode);
    }
    await call(t, "/dev/control/max-age-1", { key: alice.key });
    assert.equal((await call(t, "/dev/control/max-age-1", { key: alice.key })).headers.get("x-cache"), "Hit");
    clock.advance(1_000);
    assert.equal(
      (await call(t, "/dev/control/max-age-1", { key: alice.key })).headers.get("x-cache"),
      "Miss",
    );
  });

  test("only GET is cached by the stage-wide setting: POST always reaches the upstream", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await call(t, "/dev/items", { key: alice.key, method: "POST", body: "{}" });
      assert.equal(r.headers.get("x-cache"), null);
    }
    assert.equal(upstream.seen.filter((u) => u === "/items").length >= 3, true);
  });

  test("no cross-tenant leak: each tenant gets its own entry unless the method says context.shared", async () => {
    const before = upstream.count("/items?color=red");
    const a = await call(t, "/dev/items?color=red", { key: alice.key });
    const b = await call(t, "/dev/items?color=red", { key: bob.key });
    assert.equal(b.headers.get("x-cache"), "Miss");
    assert.equal(a.body.tenant, alice.tenantId);
    assert.equal(b.body.tenant, bob.tenantId);
    const b2 = await call(t, "/dev/items?color=red", { key: bob.key });
    assert.equal(b2.body.tenant, bob.tenantId);
    assert.equal(upstream.count("/items?color=red") - before, 2);
    // A method whose answer is the same for everyone opts out with context.shared.
    await call(t, "/dev/shared", { key: alice.key });
    const sharedForBob = await call(t, "/dev/shared", { key: bob.key });
    assert.equal(sharedForBob.headers.get("x-cache"), "Hit");
    assert.equal(upstream.count("/shared"), 1);
  });

  test("FlushStageCache empties the stage's cache on the gateway within its reload", async () => {
    await call(t, "/dev/items?color=teal", { key: alice.key });
    assert.equal((await call(t, "/dev/items?color=teal", { key: alice.key })).headers.get("x-cache"), "Hit");
    await t.apigateway.send(new FlushStageCacheCommand({ restApiId: apiId, stageName: "dev" }));
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/items?color=teal", { key: alice.key })).headers.get("x-cache"), "Miss");
    assert.equal(upstream.count("/items?color=teal"), 2);
  });

  test("a method setting with caching off (or TTL 0) is not cached; the stage's cacheClusterEnabled false turns all off", async () => {
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [{ op: "replace", path: "/~1items~1{id}/GET/caching/ttlInSeconds", value: "0" }],
      }),
    );
    await gatewayCaughtUp(t);
    await call(t, "/dev/items/9", { key: alice.key });
    // The method's own entry (created with AWS's defaults, caching off) wins over */*.
    assert.equal((await call(t, "/dev/items/9", { key: alice.key })).headers.get("x-cache"), null);
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [
          { op: "remove", path: "/~1items~1{id}/GET" },
          { op: "replace", path: "/cacheClusterEnabled", value: "false" },
        ],
      }),
    );
    await gatewayCaughtUp(t);
    await call(t, "/dev/items?color=off", { key: alice.key });
    assert.equal((await call(t, "/dev/items?color=off", { key: alice.key })).headers.get("x-cache"), null);
    assert.equal(upstream.count("/items?color=off"), 2);
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [{ op: "replace", path: "/cacheClusterEnabled", value: "true" }],
      }),
    );
    await gatewayCaughtUp(t);
  });
});

describe("gateway cache: answers from the cache are counted and metered like any other", () => {
  test("a quota of 5 admits 5 answers (1 forwarded, 4 cached) and refuses the 6th; the ledger holds 5", async () => {
    const upstream = await startCountingUpstream();
    const t = await startTestTollgate();
    try {
      const apiId = await deployCachedApi(t, upstream.url);
      const tenant = await planWithKey(t, apiId, { quota: { limit: 5, period: "DAY", offset: 0 } });
      await gatewayCaughtUp(t);
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await call(t, "/dev/items?color=red", { key: tenant.key })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      assert.equal(upstream.count("/items"), 1);
      await t.tollgate.ledger.commit();
      const day = new Date().toISOString().slice(0, 10);
      const usage = await t.apigateway.send(
        new GetUsageCommand({ usagePlanId: tenant.planId, startDate: day, endDate: day }),
      );
      assert.deepEqual(usage.items?.[tenant.keyId], [[5, 0]]);
      const metrics = await (await fetch(`${t.tollgate.adminUrl}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`tollgate_gateway_cache_requests_total\\{api="${apiId}",stage="dev",result="hit"\\} 4`),
      );
      assert.match(
        metrics,
        new RegExp(`tollgate_gateway_cache_requests_total\\{api="${apiId}",stage="dev",result="miss"\\} 1`),
      );
    } finally {
      await t.close();
      await upstream.close();
    }
  });
});

describe("gateway cache: Cache-Control max-age=0 invalidation", () => {
  let t: TestTollgate;
  let upstream: CountingUpstream;
  let apiId: string;
  let admin: PlanWithKey;
  let other: PlanWithKey;

  before(async () => {
    upstream = await startCountingUpstream();
    t = await startTestTollgate();
    apiId = await deployCachedApi(t, upstream.url);
    admin = await planWithKey(t, apiId, { quota: { limit: 1000, period: "DAY", offset: 0 } });
    other = await planWithKey(t, apiId, { quota: { limit: 1000, period: "DAY", offset: 0 } });
    // Everyone may invoke; only the admin tenant may invalidate (Tollgate's reading of AWS's IAM rule).
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
        {
          Effect: "Allow",
          Principal: "*",
          Action: "execute-api:InvalidateCache",
          Resource: "execute-api:/dev/GET/*",
          Condition: { StringEquals: { "tollgate:TenantId": admin.tenantId } },
        },
      ],
    });
    await t.apigateway.send(
      new UpdateRestApiCommand({
        restApiId: apiId,
        patchOperations: [{ op: "replace", path: "/policy", value: policy }],
      }),
    );
    await t.apigateway.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: "dev" }));
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  async function strategy(value: string, required = "true"): Promise<void> {
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [
          { op: "replace", path: "/*/*/caching/unauthorizedCacheControlHeaderStrategy", value },
          { op: "replace", path: "/*/*/caching/requireAuthorizationForCacheControl", value: required },
        ],
      }),
    );
    await t.apigateway.send(new FlushStageCacheCommand({ restApiId: apiId, stageName: "dev" }));
    await gatewayCaughtUp(t);
  }
  const noCache = { "cache-control": "max-age=0" };

  test("an authorized caller's max-age=0 refetches and replaces the entry for everyone of its tenant", async () => {
    await strategy("FAIL_WITH_403");
    const first = await call(t, "/dev/items?color=a", { key: admin.key });
    const refreshed = await call(t, "/dev/items?color=a", { key: admin.key, headers: noCache });
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.headers.get("x-cache"), "Miss");
    assert.notEqual(refreshed.body.n, first.body.n);
    const after = await call(t, "/dev/items?color=a", { key: admin.key });
    assert.equal(after.headers.get("x-cache"), "Hit");
    assert.equal(after.body.n, refreshed.body.n);
    assert.equal(upstream.count("/items?color=a"), 2);
  });

  test("FAIL_WITH_403: an unauthorized caller's max-age=0 gets 403, nothing is forwarded or counted", async () => {
    await strategy("FAIL_WITH_403");
    await call(t, "/dev/items?color=b", { key: other.key });
    const refused = await call(t, "/dev/items?color=b", { key: other.key, headers: noCache });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /may not invalidate the cache/);
    assert.equal(refused.headers.get("x-amzn-errortype"), "AccessDeniedException");
    assert.equal(upstream.count("/items?color=b"), 1);
    await t.tollgate.ledger.commit();
    const day = new Date().toISOString().slice(0, 10);
    const usage = await t.apigateway.send(
      new GetUsageCommand({ usagePlanId: other.planId, startDate: day, endDate: day }),
    );
    assert.equal(usage.items?.[other.keyId]?.[0]?.[0], 1);
  });

  test("SUCCEED_WITH_RESPONSE_HEADER: the cached answer, with a Warning that the header was ignored", async () => {
    await strategy("SUCCEED_WITH_RESPONSE_HEADER");
    const first = await call(t, "/dev/items?color=c", { key: other.key });
    const r = await call(t, "/dev/items?color=c", { key: other.key, headers: noCache });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-cache"), "Hit");
    assert.equal(r.body.n, first.body.n);
    assert.match(r.headers.get("warning") ?? "", /^199 tollgate ".*ignored/);
    assert.equal(upstream.count("/items?color=c"), 1);
  });

  test("SUCCEED_WITHOUT_RESPONSE_HEADER: the cached answer and no Warning", async () => {
    await strategy("SUCCEED_WITHOUT_RESPONSE_HEADER");
    await call(t, "/dev/items?color=d", { key: other.key });
    const r = await call(t, "/dev/items?color=d", { key: other.key, headers: noCache });
    assert.equal(r.headers.get("x-cache"), "Hit");
    assert.equal(r.headers.get("warning"), null);
    assert.equal(upstream.count("/items?color=d"), 1);
  });

  test("with requireAuthorizationForCacheControl false, any caller may invalidate", async () => {
    await strategy("FAIL_WITH_403", "false");
    await call(t, "/dev/items?color=e", { key: other.key });
    const r = await call(t, "/dev/items?color=e", { key: other.key, headers: noCache });
    assert.equal(r.headers.get("x-cache"), "Miss");
    assert.equal(upstream.count("/items?color=e"), 2);
  });
});
