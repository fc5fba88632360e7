import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { redisSkip, startRedis, type TestRedis } from "../counters/helpers/redis-server.js";
import { call, gatewayCaughtUp, type PlanWithKey, planWithKey } from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { type CountingUpstream, deployCachedApi, startCountingUpstream } from "./helpers/cache-upstream.js";

describe("gateway cache in Redis: Redis unavailable", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let t: TestTollgate;
  let upstream: CountingUpstream;
  let tenant: PlanWithKey;

  before(async () => {
    redis = await startRedis();
    upstream = await startCountingUpstream();
    // Fail-open counters, so that what is left to see is the cache's own behaviour.
    t = await startTestTollgate({
      env: { TOLLGATE_REDIS_URL: redis.url, TOLLGATE_REDIS_FAILURE_MODE: "open" },
    });
    const apiId = await deployCachedApi(t, upstream.url);
    tenant = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await redis.stop();
    await upstream.close();
  });

  test("a lookup that Redis cannot answer is a miss: the request is forwarded and answered, never refused", async () => {
    await call(t, "/dev/items?color=red", { key: tenant.key });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await call(t, "/dev/items?color=red", { key: tenant.key })).headers.get("x-cache"), "Hit");
    await redis.stop();
    for (let i = 0; i < 3; i++) {
      const r = await call(t, "/dev/items?color=red", { key: tenant.key });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("x-cache"), "Miss");
    }
    assert.equal(upstream.count("/items?color=red"), 4);
    await redis.start();
  });
});
