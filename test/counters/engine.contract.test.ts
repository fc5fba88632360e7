import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import {
  type BucketSpec,
  type CounterEngine,
  type Decision,
  InProcessEngine,
  type QuotaSpec,
  quotaPeriod,
  RedisEngine,
} from "../../src/counters/index.js";
import { redisSkip, startRedis, type TestRedis } from "./helpers/redis-server.js";

/** An adapter under the contract: how to make a fresh, empty engine. */
interface Adapter {
  name: string;
  skip: string | false;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  make(): Promise<CounterEngine>;
}

let redis: TestRedis | undefined;
let prefixes = 0;

const ADAPTERS: Adapter[] = [
  { name: "in-process", skip: false, make: async () => new InProcessEngine() },
  {
    name: "redis",
    skip: redisSkip,
    setup: async () => {
      redis = await startRedis();
    },
    teardown: () => redis!.stop(),
    make: async () => {
      // A key prefix per test keeps tests apart on one server.
      const engine = new RedisEngine(redis!.url, {
        keyPrefix: `contract${++prefixes}:`,
        commandTimeoutMs: 2000,
      });
      await engine.ready();
      return engine;
    },
  },
];

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

for (const adapter of ADAPTERS) {
  describe(`${adapter.name}: counter engine contract`, { skip: adapter.skip }, () => {
    let engine: CounterEngine;
    let clock: ManualClock;
    before(async () => adapter.setup?.());
    after(async () => adapter.teardown?.());
    beforeEach(async () => {
      engine = await adapter.make();
      clock = new ManualClock(T0);
    });
    afterEach(() => engine.close());

    const take = async (buckets: BucketSpec[], quota?: QuotaSpec): Promise<Decision> =>
      engine.take({ buckets, quota, now: clock.now() });
    const admittedOf = async (times: number, buckets: BucketSpec[], quota?: QuotaSpec) => {
      let admitted = 0;
      for (let i = 0; i < times; i++) if ((await take(buckets, quota)).admitted) admitted++;
      return admitted;
    };
    const bigBucket: BucketSpec = { id: "big", rate: 1000, burst: 1_000_000 };
    const dailyQuota = (limit: number): QuotaSpec => ({
      id: "q",
      limit,
      ...quotaPeriod(clock.now(), "DAY", 0),
    });

    test("a full bucket admits exactly `burst` requests at one instant, then throttles", async () => {
      const bucket = { id: "b", rate: 1, burst: 5 };
      assert.equal(await admittedOf(8, [bucket]), 5);
      const denied = await take([bucket]);
      assert.equal(denied.admitted, false);
      assert.equal(!denied.admitted && denied.reason, "throttled");
    });

    test("a bucket refills at `rate`: 1/rate seconds later exactly one more request passes", async () => {
      const bucket = { id: "b", rate: 10, burst: 3 };
      assert.equal(await admittedOf(3, [bucket]), 3);
      clock.advance(99);
      assert.equal((await take([bucket])).admitted, false);
      clock.advance(1);
      assert.equal(await admittedOf(3, [bucket]), 1);
    });

    test("refill is continuous: fractions of a token add up across denied requests", async () => {
      const bucket = { id: "b", rate: 4, burst: 1 };
      assert.equal(await admittedOf(1, [bucket]), 1);
      for (let i = 0; i < 4; i++) {
        clock.advance(50);
        assert.equal((await take([bucket])).admitted, false, `after ${(i + 1) * 50} ms`);
      }
      clock.advance(50);
      assert.equal(await admittedOf(2, [bucket]), 1);
    });

    test("a bucket never holds more than `burst`, however long it rests", async () => {
      const bucket = { id: "b", rate: 100, burst: 4 };
      assert.equal(await admittedOf(4, [bucket]), 4);
      clock.advance(3_600_000);
      assert.equal(await admittedOf(10, [bucket]), 4);
    });

    test("a lowered burst caps the tokens a bucket already holds", async () => {
      assert.equal(await admittedOf(1, [{ id: "b", rate: 1, burst: 10 }]), 1);
      assert.equal(await admittedOf(5, [{ id: "b", rate: 1, burst: 2 }]), 2);
    });

    test("a clock stepping back refills nothing", async () => {
      const bucket = { id: "b", rate: 10, burst: 2 };
      clock.advance(1000);
      assert.equal(await admittedOf(2, [bucket]), 2);
      clock.advance(-500);
      assert.equal(await admittedOf(2, [bucket]), 0);
      clock.advance(600);
      assert.equal(await admittedOf(2, [bucket]), 1);
    });

    test("buckets with different ids do not share tokens", async () => {
      assert.equal(await admittedOf(3, [{ id: "a", rate: 1, burst: 2 }]), 2);
      assert.equal(await admittedOf(3, [{ id: "b", rate: 1, burst: 2 }]), 2);
    });

    test("a bucket of burst 0 throttles every request", async () => {
      const blocked = { id: "b", rate: 10, burst: 0 };
      const denied = await take([blocked]);
      assert.equal(denied.admitted, false);
      clock.advance(10_000);
      assert.equal((await take([blocked])).admitted, false);
    });

    test("all or nothing: a request denied by one bucket takes no token from the others and counts nothing", async () => {
      const narrow = { id: "narrow", rate: 1, burst: 1 };
      const wide = { id: "wide", rate: 1, burst: 3 };
      const quota = dailyQuota(100);
      assert.equal((await take([wide, narrow], quota)).admitted, true);
      for (let i = 0; i < 5; i++) assert.equal((await take([wide, narrow], quota)).admitted, false);
      assert.equal(await engine.quotaUsed("q", quota.start), 1);
      // `wide` still holds the 2 tokens the denied requests did not take.
      assert.equal(await admittedOf(5, [wide]), 2);
    });

    test("all or nothing: a request denied by the quota takes no token from any bucket", async () => {
      const bucket = { id: "b", rate: 1, burst: 3 };
      const spent = dailyQuota(1);
      assert.equal((await take([bucket], spent)).admitted, true);
      for (let i = 0; i < 3; i++) assert.equal((await take([bucket], spent)).admitted, false);
      assert.equal(await admittedOf(5, [bucket]), 2);
    });

    test("a quota of N admits exactly N, then denies with reason `quota`", async () => {
      const quota = dailyQuota(7);
      assert.equal(await admittedOf(20, [bigBucket], quota), 7);
      const denied = await take([bigBucket], quota);
      assert.equal(!denied.admitted && denied.reason, "quota");
      assert.equal(denied.quotaRemaining, 0);
      assert.equal(await engine.quotaUsed("q", quota.start), 7);
    });

    test("a quota starts again at its period end, not a millisecond earlier", async () => {
      const today = dailyQuota(2);
      assert.equal(await admittedOf(5, [], today), 2);
      clock.set(today.end - 1);
      assert.equal(await admittedOf(1, [], dailyQuota(2)), 0);
      clock.set(today.end);
      const tomorrow = dailyQuota(2);
      assert.equal(tomorrow.start, today.end);
      assert.equal(await admittedOf(5, [], tomorrow), 2);
      assert.equal(await engine.quotaUsed("q", tomorrow.start), 2);
    });

    test("retryAfterMs of a throttled request is the wait for a token in the slowest empty bucket", async () => {
      const fast = { id: "fast", rate: 10, burst: 1 };
      const slow = { id: "slow", rate: 2, burst: 1 };
      const roomy = { id: "roomy", rate: 1, burst: 100 };
      assert.equal((await take([fast, slow, roomy])).admitted, true);
      const first = await take([fast, slow, roomy]);
      assert.equal(!first.admitted && first.retryAfterMs, 500);
      clock.advance(499);
      const second = await take([fast, slow, roomy]);
      assert.equal(!second.admitted && second.retryAfterMs, 1);
      clock.advance(1);
      assert.equal((await take([fast, slow, roomy])).admitted, true);
    });

    test("retryAfterMs of a quota denial is the time to the period end, and the quota wins over throttling", async () => {
      const bucket = { id: "b", rate: 1, burst: 1 };
      const quota = dailyQuota(1);
      assert.equal((await take([bucket], quota)).admitted, true);
      const denied = await take([bucket], quota);
      assert.equal(!denied.admitted && denied.reason, "quota");
      assert.equal(!denied.admitted && denied.retryAfterMs, quota.end - clock.now());
      assert.equal(denied.quotaResetAt, quota.end);
    });

    test("an admitted decision reports the quota left and the tightest bucket", async () => {
      const quota = dailyQuota(10);
      const loose = { id: "loose", rate: 5, burst: 50 };
      const tight = { id: "tight", rate: 4, burst: 3 };
      const decision = await take([loose, tight], quota);
      assert.equal(decision.admitted, true);
      assert.equal(decision.quotaRemaining, 9);
      assert.equal(decision.quotaResetAt, quota.end);
      assert.deepEqual(decision.tightest, { limit: 3, remaining: 2, resetMs: 250, windowMs: 750 });
      clock.advance(100);
      const later = await take([loose, tight], quota);
      // 2 + 0.4 tokens, minus one: 1.4 left, the next whole token in 150 ms.
      assert.deepEqual(later.tightest, { limit: 3, remaining: 1, resetMs: 150, windowMs: 750 });
    });

    test("setQuotaRemaining sets the count to limit - remaining for that period", async () => {
      const quota = dailyQuota(10);
      assert.equal(await engine.quotaUsed("q", quota.start), undefined);
      await engine.setQuotaRemaining("q", quota.start, 10, 3);
      assert.equal(await engine.quotaUsed("q", quota.start), 7);
      assert.equal(await admittedOf(5, [], quota), 3);
      await engine.setQuotaRemaining("q", quota.start, 10, 10);
      assert.equal(await engine.quotaUsed("q", quota.start), 0);
    });

    test("a remaining above the limit makes the count negative: the period admits exactly that many", async () => {
      const quota = dailyQuota(10);
      await engine.setQuotaRemaining("q", quota.start, 10, 50);
      assert.equal(await engine.quotaUsed("q", quota.start), -40);
      const first = await take([], quota);
      assert.equal(first.quotaRemaining, 49);
      assert.equal(await admittedOf(60, [], quota), 49);
      assert.equal(await engine.quotaUsed("q", quota.start), 10);
      // A negative seed (a restart after such an extension) holds too.
      clock.set(quota.end);
      const tomorrow = dailyQuota(10);
      await engine.seedQuota("q", tomorrow.start, -5);
      assert.equal(await admittedOf(20, [], tomorrow), 15);
    });

    test("seedQuota raises a count and never lowers it", async () => {
      const quota = dailyQuota(10);
      await engine.seedQuota("q", quota.start, 6);
      assert.equal(await engine.quotaUsed("q", quota.start), 6);
      await engine.seedQuota("q", quota.start, 2);
      assert.equal(await engine.quotaUsed("q", quota.start), 6);
      assert.equal(await admittedOf(10, [], quota), 4);
      await engine.seedQuota("q", quota.start, 3);
      assert.equal(await engine.quotaUsed("q", quota.start), 10);
    });

    test("a count seeded for the current period is kept when takes arrive", async () => {
      const quota = dailyQuota(5);
      await engine.seedQuota("q", quota.start, 5);
      const denied = await take([], quota);
      assert.equal(!denied.admitted && denied.reason, "quota");
    });

    test("a request with no buckets and no quota is admitted with nothing to report", async () => {
      const decision = await take([]);
      assert.equal(decision.admitted, true);
      assert.equal(decision.tightest, undefined);
      assert.equal(decision.quotaRemaining, undefined);
    });
  });
}
