/**
 * Memory and reload time with many keys (`npm run bench:keys [count]`): writes `count` keys
 * (default 100,000), each on a usage plan, into a fresh SQLite store; then a fresh process loads
 * the gateway's configuration and times three reloads, and `tollgate serve` (from dist/, as it
 * runs in production) starts on the store and reports its resident memory two seconds after it
 * is ready.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretBox } from "../src/core/secrets.js";
import { loadGatewayConfig } from "../src/gateway/index.js";
import { openStore } from "../src/store/index.js";
import { stopChild } from "./stop-child.js";

if (process.argv[2] === "--measure") {
  await measure(process.argv[3]!);
  process.exit(0);
}

const count = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "tollgate-keys-"));
const store = await openStore({ dataDir: dir });
const box = new SecretBox("bench-secret-0123456789");
const now = Date.now();

await store.db
  .insertInto("usage_plans")
  .values({
    id: "plan",
    name: "plan",
    description: null,
    throttle: '{"rateLimit":10,"burstLimit":5}',
    quota: '{"limit":1000,"period":"DAY","offset":0}',
    api_stages: '[{"apiId":"api","stage":"dev"}]',
    product_code: null,
    tags: "{}",
    created_at: now,
  })
  .execute();
const batch = 1000;
for (let i = 0; i < count; i += batch) {
  const keys = Array.from({ length: Math.min(batch, count - i) }, (_, j) => {
    const id = `k${i + j}`;
    const value = `value-${i + j}-${"x".repeat(24)}`;
    return {
      id,
      name: id,
      description: null,
      enabled: 1,
      customer_id: "tenant",
      value_hash: box.hash(value),
      value_sealed: box.seal(value),
      stage_keys: "[]",
      tags: "{}",
      created_at: now,
      updated_at: now,
    };
  });
  await store.transaction(async (trx) => {
    await trx.insertInto("api_keys").values(keys).execute();
    await trx
      .insertInto("usage_plan_keys")
      .values(keys.map((k) => ({ usage_plan_id: "plan", key_id: k.id, created_at: now })))
      .execute();
  });
}

await store.close();
const reloads = execFileSync(process.execPath, ["--import", "tsx", "bench/keys.ts", "--measure", dir]);
const rss = await servedRss(dir);
console.log(`${reloads.toString().trim()}; resident memory of tollgate serve ${rss.toFixed(0)} MB`);
rmSync(dir, { recursive: true, force: true });

/** VmRSS of `tollgate serve` on `dataDir`, MB, two seconds after /ready (the gateway has its keys). */
async function servedRss(dataDir: string): Promise<number> {
  const adminPort = 9871;
  const child = spawn(
    process.execPath,
    ["dist/cli/main.js", "serve", "--data-dir", dataDir, "--no-quickstart"],
    {
      env: {
        ...process.env,
        TOLLGATE_GATEWAY_PORT: "9870",
        TOLLGATE_ADMIN_PORT: String(adminPort),
        TOLLGATE_PORTAL_PORT: "9872",
        TOLLGATE_ADMIN_TOKEN: "bench-admin-token-0123456789",
      },
      stdio: "ignore",
    },
  );
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`http://127.0.0.1:${adminPort}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i === 600) throw new Error("tollgate serve did not become ready in 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000)); // settled: the loading's garbage collected
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  } finally {
    await stopChild(child); // gone before its data directory is removed
  }
}

async function measure(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const times: number[] = [];
  let config = await loadGatewayConfig(store);
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    config = await loadGatewayConfig(store);
    times.push(performance.now() - started);
  }
  console.log(
    `${config.keys.size} keys: configuration reload ${Math.min(...times).toFixed(0)}-${Math.max(...times).toFixed(0)} ms`,
  );
  await store.close();
}
