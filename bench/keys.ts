/**
 * Memory and reload time with many keys (`node --import tsx bench/keys.ts [count]`): writes
 * `count` keys (default 100,000), each on a usage plan, into a fresh SQLite store; then a fresh
 * process (as a gateway would be) loads the configuration, times three reloads and reports its
 * resident memory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretBox } from "../src/core/secrets.js";
import { loadGatewayConfig } from "../src/gateway/index.js";
import { openStore } from "../src/store/index.js";

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
process.stdout.write(
  execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", "bench/keys.ts", "--measure", dir]),
);
rmSync(dir, { recursive: true, force: true });

async function measure(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const times: number[] = [];
  let config = await loadGatewayConfig(store);
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    config = await loadGatewayConfig(store);
    times.push(performance.now() - started);
  }
  global.gc?.();
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `${config.keys.size} keys: configuration reload ${Math.min(...times).toFixed(0)}-${Math.max(...times).toFixed(0)} ms; resident memory ${rss.toFixed(0)} MB`,
  );
  await store.close();
}
