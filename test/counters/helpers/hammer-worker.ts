/**
 * A gateway stand-in, run as a child process (fork) by the Redis exactness tests. On `config` it
 * connects and says `ready`; on `go` it takes from one Redis as fast as `concurrency` loops
 * allow, with real time, until `until` (epoch ms), then reports what it saw. It exits when the
 * parent disconnects.
 */
import { type BucketSpec, type QuotaSpec, RedisEngine } from "../../../src/counters/index.js";

export interface HammerConfig {
  url: string;
  keyPrefix: string;
  buckets: BucketSpec[];
  quota?: QuotaSpec;
  concurrency: number;
}

export interface HammerReport {
  admitted: number;
  denied: number;
  /** The earliest and latest `now` this process passed. */
  firstNow: number;
  lastNow: number;
}

type Message = { type: "config"; config: HammerConfig } | { type: "go"; until: number };

let engine: RedisEngine | undefined;
let config: HammerConfig | undefined;

process.on("message", async (message: Message) => {
  if (message.type === "config") {
    await engine?.close();
    config = message.config;
    engine = new RedisEngine(config.url, { keyPrefix: config.keyPrefix, commandTimeoutMs: 5000 });
    await engine.ready();
    process.send!({ type: "ready" });
  } else {
    process.send!({ type: "done", report: await hammer(engine!, config!, message.until) });
  }
});
// The parent closing the channel is the signal to stop.
process.on("disconnect", async () => {
  await engine?.close();
  process.exit(0);
});

async function hammer(engine: RedisEngine, config: HammerConfig, until: number): Promise<HammerReport> {
  const report: HammerReport = { admitted: 0, denied: 0, firstNow: Number.POSITIVE_INFINITY, lastNow: 0 };
  const loop = async () => {
    for (let now = Date.now(); now < until; now = Date.now()) {
      report.firstNow = Math.min(report.firstNow, now);
      report.lastNow = Math.max(report.lastNow, now);
      const decision = await engine.take({ buckets: config.buckets, quota: config.quota, now });
      if (decision.admitted) report.admitted++;
      else report.denied++;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, loop));
  return report;
}
