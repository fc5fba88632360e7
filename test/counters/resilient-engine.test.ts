import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Decision,
  type FailureMode,
  InProcessEngine,
  quotaPeriod,
  RedisEngine,
  ResilientEngine,
  type TakeRequest,
} from "../../src/counters/index.js";
import { redisSkip, startRedis, type TestRedis } from "./helpers/redis-server.js";

/** A primary that fails while `down` is set and counts its calls. */
class FlakyEngine extends InProcessEngine {
  down = true;
  calls = 0;
  override take(request: TakeRequest): Decision {
    this.calls++;
    if (this.down) throw new Error("connection refused");
    return super.take(request);
  }
}

const bucketRequest = (now: number): TakeRequest => ({ buckets: [{ id: "b", rate: 1, burst: 1000 }], now });

describe("resilient engine: failure handling", () => {
  test("fail-closed answers `unavailable` with the configured Retry-After", async () => {
    const engine = new ResilientEngine(new FlakyEngine(), new InProcessEngine(), "fail-closed", {
      unavailableRetryAfterMs: 2500,
    });
    assert.deepEqual(await engine.take(bucketRequest(0)), {
      admitted: false,
      reason: "unavailable",
      retryAfterMs: 2500,
    });
  });

  test("fail-open answers from the local engine, which keeps its own exact counts", async () => {
    const engine = new ResilientEngine(new FlakyEngine(), new InProcessEngine(), "fail-open");
    const request = { buckets: [{ id: "b", rate: 1, burst: 3 }], now: 0 };
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await engine.take(request));
    assert.deepEqual(
      decisions.map((d) => d.admitted),
      [true, true, true, false, false],
    );
  });

  test("a primary that is down is probed once per interval, not on every request, and comes back", async () => {
    let time = 0;
    const primary = new FlakyEngine();
    const changes: boolean[] = [];
    const engine = new ResilientEngine(primary, new InProcessEngine(), "fail-closed", {
      probeIntervalMs: 1000,
      clock: () => time,
      onStateChange: (up) => changes.push(up),
    });
    for (let i = 0; i < 50; i++) await engine.take(bucketRequest(0));
    assert.equal(primary.calls, 1);
    assert.equal(engine.primaryUp, false);
    time = 999;
    await engine.take(bucketRequest(0));
    assert.equal(primary.calls, 1);
    time = 1000;
    await engine.take(bucketRequest(0));
    assert.equal(primary.calls, 2, "one probe after the interval");
    primary.down = false;
    time = 2000;
    assert.equal((await engine.take(bucketRequest(0))).admitted, true);
    assert.equal(engine.primaryUp, true);
    await engine.take(bucketRequest(0));
    assert.equal(primary.calls, 4, "back up: every request goes to the primary");
    assert.deepEqual(changes, [false, true]);
  });

  test("quota writes reach both engines, so a fail-open fallback knows restored counts", async () => {
    const primary = new InProcessEngine();
    const fallback = new InProcessEngine();
    const engine = new ResilientEngine(primary, fallback, "fail-open");
    await engine.seedQuota("q", 0, 7);
    await engine.setQuotaRemaining("q", 0, 10, 1);
    assert.equal(await primary.quotaUsed("q", 0), 9);
    assert.equal(await fallback.quotaUsed("q", 0), 9);
  });
});

describe("resilient engine over a Redis server that stops", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let engine: ResilientEngine;
  let primary: RedisEngine;
  const quota = { id: "q", limit: 1000, ...quotaPeriod(Date.now(), "MONTH", 0) };
  const request = (): TakeRequest => ({
    buckets: [{ id: "b", rate: 1000, burst: 1000 }],
    quota,
    now: Date.now(),
  });

  const open = async (mode: FailureMode) => {
    primary = new RedisEngine(redis.url, { commandTimeoutMs: 50 });
    await primary.ready();
    engine = new ResilientEngine(primary, new InProcessEngine(), mode, { probeIntervalMs: 100 });
  };
  /** Takes until the primary answers again (ioredis reconnects, then a probe succeeds). */
  const untilPrimaryAnswers = async () => {
    for (let i = 0; i < 100 && !engine.primaryUp; i++) {
      await sleep(50);
      await engine.take(request());
    }
    assert.equal(engine.primaryUp, true, "the primary came back");
  };

  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());
  beforeEach(async () => {
    await redis.stop();
    await redis.start();
  });
  afterEach(() => engine.close());

  test("fail-closed: while Redis is down every take is `unavailable`; after a restart Redis counts again", async () => {
    await open("fail-closed");
    assert.equal((await engine.take(request())).admitted, true);
    assert.equal(await primary.quotaUsed("q", quota.start), 1);
    await redis.stop();
    for (let i = 0; i < 5; i++) {
      const decision = await engine.take(request());
      assert.equal(!decision.admitted && decision.reason, "unavailable");
    }
    assert.equal(engine.primaryUp, false);
    await redis.start();
    await untilPrimaryAnswers();
    const before = (await primary.quotaUsed("q", quota.start)) ?? 0;
    assert.equal((await engine.take(request())).admitted, true);
    assert.equal(await primary.quotaUsed("q", quota.start), before + 1);
  });

  test("fail-open: while Redis is down takes are answered locally; after a restart Redis counts again", async () => {
    await open("fail-open");
    await redis.stop();
    for (let i = 0; i < 5; i++) assert.equal((await engine.take(request())).admitted, true);
    assert.equal(engine.primaryUp, false);
    await redis.start();
    await untilPrimaryAnswers();
    // Redis restarted empty: it holds only what it admitted since it came back.
    const counted = (await primary.quotaUsed("q", quota.start)) ?? 0;
    assert.ok(counted >= 1, `Redis counted ${counted}`);
    assert.equal((await engine.take(request())).admitted, true);
    assert.equal(await primary.quotaUsed("q", quota.start), counted + 1);
  });

  test("a Redis that hangs costs one command timeout, then requests skip it until the next probe", async () => {
    await open("fail-closed");
    assert.equal((await engine.take(request())).admitted, true);
    redis.pause();
    try {
      const started = performance.now();
      const first = await engine.take(request());
      const waited = performance.now() - started;
      assert.equal(!first.admitted && first.reason, "unavailable");
      assert.ok(waited >= 40 && waited < 2000, `the first take waited ${waited} ms`);
      // Until the next probe, the answer comes at once: a value, not a promise.
      const next = engine.take(request());
      assert.equal(next instanceof Promise, false);
      assert.equal(
        !(next as Decision).admitted && (next as Decision & { reason: string }).reason,
        "unavailable",
      );
    } finally {
      redis.resume();
    }
    await untilPrimaryAnswers();
  });
});
