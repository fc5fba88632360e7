/**
 * Counter engines side by side: `node --import tsx bench/counters.ts`.
 * In-process ns per take (1 bucket; 5 buckets + quota), then Redis takes per second with one
 * request in flight (round trips) and with 32 in flight, on TOLLGATE_REDIS_URL or a private
 * redis-server when one is installed. With valgrind installed, also the instructions Redis spends
 * per take (callgrind counts instructions, not time, so the figure repeats on a busy machine).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import {
  type BucketSpec,
  type CounterEngine,
  InProcessEngine,
  quotaPeriod,
  RedisEngine,
  type TakeRequest,
} from "../src/counters/index.js";
import { freePort, startRedis, type TestRedis } from "../test/counters/helpers/redis-server.js";

const T0 = Date.UTC(2024, 0, 1);
const one: BucketSpec[] = [{ id: "key", rate: 1e6, burst: 1e6 }];
const five: BucketSpec[] = ["account", "stage", "method", "plan", "plan-method"].map((id) => ({
  id,
  rate: 1e6,
  burst: 1e6,
}));
const quota = { id: "quota", limit: 1e12, ...quotaPeriod(T0, "MONTH", 0) };

/** ns per synchronous take, best of 5 rounds; `now` moves 1 µs per take so buckets refill. */
function inProcessNs(buckets: BucketSpec[], withQuota: boolean, takes = 1_000_000): number {
  const engine = new InProcessEngine();
  const request: TakeRequest = { buckets, quota: withQuota ? quota : undefined, now: T0 };
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < takes; i++) {
      request.now += 0.001;
      engine.take(request);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - started) / takes);
  }
  return best;
}

/** Takes per second with `inFlight` concurrent requests for `ms` of real time. */
async function takesPerSecond(engine: CounterEngine, inFlight: number, ms = 2000): Promise<number> {
  let takes = 0;
  const until = performance.now() + ms;
  const loop = async () => {
    while (performance.now() < until) {
      await engine.take({ buckets: five, quota, now: Date.now() });
      takes++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return takes / (ms / 1000);
}

/**
 * Instructions redis-server executes per take (5 buckets + quota, 25 takes per event-loop turn
 * as a loaded gateway sends them): a server under callgrind given `takes` takes, less one given
 * none, over `takes`. Reading the command and writing the answer are included.
 */
async function redisInstructionsPerTake(takes = 2000): Promise<number> {
  const run = async (count: number): Promise<number> => {
    const port = await freePort();
    const args = [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      "redis-server",
      "--port",
      String(port),
    ];
    const server = spawn("valgrind", [...args, "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    server.stderr!.on("data", (chunk) => (log += chunk));
    const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
    const engine = new RedisEngine(`redis://127.0.0.1:${port}`, {
      keyPrefix: "bench:",
      commandTimeoutMs: 60_000,
    });
    await engine.ready();
    for (let sent = 0; sent < count; sent += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => engine.take({ buckets: five, quota, now: T0 + sent + i })),
      );
    }
    await engine.client.shutdown("NOSAVE").catch(() => {});
    engine.client.disconnect();
    await exited;
    const collected = /Collected : (\d+)/.exec(log);
    if (!collected) throw new Error(`callgrind printed no count:\n${log}`);
    return Number(collected[1]);
  };
  const [none, some] = [await run(0), await run(takes)];
  return (some - none) / takes;
}

async function redisUrl(): Promise<{ url: string; server?: TestRedis } | undefined> {
  if (process.env.TOLLGATE_REDIS_URL) return { url: process.env.TOLLGATE_REDIS_URL };
  if (!existsSync("/usr/bin/redis-server")) return undefined;
  const server = await startRedis();
  return { url: server.url, server };
}

const oneNs = inProcessNs(one, false);
const fiveNs = inProcessNs(five, true);
console.log(`in-process, 1 bucket:            ${oneNs.toFixed(0)} ns/take`);
console.log(
  `in-process, 5 buckets + quota:   ${fiveNs.toFixed(0)} ns/take (${(fiveNs / oneNs).toFixed(1)}× 1 bucket)`,
);

const redis = await redisUrl();
if (!redis) {
  console.log("redis: skipped (no TOLLGATE_REDIS_URL and no /usr/bin/redis-server)");
} else {
  const engine = new RedisEngine(redis.url, { keyPrefix: `bench${process.pid}:`, commandTimeoutMs: 5000 });
  await engine.ready();
  await takesPerSecond(engine, 1, 300);
  const serial = await takesPerSecond(engine, 1);
  const pipelined = await takesPerSecond(engine, 32);
  console.log(`redis, 5 buckets + quota, 1 in flight:   ${serial.toFixed(0)} round trips/s`);
  console.log(`redis, 5 buckets + quota, 32 in flight:  ${pipelined.toFixed(0)} takes/s`);
  console.log(
    `in-process / redis (1 in flight): ${(1e9 / fiveNs / serial).toFixed(0)}× the takes per second`,
  );
  await engine.close();
  await redis.server?.stop();
  if (existsSync("/usr/bin/valgrind")) {
    const instructions = await redisInstructionsPerTake();
    console.log(
      `redis, 5 buckets + quota: ${(instructions / 1000).toFixed(1)}k instructions per take (callgrind)`,
    );
  }
}
