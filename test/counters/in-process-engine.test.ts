import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { ManualClock } from "../../src/core/clock.js";
import { InProcessEngine, QUOTA_GRACE_MS, quotaPeriod } from "../../src/counters/index.js";

const T0 = Date.UTC(2024, 5, 1, 9, 30);

describe("in-process engine", () => {
  test("take answers synchronously, with a decision and not a promise", () => {
    const decision = new InProcessEngine().take({ buckets: [{ id: "b", rate: 1, burst: 1 }], now: T0 });
    assert.equal(decision instanceof Promise, false);
    assert.equal(decision.admitted, true);
  });

  test("50 concurrent callers over a simulated 10 s admit exactly burst + rate × elapsed", async () => {
    const engine = new InProcessEngine();
    const clock = new ManualClock(T0);
    // 37/s does not divide 1000 ms, so every refill is fractional.
    const plan = { id: "plan", rate: 37, burst: 25 };
    const account = { id: "account", rate: 1000, burst: 2000 };
    const end = T0 + 10_000;
    let admitted = 0;
    let denied = 0;
    let running = true;
    const caller = async () => {
      while (running) {
        const decision = engine.take({ buckets: [account, plan], now: clock.now() });
        if (decision.admitted) admitted++;
        else denied++;
        await tick();
      }
    };
    const callers = Array.from({ length: 50 }, caller);
    while (clock.now() < end) {
      clock.advance(10);
      await tick();
    }
    running = false;
    await Promise.all(callers);
    const expected = plan.burst + (plan.rate * (end - T0)) / 1000;
    assert.ok(Math.abs(admitted - expected) <= 1, `admitted ${admitted}, expected ${expected}`);
    assert.ok(denied > 10 * admitted, "the callers asked far more often than the rate allows");
  });

  test("a quota of 500 admits exactly 500 among 50 concurrent callers", async () => {
    const engine = new InProcessEngine();
    const quota = { id: "q", limit: 500, ...quotaPeriod(T0, "MONTH", 0) };
    let admitted = 0;
    const caller = async () => {
      for (let i = 0; i < 40; i++) {
        if (engine.take({ buckets: [], quota, now: T0 + i }).admitted) admitted++;
        await tick();
      }
    };
    await Promise.all(Array.from({ length: 50 }, caller));
    assert.equal(admitted, 500);
  });

  test("100,000 buckets that are full again are forgotten as takes go on", () => {
    const engine = new InProcessEngine();
    for (let i = 0; i < 100_000; i++)
      engine.take({ buckets: [{ id: `key${i}`, rate: 10, burst: 5 }], now: T0 });
    assert.equal(engine.stats().buckets, 100_000);
    // 100 ms later every bucket holds 5 tokens again: a forgotten bucket is indistinguishable.
    for (let i = 0; i < 60_000; i++)
      engine.take({ buckets: [{ id: "busy", rate: 1e6, burst: 1e6 }], now: T0 + 100 });
    assert.ok(engine.stats().buckets <= 2, `${engine.stats().buckets} buckets left`);
  });

  test("a bucket still refilling is kept, so forgetting never adds tokens", () => {
    const engine = new InProcessEngine();
    const slow = { id: "slow", rate: 1, burst: 10 };
    for (let i = 0; i < 10; i++) engine.take({ buckets: [slow], now: T0 });
    for (let i = 0; i < 1000; i++)
      engine.take({ buckets: [{ id: `other${i}`, rate: 1, burst: 1 }], now: T0 + 5000 });
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (engine.take({ buckets: [slow], now: T0 + 5000 }).admitted) admitted++;
    assert.equal(admitted, 5);
  });

  test("100,000 quota counts are forgotten an hour after their period ends, not before", () => {
    const engine = new InProcessEngine();
    const day = quotaPeriod(T0, "DAY", 0);
    for (let i = 0; i < 100_000; i++)
      engine.take({ buckets: [], quota: { id: `q${i}`, limit: 10, ...day }, now: T0 });
    const sweep = (now: number) => {
      for (let i = 0; i < 60_000; i++) engine.take({ buckets: [], now });
    };
    sweep(day.end + QUOTA_GRACE_MS - 1);
    assert.equal(engine.stats().quotas, 100_000);
    sweep(day.end + QUOTA_GRACE_MS);
    assert.equal(engine.stats().quotas, 0);
  });
});
