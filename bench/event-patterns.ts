/**
 * Event-pattern matching: `npm run bench:patterns`.
 * Events per second matched against 1, 100, 1,000 and 10,000 rules of mixed, realistic shapes
 * (source/detail-type exact, prefixes, numeric ranges, anything-but, exists, wildcards and
 * equals-ignore-case on detail fields, $or), through the RuleMatcher index and, for contrast,
 * by testing every compiled pattern in turn. Also the cost of compiling and adding rules.
 * One process pinned to core 0 (re-executes itself under `taskset -c 0` when available);
 * 3 rounds per figure, median and spread.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { compilePattern, type EventPattern, RuleMatcher } from "../src/events/pattern/index.js";

if (process.env.BENCH_PINNED !== "1" && spawnSync("taskset", ["-c", "0", "true"]).status === 0) {
  const child = spawnSync(
    "taskset",
    [
      "-c",
      "0",
      process.execPath,
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: "inherit", env: { ...process.env, BENCH_PINNED: "1" } },
  );
  process.exit(child.status ?? 1);
}

/** Deterministic PRNG (mulberry32) so every run matches the same rules and events. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TENANTS = 50;
const DETAIL_TYPES = [
  "Order Placed",
  "Order Shipped",
  "Order Cancelled",
  "Order Refunded",
  "Payment Captured",
  "Payment Failed",
  "Invoice Finalized",
  "Key Created",
  "Key Disabled",
  "Quota Threshold Reached",
  "Customer Created",
  "Customer Updated",
];
const STATUSES = ["new", "paid", "shipped", "cancelled", "refunded", "on-hold"];
const TIERS = ["free", "silver", "gold", "platinum"];
const REGIONS = ["eu-west-1", "EU-WEST-1", "us-east-1", "ap-south-1"];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

/** The i-th rule: a mix of the shapes tenants write. */
function ruleText(r: () => number): string {
  const source = `com.shop${Math.floor(r() * TENANTS)}`;
  const type = pick(r, DETAIL_TYPES);
  const shape = r();
  let pattern: object;
  if (shape < 0.35) {
    pattern = { source: [source], "detail-type": [type] };
  } else if (shape < 0.5) {
    const low = Math.floor(r() * 1500);
    pattern = {
      source: [source],
      "detail-type": [{ prefix: "Order " }],
      detail: { amount: [{ numeric: [">", low, "<=", low + 250] }] },
    };
  } else if (shape < 0.6) {
    pattern = {
      source: [{ prefix: `com.shop${Math.floor(r() * 5)}` }],
      "detail-type": [type],
      detail: { status: [{ "anything-but": ["cancelled", "refunded"] }] },
    };
  } else if (shape < 0.7) {
    pattern = { source: [source], "detail-type": [type], detail: { coupon: [{ exists: true }] } };
  } else if (shape < 0.8) {
    pattern = { source: [source], detail: { sku: [{ wildcard: `SKU-*-${Math.floor(r() * 100)}` }] } };
  } else if (shape < 0.9) {
    pattern = {
      source: [source],
      detail: { customer: { tier: ["gold", "platinum"] }, region: [{ "equals-ignore-case": "eu-west-1" }] },
    };
  } else {
    pattern = {
      source: [source],
      $or: [{ "detail-type": [type] }, { detail: { amount: [{ numeric: [">=", 1900] }] } }],
    };
  }
  return JSON.stringify(pattern);
}

function event(r: () => number, i: number): object {
  const items = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
    sku: `SKU-${Math.floor(r() * 1000)}-${Math.floor(r() * 100)}`,
    quantity: 1 + Math.floor(r() * 5),
  }));
  return {
    version: "0",
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    "detail-type": pick(r, DETAIL_TYPES),
    source: `com.shop${Math.floor(r() * TENANTS)}`,
    account: "123456789012",
    time: "2026-11-25T10:00:00Z",
    region: "us-east-1",
    resources: [`arn:aws:shop:us-east-1:123456789012:order/${i}`],
    detail: {
      orderId: `o-${i}`,
      amount: Math.round(r() * 200000) / 100,
      currency: "EUR",
      status: pick(r, STATUSES),
      sku: items[0]!.sku,
      items,
      customer: { id: `c-${Math.floor(r() * 10000)}`, tier: pick(r, TIERS), email: `c${i}@example.com` },
      region: pick(r, REGIONS),
      ...(r() < 0.3 ? { coupon: "WELCOME10" } : {}),
    },
  };
}

/** Parsed from JSON text, as events reach the bus (flat strings, JSON.parse's object shapes). */
const EVENTS = (() => {
  const r = rng(7);
  return Array.from({ length: 2000 }, (_, i) => JSON.parse(JSON.stringify(event(r, i))) as object);
})();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function spread(xs: number[]): string {
  return `±${(((Math.max(...xs) - Math.min(...xs)) / 2 / median(xs)) * 100).toFixed(1)}%`;
}

/** Events per second of `match` over the event pool for about `ms` of wall time. */
function eventsPerSecond(match: (e: object) => number, ms: number): { rate: number; matches: number } {
  let n = 0;
  let matched = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 64; i++) matched += match(EVENTS[n++ % EVENTS.length]!);
    now = performance.now();
  }
  return { rate: (n / (now - started)) * 1000, matches: matched / n };
}

const ROUNDS = 3;
const SIZES = [1, 100, 1000, 10000];
const rows: string[] = [];
const compileRows: string[] = [];

for (const size of SIZES) {
  const texts = (() => {
    const r = rng(size);
    return Array.from({ length: size }, () => ruleText(r));
  })();
  const compileUs: number[] = [];
  const addUs: number[] = [];
  const indexed: number[] = [];
  const linear: number[] = [];
  let matchesPerEvent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const patterns: EventPattern[] = texts.map(compilePattern);
    compileUs.push(((performance.now() - t) * 1000) / size);
    t = performance.now();
    const matcher = new RuleMatcher<number>();
    for (const [i, p] of patterns.entries()) matcher.add(i, p);
    addUs.push(((performance.now() - t) * 1000) / size);
    // warm up, then measure
    eventsPerSecond((e) => matcher.match(e).length, 200);
    const run = eventsPerSecond((e) => matcher.match(e).length, 1500);
    indexed.push(run.rate);
    matchesPerEvent = run.matches;
    const scan = (e: object) => {
      let m = 0;
      for (const p of patterns) if (p.matches(e)) m++;
      return m;
    };
    if (round === 0) {
      // The index must find exactly what testing every pattern finds.
      for (const e of EVENTS) {
        const want = patterns.flatMap((p, i) => (p.matches(e) ? [i] : []));
        const got = matcher.match(e).sort((a, b) => a - b);
        if (want.join() !== got.join()) throw new Error(`index and scan disagree at ${size} rules`);
      }
    }
    linear.push(eventsPerSecond(scan, size >= 10000 ? 3000 : 1000).rate);
  }
  rows.push(
    `| ${size.toLocaleString("en-US")} | ${Math.round(median(indexed)).toLocaleString("en-US")} | ${spread(indexed)} | ${(1e6 / median(indexed)).toFixed(1)} | ${matchesPerEvent.toFixed(2)} | ${Math.round(median(linear)).toLocaleString("en-US")} | ${spread(linear)} |`,
  );
  compileRows.push(
    `| ${size.toLocaleString("en-US")} | ${median(compileUs).toFixed(1)} | ${spread(compileUs)} | ${median(addUs).toFixed(1)} | ${spread(addUs)} |`,
  );
}

console.log(`node ${process.version}, ${EVENTS.length} distinct events, ${ROUNDS} rounds per figure\n`);
console.log(
  "| rules | index events/s (median) | spread | µs/event | matches/event | scan of compiled patterns events/s | spread |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
console.log("\n| rules | compilePattern µs/rule | spread | RuleMatcher.add µs/rule | spread |");
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const row of compileRows) console.log(row);
