import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { CreateDeploymentCommand, UpdateStageCommand } from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import {
  call,
  deployEchoApi,
  echoApiWorld,
  gatewayCaughtUp,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** Sends `n` requests one after another and returns their statuses. */
async function statuses(t: TestTollgate, n: number, path: string, key?: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(t, path, { key })).status);
  return out;
}

describe("gateway: throttling and quotas (injected clock)", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const w = echoApiWorld({ clock });
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  before(() => {
    ({ t, upstream, apiId } = w);
  });

  test("the plan's bucket admits its burst, then 429 Too Many Requests with Retry-After and RateLimit fields; it refills at the rate", async () => {
    const tenant = await planWithKey(t, apiId, { throttle: { rateLimit: 10, burstLimit: 5 } });
    await gatewayCaughtUp(t);
    assert.deepEqual(await statuses(t, 5, "/dev/pets", tenant.key), [200, 200, 200, 200, 200]);
    const denied = await call(t, "/dev/pets", { key: tenant.key });
    assert.deepEqual([denied.status, denied.body], [429, { message: "Too Many Requests" }]);
    assert.equal(denied.headers.get("x-amzn-errortype"), "TooManyRequestsException");
    assert.equal(denied.headers.get("retry-after"), "1");
    assert.match(denied.headers.get("ratelimit-policy") ?? "", /"throttle";q=5;w=1/);
    assert.match(denied.headers.get("ratelimit") ?? "", /"throttle";r=0;t=1/);
    clock.advance(100); // one token at 10 rps
    assert.deepEqual(await statuses(t, 2, "/dev/pets", tenant.key), [200, 429]);
    // The refusals are in the key's answer statistics (the portal's throttled count), not its usage.
    await t.tollgate.ledger.commit();
    await t.tollgate.ledger.flushStats();
    const stats = await t.tollgate.store.db
      .selectFrom("usage_stats")
      .select(["status", "requests"])
      .where("key_id", "=", tenant.keyId)
      .orderBy("status")
      .execute();
    assert.deepEqual(
      stats.map((r) => [r.status, Number(r.requests)]),
      [
        [200, 6],
        [429, 2],
      ],
    );
  });

  test("a per-method throttle of the plan limits that method only", async () => {
    const tenant = await planWithKey(t, apiId, {
      throttle: { rateLimit: 100, burstLimit: 100 },
      methodThrottle: { "/pets/GET": { rateLimit: 1, burstLimit: 2 } },
    });
    await gatewayCaughtUp(t);
    assert.deepEqual(await statuses(t, 3, "/dev/pets", tenant.key), [200, 200, 429]);
    assert.deepEqual(await statuses(t, 3, "/dev/pets/1", tenant.key), [200, 200, 200]);
  });

  test("a stage's method setting and its default bucket hold for all keys together", async () => {
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "limited",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "limited",
        patchOperations: [
          { op: "replace", path: "/~1pets/GET/throttling/burstLimit", value: "3" },
          { op: "replace", path: "/~1pets/GET/throttling/rateLimit", value: "1" },
          { op: "replace", path: "/*/*/throttling/burstLimit", value: "5" },
          { op: "replace", path: "/*/*/throttling/rateLimit", value: "1" },
        ],
      }),
    );
    const a = await planWithKey(t, apiId, { stage: "limited" });
    const b = await planWithKey(t, apiId, { stage: "limited" });
    await gatewayCaughtUp(t);
    // /pets GET: method bucket of 3 shared by both keys.
    assert.deepEqual(await statuses(t, 2, "/limited/pets", a.key), [200, 200]);
    assert.deepEqual(await statuses(t, 2, "/limited/pets", b.key), [200, 429]);
    // The stage default bucket (5) has given 3; two more for any other method, then 429.
    assert.deepEqual(await statuses(t, 3, "/limited/pets/9", b.key), [200, 200, 429]);
  });

  test("a DAY quota admits exactly its limit, then 429 Limit Exceeded until the next UTC day", async () => {
    clock.set(Date.UTC(2026, 10, 25, 23, 59, 59, 0));
    const tenant = await planWithKey(t, apiId, { quota: { limit: 3, period: "DAY", offset: 0 } });
    await gatewayCaughtUp(t);
    const first = await call(t, "/dev/pets", { key: tenant.key });
    assert.match(first.headers.get("ratelimit") ?? "", /"quota";r=2;t=1/);
    assert.deepEqual(await statuses(t, 2, "/dev/pets", tenant.key), [200, 200]);
    const spent = await call(t, "/dev/pets", { key: tenant.key });
    assert.deepEqual([spent.status, spent.body], [429, { message: "Limit Exceeded" }]);
    assert.equal(spent.headers.get("x-amzn-errortype"), "LimitExceededException");
    assert.equal(spent.headers.get("retry-after"), "1");
    clock.advance(1000);
    assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
  });

  test("a WEEK quota with offset 1 starts its period on Monday 00:00 UTC", async () => {
    clock.set(Date.UTC(2026, 10, 29, 23, 59, 0)); // Sunday 29 Nov 2026, 23:59
    const tenant = await planWithKey(t, apiId, { quota: { limit: 2, period: "WEEK", offset: 1 } });
    await gatewayCaughtUp(t);
    assert.deepEqual(await statuses(t, 3, "/dev/pets", tenant.key), [200, 200, 429]);
    clock.set(Date.UTC(2026, 10, 30, 0, 0, 0)); // Monday
    assert.deepEqual(await statuses(t, 3, "/dev/pets", tenant.key), [200, 200, 429]);
    clock.set(Date.UTC(2026, 11, 6, 23, 0, 0)); // the next Sunday: same period
    assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 429);
  });

  test("a quota of 100 admits exactly 100 under 50 concurrent clients, and the ledger holds exactly those", async () => {
    const tenant = await planWithKey(t, apiId, { quota: { limit: 100, period: "MONTH", offset: 0 } });
    await gatewayCaughtUp(t);
    const before = upstream.count();
    let admitted = 0;
    let limited = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = 0; i < 5; i++) {
          const status = (await call(t, "/dev/pets", { key: tenant.key })).status;
          if (status === 200) admitted++;
          else if (status === 429) limited++;
        }
      }),
    );
    assert.deepEqual([admitted, limited], [100, 150]);
    assert.equal(upstream.count() - before, 100);
    await t.tollgate.ledger.commit();
    const rows = await t.tollgate.store.db
      .selectFrom("usage_counts")
      .select("requests")
      .where("key_id", "=", tenant.keyId)
      .execute();
    assert.equal(
      rows.reduce((sum, r) => sum + r.requests, 0),
      100,
    );
  });
});

describe("gateway: the account-wide bucket", () => {
  test("every request passes the account bucket, keys or not", async () => {
    const upstream = await startUpstream();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const t = await startTestTollgate({
      clock,
      env: { TOLLGATE_ACCOUNT_RATE_LIMIT: "1", TOLLGATE_ACCOUNT_BURST_LIMIT: "4" },
    });
    try {
      const apiId = await deployEchoApi(t, upstream.url);
      const tenant = await planWithKey(t, apiId);
      await gatewayCaughtUp(t);
      assert.deepEqual(await statuses(t, 2, "/dev/public"), [200, 200]);
      assert.deepEqual(await statuses(t, 3, "/dev/pets", tenant.key), [200, 200, 429]);
      clock.advance(1000);
      assert.deepEqual(await statuses(t, 2, "/dev/public"), [200, 429]);
    } finally {
      await t.close();
      await upstream.close();
    }
  });
});
