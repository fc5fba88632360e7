/**
 * The event bus end to end (`npm run bench:events`): PutEvents to delivery over loopback.
 * `tollgate serve` runs as its own process pinned to core 0 (from src/ through tsx); this
 * process (the PutEvents clients and the receiving HTTP endpoint) is pinned to core 1.
 * Events fan out over 16 rules, each with an API destination (signed, API-key connection) on
 * the receiver, since one API destination is limited to 300 invocations per second as on AWS.
 *
 * Per round: a loaded phase (CLIENTS concurrent PutEvents of 10 entries, EVENTS in all):
 * accepted events/s, delivered events/s (first PutEvents sent to last delivery received),
 * p50/p99 of PutEvents-to-delivery latency; then an unloaded phase (one event at a time): p50/p99.
 * SQLite by default; BENCH_DATABASE_URL runs the store on PostgreSQL (a fresh database).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { request } from "undici";
import { stopChild } from "./stop-child.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const UNLOADED = Number(process.env.BENCH_UNLOADED ?? 200);
const SHARDS = 16;
const TOKEN = "bench-admin-token-0123456789";
const work = mkdtempSync(join(tmpdir(), "tollgate-events-bench-"));
let child: ChildProcess | undefined;
let dropDatabase = async () => {};

/** Delivery times by event key (`round/n`), and a waiter for the count. */
const arrivals = new Map<string, number>();
let arrived = 0;
let onArrival: () => void = () => {};

function pin(core: string): void {
  try {
    execFileSync("taskset", ["-cp", core, String(process.pid)], { stdio: "ignore" });
  } catch {
    // taskset is missing: run unpinned.
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startServer(): Promise<string> {
  const adminPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOLLGATE_ADMIN_PORT: String(adminPort),
    TOLLGATE_GATEWAY_PORT: String(await freePort()),
    TOLLGATE_PORTAL_PORT: String(await freePort()),
    TOLLGATE_ADMIN_TOKEN: TOKEN,
    TOLLGATE_ACCESS_LOG: "off",
    TOLLGATE_EVENTS_ALLOW_HTTP: "true",
    TOLLGATE_EVENTS_ALLOW_PRIVATE_TARGETS: "true",
  };
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (databaseUrl) {
    const name = `tollgate_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    env.TOLLGATE_DATABASE_URL = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  child = spawn(
    "taskset",
    [
      "-c",
      "0",
      process.execPath,
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      "--import",
      "tsx",
      "src/cli/main.ts",
      "serve",
      "--data-dir",
      work,
      "--no-quickstart",
    ],
    { env, stdio: ["ignore", "ignore", "inherit"] },
  );
  const url = `http://127.0.0.1:${adminPort}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tollgate did not start");
}

// biome-ignore lint/suspicious/noExplicitAny: protocol answers
async function call(url: string, operation: string, body: unknown): Promise<any> {
  const response = await request(`${url}/`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TOKEN}`,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSEvents.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${operation}: ${response.statusCode} ${text}`);
  return JSON.parse(text);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function waitArrivals(count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (arrived < count) {
    if (Date.now() > deadline) throw new Error(`only ${arrived} of ${count} deliveries arrived`);
    await new Promise<void>((resolve) => {
      onArrival = resolve;
      setTimeout(resolve, 100);
    });
  }
}

interface Round {
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  idleP50: number;
  idleP99: number;
}

async function round(url: string, r: number): Promise<Round> {
  const sentAt = new Map<string, number>();
  const target = arrived + EVENTS;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < EVENTS) {
        const first = next;
        next += 10;
        const entries = [];
        for (let i = first; i < Math.min(first + 10, EVENTS); i++) {
          const key = `${r}/${i}`;
          entries.push({
            Source: "bench",
            DetailType: "tick",
            Detail: JSON.stringify({ key, shard: i % SHARDS }),
          });
        }
        const now = performance.now();
        for (const e of entries) sentAt.set(JSON.parse(e.Detail).key, now);
        const answer = await call(url, "PutEvents", { Entries: entries });
        if (answer.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(answer)}`);
      }
    }),
  );
  const acceptedMs = performance.now() - started;
  await waitArrivals(target);
  const deliveredMs = Math.max(...[...sentAt.keys()].map((k) => arrivals.get(k)!)) - started;
  const latencies = [...sentAt].map(([k, t]) => arrivals.get(k)! - t).sort((a, b) => a - b);

  const idle: number[] = [];
  for (let i = 0; i < UNLOADED; i++) {
    const key = `${r}/idle/${i}`;
    const before = arrived;
    const t = performance.now();
    await call(url, "PutEvents", {
      Entries: [{ Source: "bench", DetailType: "tick", Detail: JSON.stringify({ key, shard: i % SHARDS }) }],
    });
    await waitArrivals(before + 1);
    idle.push(arrivals.get(key)! - t);
  }
  idle.sort((a, b) => a - b);
  return {
    acceptedPerSecond: (EVENTS / acceptedMs) * 1000,
    deliveredPerSecond: (EVENTS / deliveredMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    idleP50: percentile(idle, 50),
    idleP99: percentile(idle, 99),
  };
}

async function main(): Promise<void> {
  pin("1");
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      const key = (JSON.parse(Buffer.concat(chunks).toString()).detail as { key: string }).key;
      if (!arrivals.has(key)) {
        arrivals.set(key, at);
        arrived++;
        onArrival();
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const url = await startServer();
  try {
    const conn = await call(url, "CreateConnection", {
      Name: "bench",
      AuthorizationType: "API_KEY",
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-api-key", ApiKeyValue: "bench-secret" } },
    });
    for (let shard = 0; shard < SHARDS; shard++) {
      const dest = await call(url, "CreateApiDestination", {
        Name: `shard-${shard}`,
        ConnectionArn: conn.ConnectionArn,
        InvocationEndpoint: `${receiverUrl}/hooks/${shard}`,
        HttpMethod: "POST",
      });
      await call(url, "RotateWebhookSecret", { Name: `shard-${shard}` });
      await call(url, "PutRule", {
        Name: `shard-${shard}`,
        EventPattern: JSON.stringify({ detail: { shard: [shard] } }),
      });
      await call(url, "PutTargets", {
        Rule: `shard-${shard}`,
        Targets: [{ Id: "http", Arn: dest.ApiDestinationArn }],
      });
    }
    // Warm-up: connections, compiled rules, JIT.
    await round(url, -1).catch((error) => {
      throw error;
    });
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await round(url, r));
    const store = process.env.BENCH_DATABASE_URL ? "PostgreSQL" : "SQLite";
    console.log(
      `\nEvent bus, PutEvents to delivery (${store}; ${EVENTS} events, ${CLIENTS} clients, ${SHARDS} destinations)`,
    );
    console.log("round  accepted ev/s  delivered ev/s  p50 ms  p99 ms  unloaded p50 ms  unloaded p99 ms");
    for (const [i, x] of rounds.entries()) {
      console.log(
        `${String(i + 1).padEnd(6)} ${x.acceptedPerSecond.toFixed(0).padStart(13)} ${x.deliveredPerSecond.toFixed(0).padStart(15)} ${x.p50.toFixed(1).padStart(7)} ${x.p99.toFixed(1).padStart(7)} ${x.idleP50.toFixed(1).padStart(16)} ${x.idleP99.toFixed(1).padStart(16)}`,
      );
    }
    const median = (f: (x: Round) => number) => {
      const v = rounds.map(f).sort((a, b) => a - b);
      return `${v[Math.floor(v.length / 2)]!.toFixed(1)} (${v[0]!.toFixed(1)}-${v[v.length - 1]!.toFixed(1)})`;
    };
    console.log(
      `median (spread): accepted ${median((x) => x.acceptedPerSecond)} ev/s, delivered ${median((x) => x.deliveredPerSecond)} ev/s,`,
    );
    console.log(
      `  loaded p50 ${median((x) => x.p50)} ms, p99 ${median((x) => x.p99)} ms; unloaded p50 ${median((x) => x.idleP50)} ms, p99 ${median((x) => x.idleP99)} ms`,
    );
  } finally {
    if (child !== undefined) await stopChild(child);
    receiver.close();
    await dropDatabase();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
