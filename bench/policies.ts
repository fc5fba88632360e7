/**
 * What each gateway policy costs (`npm run bench:policies`): for every policy, one
 * `bench/gateway.ts` run with BENCH_ONLY=embedded and BENCH_POLICY=<policy>, which measures
 * Tollgate embedded with and without the policy side by side, 3 rounds in alternating order.
 * Prints one table: medians of req/s and CPU µs per request, off and on, and the spread.
 *
 * BENCH_POLICIES=jwt,firewall picks policies; BENCH_ROUNDS and BENCH_DURATION pass through.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Sample {
  rps: number;
  cpuUsPerRequest: number;
  p50: number;
  p99: number;
  errors: number;
}

const ALL = [
  "jwt",
  "jwt-uncached",
  "http-authorizer",
  "resource-policy",
  "tenant-access",
  "validation",
  "firewall",
  "cors",
  "iam",
];
const policies = process.env.BENCH_POLICIES?.split(",") ?? ALL;
const work = mkdtempSync(join(tmpdir(), "tollgate-bench-policies-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / 2 / median(xs) : 0);
const pct = (x: number) => (Number.isFinite(x) ? `±${(x * 100).toFixed(1)}%` : "–");
// A run that measured nothing writes null (JSON has no Infinity).
const num = (x: number | null, digits: number) =>
  x === null || !Number.isFinite(x) ? "–" : x.toFixed(digits);

execFileSync("npm", ["run", "build"], { stdio: "inherit" });
const rows: string[] = [];
for (const policy of policies) {
  const out = join(work, `${policy}.json`);
  const run = spawnSync(process.execPath, ["--import", "tsx", "bench/gateway.ts"], {
    env: { ...process.env, BENCH_ONLY: "embedded", BENCH_POLICY: policy, BENCH_JSON: out },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (run.status !== 0) {
    rows.push(`| ${policy} | (run failed: exit ${run.status}) | | | | | | |`);
    continue;
  }
  const samples = JSON.parse(readFileSync(out, "utf8")) as Record<string, Sample[]>;
  const off = samples["Tollgate embedded"]!;
  const on = samples[`Tollgate embedded + ${policy}`]!;
  const m = (list: Sample[], f: keyof Sample) => median(list.map((s) => s[f]));
  const errors = [...off, ...on].reduce((n, s) => n + s.errors, 0);
  const rps = [m(off, "rps"), m(on, "rps")];
  const cpu = [m(off, "cpuUsPerRequest"), m(on, "cpuUsPerRequest")];
  rows.push(
    `| ${policy} | ${num(rps[0]!, 0)} (${pct(spread(off.map((s) => s.rps)))}) | ${num(rps[1]!, 0)} (${pct(spread(on.map((s) => s.rps)))}) | ${num(rps[1]! / rps[0]!, 2)} | ${num(cpu[0]!, 1)} (${pct(spread(off.map((s) => s.cpuUsPerRequest)))}) | ${num(cpu[1]!, 1)} (${pct(spread(on.map((s) => s.cpuUsPerRequest)))}) | ${num(cpu[1]! - cpu[0]!, 1)} | ${errors} |`,
  );
  console.error(rows.at(-1));
}
console.log(
  [
    "| policy | req/s off (spread) | req/s on (spread) | on ÷ off | CPU µs/req off (spread) | CPU µs/req on (spread) | Δ CPU µs/req | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n"),
);
rmSync(work, { recursive: true, force: true });
