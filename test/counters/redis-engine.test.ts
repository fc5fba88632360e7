import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { QUOTA_GRACE_MS, type QuotaSpec, quotaPeriod, RedisEngine } from "../../src/counters/index.js";
import type { HammerConfig, HammerReport } from "./helpers/hammer-worker.js";
import { redisSkip, startRedis, type TestRedis } from "./helpers/redis-server.js";

const WORKER = fileURLToPath(new URL("./helpers/hammer-worker.ts", import.meta.url));
const T0 = Date.UTC(2024, 6, 1, 8, 0, 0);

/** Forked gateway processes, started once (starting Node with tsx is the slow part). */
class Workers {
  private readonly children: ChildProcess[];

  constructor(count: number) {
    this.children = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: "inherit" }),
    );
  }

  /** Every worker takes with `config` for `durationMs` of real time, starting together. */
  async run(config: HammerConfig, durationMs: number): Promise<HammerReport[]> {
    await this.all({ type: "config", config }, "ready");
    const until = Date.now() + durationMs;
    return (await this.all({ type: "go", until }, "done")).map((reply) => reply.report);
  }

  stop(): void {
    for (const child of this.children) child.disconnect();
  }

  private all(message: object, replyType: string): Promise<Array<{ report: HammerReport }>> {
    return Promise.all(
      this.children.map((child) => {
        const reply = new Promise<{ report: HammerReport }>((resolve, reject) => {
          const onMessage = (m: { type: string; report: HammerReport }) => {
            if (m.type !== replyType) return;
            child.off("message", onMessage).off("exit", onExit);
            resolve(m);
          };
          const onExit = (code: number) => reject(new Error(`a worker exited with ${code}`));
          child.on("message", onMessage).once("exit", onExit);
        });
        child.send(message);
        return reply;
      }),
    );
  }
}

describe("redis engine", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let admin: Redis;
  let engine: RedisEngine;
  let run = 0;
  let prefix: string;

  let workers: Workers;

  before(async () => {
    workers = new Workers(3);
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  after(async () => {
    workers.stop();
    await admin.quit();
    await redis.stop();
  });
  beforeEach(async () => {
    prefix = `r${++run}:`;
    engine = new RedisEngine(redis.url, { keyPrefix: prefix, commandTimeoutMs: 2000 });
    await engine.ready();
  });
  afterEach(() => engine.close());

  test("three processes hammering one Redis admit within 1% of burst + rate × elapsed", async (t) => {
    const bucket = { id: "shared", rate: 1000, burst: 200 };
    const reports = await workers.run(
      { url: redis.url, keyPrefix: prefix, buckets: [bucket], concurrency: 8 },
      3000,
    );
    const admitted = reports.reduce((sum, r) => sum + r.admitted, 0);
    const denied = reports.reduce((sum, r) => sum + r.denied, 0);
    const elapsed = Math.max(...reports.map((r) => r.lastNow)) - Math.min(...reports.map((r) => r.firstNow));
    const expected = bucket.burst + (bucket.rate * elapsed) / 1000;
    t.diagnostic(
      `${admitted} admitted, ${denied} denied in ${elapsed} ms; burst + rate × elapsed = ${expected}`,
    );
    assert.ok(
      reports.every((r) => r.admitted > 0),
      "every process was admitted some requests",
    );
    assert.ok(
      denied > admitted,
      `the processes asked for more than the rate (${admitted} admitted, ${denied} denied)`,
    );
    assert.ok(admitted <= expected + 1, `admitted ${admitted}, at most ${expected} allowed`);
    assert.ok(admitted >= expected * 0.99, `admitted ${admitted}, expected ${expected}`);
  });

  test("a quota of 2000 admits exactly 2000 across three processes", async () => {
    const quota = { id: "q", limit: 2000, ...quotaPeriod(Date.now(), "MONTH", 0) };
    const reports = await workers.run(
      { url: redis.url, keyPrefix: prefix, buckets: [], quota, concurrency: 8 },
      1000,
    );
    assert.equal(
      reports.reduce((sum, r) => sum + r.admitted, 0),
      2000,
    );
    assert.ok(
      reports.every((r) => r.denied > 0),
      "every process ran into the spent quota",
    );
    assert.equal(await engine.quotaUsed("q", quota.start), 2000);
  });

  test("two engines on one Redis share a bucket token for token", async () => {
    const other = new RedisEngine(redis.url, { keyPrefix: prefix, commandTimeoutMs: 2000 });
    await other.ready();
    const bucket = { id: "b", rate: 1, burst: 5 };
    let admitted = 0;
    for (let i = 0; i < 10; i++) {
      const decision = await (i % 2 ? other : engine).take({ buckets: [bucket], now: T0 });
      if (decision.admitted) admitted++;
    }
    await other.close();
    assert.equal(admitted, 5);
  });

  test("a take is one round trip: one script call, its commands run inside Redis", async () => {
    const monitor = await admin.monitor();
    const seen: string[] = [];
    const engineSource = `127.0.0.1:${engine.client.stream.localPort}`;
    let sentinel: () => void = () => {};
    const sentinelSeen = new Promise<void>((resolve) => (sentinel = resolve));
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== engineSource) return;
      if (args[0]?.toLowerCase() === "echo") sentinel();
      else seen.push(args[0]!.toLowerCase());
    });
    const quota = { id: "q", limit: 100, ...quotaPeriod(T0, "DAY", 0) };
    const buckets = [
      { id: "a", rate: 10, burst: 10 },
      { id: "b", rate: 5, burst: 5 },
    ];
    for (let i = 0; i < 5; i++) await engine.take({ buckets, quota, now: T0 });
    await engine.client.echo("sentinel");
    await sentinelSeen;
    monitor.disconnect();
    // The first call on a connection sends the script itself (EVAL), later calls its SHA.
    assert.equal(seen.length, 5, seen.join(","));
    assert.ok(seen.every((name) => name === "evalsha" || name === "eval"));
  });

  test("a bucket list passed again counts a new quota period, and a changed limit, under the right key", async () => {
    // The gateway passes one bucket list per key and route again and again; the engine keeps its encoding.
    const buckets = [{ id: "b", rate: 1000, burst: 1000 }];
    const day1 = { id: "q", limit: 2, ...quotaPeriod(T0, "DAY", 0) };
    const admitted = async (quota: QuotaSpec, now: number) =>
      (await engine.take({ buckets, quota, now })).admitted;
    assert.deepEqual(
      [await admitted(day1, T0), await admitted(day1, T0), await admitted(day1, T0)],
      [true, true, false],
    );
    const day2 = { id: "q", limit: 2, ...quotaPeriod(T0 + 86_400_000, "DAY", 0) };
    assert.equal(await admitted(day2, T0 + 86_400_000), true, "the next day starts a count of its own");
    assert.equal(await admin.get(`${prefix}q:q:${day2.start}`), "1");
    const raised = { ...day2, limit: 3 };
    assert.deepEqual(
      [await admitted(raised, T0 + 86_400_000), await admitted(raised, T0 + 86_400_000)],
      [true, true],
      "a raised limit applies at once",
    );
    assert.equal(await admitted(raised, T0 + 86_400_000), false);
  });

  test("a flushed script cache is reloaded without failing a take", async () => {
    const bucket = { id: "b", rate: 1, burst: 3 };
    assert.equal((await engine.take({ buckets: [bucket], now: T0 })).admitted, true);
    await admin.script("FLUSH");
    assert.equal((await engine.take({ buckets: [bucket], now: T0 })).admitted, true);
    assert.equal((await engine.take({ buckets: [bucket], now: T0 })).admitted, true);
    assert.equal((await engine.take({ buckets: [bucket], now: T0 })).admitted, false);
  });

  test("a bucket key expires once the bucket would be full again (plus a minute's slack)", async () => {
    await engine.take({ buckets: [{ id: "b", rate: 10, burst: 20 }], now: T0 });
    const ttl = await admin.pttl(`${prefix}b:b`);
    // One token short: full again in 100 ms.
    assert.ok(ttl > 60_000 && ttl <= 60_100, `PTTL ${ttl}`);
  });

  test("a quota key expires an hour after its period ends", async () => {
    const now = T0 + 1000;
    const quota = { id: "q", limit: 10, ...quotaPeriod(now, "DAY", 0) };
    await engine.take({ buckets: [], quota, now });
    const ttl = await admin.pttl(`${prefix}q:q:${quota.start}`);
    const expected = quota.end - now + QUOTA_GRACE_MS;
    assert.ok(ttl > expected - 1000 && ttl <= expected, `PTTL ${ttl}, expected about ${expected}`);
  });

  test("a seeded count keeps the expiry that takes gave its key", async () => {
    const quota = { id: "q", limit: 10, ...quotaPeriod(T0, "DAY", 0) };
    await engine.take({ buckets: [], quota, now: T0 });
    const before = await admin.pttl(`${prefix}q:q:${quota.start}`);
    await engine.seedQuota("q", quota.start, 5);
    await engine.setQuotaRemaining("q", quota.start, 10, 2);
    const after = await admin.pttl(`${prefix}q:q:${quota.start}`);
    assert.ok(after <= before && after > before - 1000, `PTTL ${before} then ${after}`);
  });

  test("a bucket written as text by an earlier version is read with its fractional tokens", async () => {
    // "tokens updatedAt" with %.17g: 1.5 tokens at T0, rate 1/s. A take leaves 0.5, the next is refused.
    await admin.set(`${prefix}b:old`, `1.5 ${T0}`, "PX", 60_000);
    const bucket = { id: "old", rate: 1, burst: 10 };
    assert.equal((await engine.take({ buckets: [bucket], now: T0 })).admitted, true);
    const refused = await engine.take({ buckets: [bucket], now: T0 });
    assert.equal(refused.admitted, false);
    // Half a token short at 1 token/s: admitted again 500 ms later, not before.
    assert.equal(refused.retryAfterMs, 500);
    assert.equal((await engine.take({ buckets: [bucket], now: T0 + 499 })).admitted, false);
    assert.equal((await engine.take({ buckets: [bucket], now: T0 + 500 })).admitted, true);
  });

  test("a denied take writes nothing", async () => {
    const spent = { id: "q", limit: 0, ...quotaPeriod(T0, "DAY", 0) };
    const decision = await engine.take({ buckets: [{ id: "b", rate: 1, burst: 1 }], quota: spent, now: T0 });
    assert.equal(decision.admitted, false);
    assert.deepEqual(await admin.keys(`${prefix}*`), []);
  });
});
