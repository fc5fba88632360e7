/**
 * The gateway benchmark (`npm run bench`): every system in one run, 3 rounds in alternating
 * order, medians and spread. The system under test is pinned to core 0; the load generator
 * (wrk), the upstream (nginx) and Redis share core 1. Limits are set high so nothing is
 * refused: this measures what checking costs.
 *
 * Needs Debian's wrk, nginx and redis-server, and `npm run build` (it runs dist/).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { stopChild } from "./stop-child.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LOAD_CORE = "1";
const SUT_CORE = "0";
const UPSTREAM_PORT = 9000;
const KEY = "bench-key-0123456789abcdefghijklmnop";
const TOKEN = "bench-admin-token-0123456789";
const work = mkdtempSync(join(tmpdir(), "tollgate-bench-"));
/**
 * BENCH_CALLGRIND=1 counts instructions instead of timing: each system under test runs under
 * valgrind's callgrind, and a fixed number of requests (BENCH_REQUESTS, after as many again to
 * warm up) gives its user-space instructions per request, which repeat from run to run whatever
 * this VM's speed of the hour (kernel time, the syscalls, is not counted; nor, in a Node.js
 * process, work done on timers: see pinned()).
 */
const CALLGRIND = process.env.BENCH_CALLGRIND === "1";
const CALLGRIND_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
/** Where callgrind's files go (BENCH_CALLGRIND_DIR keeps them for callgrind_annotate). */
const CALLGRIND_DIR = process.env.BENCH_CALLGRIND_DIR ?? work;
const children: ChildProcess[] = [];

/**
 * BENCH_POLICY=<name> measures one gateway policy: the run gets a second Tollgate embedded with
 * the policy configured on the bench API ("Tollgate embedded + <name>"), and every system gets
 * the request the policy needs (a token, an Origin, a validated POST body), so the two Tollgate
 * systems differ in the policy alone. `bench/policies.ts` runs each policy this way.
 */
const POLICY = process.env.BENCH_POLICY || undefined;
const POLICIES = [
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
if (POLICY && !POLICIES.includes(POLICY)) {
  console.error(`Unknown BENCH_POLICY '${POLICY}': expected one of ${POLICIES.join(", ")}`);
  process.exit(1);
}
const ORIGIN = "https://app.example.com";
const AUTHORIZER_PORT = 9700;
const PET = JSON.stringify({ name: "rex", kind: "dog", age: 3 });

interface System {
  name: string;
  url: string;
  /** Pids whose CPU time is the system's; none for the upstream hit directly. */
  pids: () => number[];
  stop: () => Promise<void>;
  /** Tollgate's access log file, whose latencyMs gives the handler's own latency. */
  accessLog?: string;
  /** The Redis server the system counts in, whose CPU per request is reported beside the system's. */
  redisPid?: number;
}

for (const tool of ["wrk", "nginx", "taskset", "redis-server", ...(CALLGRIND ? ["valgrind"] : [])]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`]);
  } catch {
    console.error(`${tool} is missing: apt-get install -y wrk nginx redis-server util-linux`);
    process.exit(1);
  }
}
if (!existsSync("dist/cli/main.js")) {
  console.error("dist/ is missing: run npm run build first");
  process.exit(1);
}

function pinned(core: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const callgrind =
    CALLGRIND && core === SUT_CORE
      ? [
          "valgrind",
          "--tool=callgrind",
          "--separate-threads=yes",
          `--callgrind-out-file=${CALLGRIND_DIR}/callgrind.%p`,
          `--log-file=${CALLGRIND_DIR}/valgrind.%p.log`,
          // A Node.js process counts only its work on socket reads, where every request is handled:
          // what it does on timers (the ledger's commit every 100 ms, the access log's flush) runs
          // some 100 times as often per request under callgrind's slowness as at full speed.
          ...(command === process.execPath ? ["--toggle-collect=node::LibuvStreamWrap::OnUvRead*"] : []),
        ]
      : [];
  const child = spawn("taskset", ["-c", core, ...callgrind, command, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", process.env.BENCH_SUT_STDOUT ? "inherit" : "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  // Under callgrind a Node.js process takes a minute or more to start.
  for (let i = 0; i < (CALLGRIND ? 6000 : 200); i++) {
    try {
      await fetch(url, { headers });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** nginx as a plain upstream answering a small JSON body on every path. */
function startUpstream(): ChildProcess {
  const conf = join(work, "upstream.conf");
  writeFileSync(
    conf,
    `daemon off; worker_processes 1; pid ${work}/upstream.pid; error_log /dev/null;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:${UPSTREAM_PORT}; location / { default_type application/json; return 200 '{"pet":"rex","id":42}'; } } }`,
  );
  return pinned(LOAD_CORE, "nginx", ["-c", conf, "-p", work]);
}

async function nginxProxy(port: number): Promise<System> {
  const conf = join(work, "proxy.conf");
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; pid ${work}/proxy.pid; error_log /dev/null;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  limit_req_zone $http_x_api_key zone=keys:10m rate=1000000r/s;
  upstream backend { server 127.0.0.1:${UPSTREAM_PORT}; keepalive 128; }
  server { listen 127.0.0.1:${port};
    location / { limit_req zone=keys burst=1000000 nodelay;
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
  );
  const child = pinned(SUT_CORE, "nginx", ["-c", conf, "-p", work]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url);
  return {
    name: "nginx proxy_pass + limit_req",
    url: `${url}/dev/pets`,
    pids: () => [child.pid!],
    stop: () => stopChild(child),
  };
}

async function nodeProcess(
  name: string,
  script: string,
  port: number,
  env: NodeJS.ProcessEnv,
  path = "/dev/pets",
): Promise<System> {
  const child = pinned(SUT_CORE, process.execPath, ["--import", "tsx", script], {
    PORT: String(port),
    UPSTREAM: `http://127.0.0.1:${UPSTREAM_PORT}`,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url);
  return { name, url: `${url}${path}`, pids: () => [child.pid!], stop: () => stopChild(child) };
}

/** What the policy run needs of every request (headers, a POST body) and of its setup. */
interface PolicyFixture {
  headers: Record<string, string>;
  /** A wrk Lua script (method and body), when the request is not a plain GET. */
  script?: string;
  jwks?: { keys: unknown[] };
  authorizerUri?: string;
}
let fixture: PolicyFixture = { headers: {} };

async function policyFixture(): Promise<PolicyFixture> {
  if (!POLICY) return { headers: {} };
  if (POLICY === "jwt" || POLICY === "jwt-uncached") {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256" };
    const token = await new SignJWT({ sub: "bench-user" })
      .setProtectedHeader({ alg: "RS256", kid: "bench" })
      .setIssuer("https://issuer.bench")
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(privateKey);
    return { headers: { authorization: `Bearer ${token}` }, jwks: { keys: [jwk] } };
  }
  if (POLICY === "http-authorizer") {
    // A process of its own (this one blocks while wrk runs), answering Allow; the gateway asks it
    // once and caches the answer for the TTL (300 s), as AWS does.
    const script = join(work, "authorizer.mjs");
    const answer = JSON.stringify({
      principalId: "bench",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*" },
        ],
      },
    });
    writeFileSync(
      script,
      `import { createServer } from "node:http";
createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(${JSON.stringify(answer)}); }); }).listen(${AUTHORIZER_PORT}, "127.0.0.1");`,
    );
    pinned(LOAD_CORE, process.execPath, [script]);
    await waitFor(`http://127.0.0.1:${AUTHORIZER_PORT}/`);
    return {
      headers: { authorization: "bench-token" },
      authorizerUri: `http://127.0.0.1:${AUTHORIZER_PORT}/`,
    };
  }
  if (POLICY === "validation") {
    const script = join(work, "post.lua");
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = '${PET}'\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
    return { headers: {}, script };
  }
  if (POLICY === "cors") return { headers: { origin: ORIGIN } };
  return { headers: {} };
}

type AdminCall = (method: string, path: string, body: unknown) => Promise<Record<string, string>>;

/** Configures BENCH_POLICY on the bench API (deployed again when the policy is frozen with deployments). */
async function configurePolicy(
  call: AdminCall,
  apiId: string,
  tenantId: string,
  port: number,
): Promise<void> {
  const resources = (await call("GET", `/restapis/${apiId}/resources`, undefined)) as unknown as {
    item: Array<{ id: string; path: string }>;
  };
  const pets = resources.item.find((r) => r.path === "/pets")!.id;
  const method = (verb: string, ops: Array<{ op: string; path: string; value: string }>) =>
    call("PATCH", `/restapis/${apiId}/resources/${pets}/methods/${verb}`, { patchOperations: ops });
  const redeploy = () => call("POST", `/restapis/${apiId}/deployments`, { stageName: "dev" });
  if (POLICY === "jwt" || POLICY === "jwt-uncached") {
    const authorizer = await call("POST", `/restapis/${apiId}/authorizers`, {
      name: "bench-jwt",
      type: "JWT",
      jwtConfiguration: { issuer: "https://issuer.bench", jwks: fixture.jwks },
      authorizerResultTtlInSeconds: POLICY === "jwt" ? 300 : 0,
    });
    await method("GET", [
      { op: "replace", path: "/authorizationType", value: "COGNITO_USER_POOLS" },
      { op: "replace", path: "/authorizerId", value: authorizer.id! },
    ]);
    await redeploy();
  } else if (POLICY === "http-authorizer") {
    const authorizer = await call("POST", `/restapis/${apiId}/authorizers`, {
      name: "bench-token",
      type: "TOKEN",
      authorizerUri: fixture.authorizerUri,
      authorizerResultTtlInSeconds: 300,
    });
    await method("GET", [
      { op: "replace", path: "/authorizationType", value: "CUSTOM" },
      { op: "replace", path: "/authorizerId", value: authorizer.id! },
    ]);
    await redeploy();
  } else if (POLICY === "resource-policy") {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
          Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
        },
        { Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/POST/*" },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
          Condition: { StringEquals: { "tollgate:TenantId": "blocked-tenant" } },
        },
      ],
    };
    await call("PATCH", `/restapis/${apiId}`, {
      patchOperations: [{ op: "replace", path: "/policy", value: JSON.stringify(policy) }],
    });
    await redeploy();
  } else if (POLICY === "tenant-access") {
    await call("PATCH", `/tenants/${tenantId}`, {
      patchOperations: [
        { op: "add", path: "/allowedResources", value: `${apiId}/dev/*/pets*` },
        { op: "add", path: "/deniedResources", value: `${apiId}/*/POST/*` },
      ],
    });
  } else if (POLICY === "validation") {
    await call("POST", `/restapis/${apiId}/models`, {
      name: "Pet",
      contentType: "application/json",
      schema: JSON.stringify({
        type: "object",
        required: ["name", "kind"],
        properties: {
          name: { type: "string" },
          kind: { enum: ["cat", "dog"] },
          age: { type: "integer", minimum: 0 },
        },
      }),
    });
    const validator = await call("POST", `/restapis/${apiId}/requestvalidators`, {
      name: "body",
      validateRequestBody: true,
    });
    await method("POST", [
      { op: "replace", path: "/requestValidatorId", value: validator.id! },
      { op: "add", path: "/requestModels/application~1json", value: "Pet" },
    ]);
    await redeploy();
  } else if (POLICY === "firewall") {
    const set = await call("POST", "/firewall/ipsets", {
      name: "blocked",
      addresses: ["10.0.0.0/8", "2001:db8::/32"],
    });
    await call("POST", "/firewall/rules", {
      name: "ipset",
      priority: 1,
      action: "BLOCK",
      ipSetIds: [set.id],
    });
    await call("POST", "/firewall/rules", {
      name: "php",
      priority: 2,
      action: "BLOCK",
      pathPatterns: ["\\.php$"],
    });
    await call("POST", "/firewall/rules", {
      name: "scanners",
      priority: 3,
      action: "BLOCK",
      headerPatterns: [{ name: "user-agent", pattern: "sqlmap|nikto" }],
    });
  } else if (POLICY === "iam") {
    // AWS_IAM on GET /pets, signed with the bench tenant's key pair (the key is the same tenant's).
    // One signature serves the whole run: Tollgate, as AWS, accepts it for 15 minutes.
    const pair = await call("POST", `/tenants/${tenantId}/credentials`, {});
    await method("GET", [{ op: "replace", path: "/authorizationType", value: "AWS_IAM" }]);
    await redeploy();
    const signed = await new SignatureV4({
      credentials: { accessKeyId: pair.accessKeyId!, secretAccessKey: pair.secretAccessKey! },
      region: "us-east-1",
      service: "execute-api",
      sha256: Sha256,
    }).sign(
      new HttpRequest({
        method: "GET",
        protocol: "http:",
        hostname: "127.0.0.1",
        port,
        path: "/dev/pets",
        headers: { host: `127.0.0.1:${port}` },
      }),
    );
    const { host: _, ...headers } = signed.headers;
    fixture.headers = headers;
  } else if (POLICY === "cors") {
    await call("PATCH", `/restapis/${apiId}`, {
      patchOperations: [
        { op: "replace", path: "/corsConfiguration", value: JSON.stringify({ allowOrigins: [ORIGIN] }) },
      ],
    });
    await redeploy();
  }
}

/** Makes sure the policy is in force: a request it must refuse (or answer itself) is refused. */
async function verifyPolicy(base: string): Promise<void> {
  const key = { "x-api-key": KEY };
  const json = { ...key, "content-type": "application/json" };
  const [path, init, status] = {
    jwt: ["/dev/pets", { headers: key }, 401],
    "jwt-uncached": ["/dev/pets", { headers: key }, 401],
    "http-authorizer": ["/dev/pets", { headers: key }, 401],
    "resource-policy": ["/dev/pets", { method: "POST", headers: json, body: PET }, 403],
    "tenant-access": ["/dev/pets", { method: "POST", headers: json, body: PET }, 403],
    validation: ["/dev/pets", { method: "POST", headers: json, body: "{}" }, 400],
    firewall: ["/dev/index.php", { headers: key }, 403],
    iam: ["/dev/pets", { headers: key }, 403],
    cors: [
      "/dev/pets",
      { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } },
      204,
    ],
  }[POLICY!] as [string, RequestInit, number];
  const r = await fetch(`${base}${path}`, init);
  await r.arrayBuffer();
  if (r.status !== status)
    throw new Error(`policy ${POLICY} is not in force: ${path} answered ${r.status}, not ${status}`);
}

async function tollgate(
  name: string,
  port: number,
  env: NodeJS.ProcessEnv,
  withPolicy = false,
): Promise<System> {
  const dataDir = mkdtempSync(join(work, "tollgate-"));
  const adminPort = port + 1;
  const child = pinned(
    SUT_CORE,
    process.execPath,
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles Tollgate under the load.
    [
      ...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      "dist/cli/main.js",
      "serve",
      "--data-dir",
      dataDir,
      "--no-quickstart",
    ],
    {
      TOLLGATE_GATEWAY_PORT: String(port),
      TOLLGATE_ADMIN_PORT: String(adminPort),
      TOLLGATE_PORTAL_PORT: String(port + 2),
      TOLLGATE_ADMIN_TOKEN: TOKEN,
      TOLLGATE_ACCESS_LOG: join(dataDir, "access.log"),
      // Rotated as by default, but never within a run: the handler's latency is read from this file.
      TOLLGATE_ACCESS_LOG_MAX_BYTES: String(2 ** 36),
      TOLLGATE_ACCOUNT_RATE_LIMIT: "10000000",
      TOLLGATE_ACCOUNT_BURST_LIMIT: "10000000",
      ...env,
      // BENCH_TOLLGATE_ENV='{"TOLLGATE_ACCESS_LOG":"off"}' measures what one feature costs.
      ...(process.env.BENCH_TOLLGATE_ENV ? JSON.parse(process.env.BENCH_TOLLGATE_ENV) : {}),
    },
  );
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitFor(`${admin}/health`);
  const call: AdminCall = async (method, path, body) => {
    const r = await fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, string>;
  };
  const openapi = readFileSync(new URL("./bench-api.yaml", import.meta.url), "utf8").replaceAll(
    "UPSTREAM",
    `127.0.0.1:${UPSTREAM_PORT}`,
  );
  const api = await call("POST", "/restapis?mode=import", openapi);
  await call("POST", `/restapis/${api.id}/deployments`, { stageName: "dev" });
  // Every bucket level and the quota are on, with limits nothing reaches.
  await call("PATCH", `/restapis/${api.id}/stages/dev`, {
    patchOperations: [
      { op: "replace", path: "/*/*/throttling/rateLimit", value: "10000000" },
      { op: "replace", path: "/*/*/throttling/burstLimit", value: "10000000" },
      { op: "replace", path: "/~1pets/GET/throttling/rateLimit", value: "10000000" },
      { op: "replace", path: "/~1pets/GET/throttling/burstLimit", value: "10000000" },
    ],
  });
  const tenant = await call("POST", "/tenants", { name: "bench" });
  const plan = await call("POST", "/usageplans", {
    name: "bench",
    throttle: { rateLimit: 10000000, burstLimit: 10000000 },
    quota: { limit: 2000000000, period: "MONTH", offset: 0 },
    apiStages: [
      {
        apiId: api.id,
        stage: "dev",
        throttle: { "/pets/GET": { rateLimit: 10000000, burstLimit: 10000000 } },
      },
    ],
  });
  const key = await call("POST", "/apikeys", {
    name: "bench",
    enabled: true,
    value: KEY,
    customerId: tenant.id,
  });
  await call("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
  if (withPolicy) await configurePolicy(call, api.id!, tenant.id!, port);
  await new Promise((r) => setTimeout(r, 1500));
  if (withPolicy) await verifyPolicy(`http://127.0.0.1:${port}`);
  return {
    name,
    url: `http://127.0.0.1:${port}/dev/pets`,
    pids: () => [child.pid!],
    stop: () => stopChild(child),
    accessLog: join(dataDir, "access.log"),
  };
}

function cpuTicks(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
  }
  return ticks;
}
const TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** wrk's figures; with `perRequest`, also each request's own latency (bench/raw-latency.lua). */
function wrk(
  url: string,
  connections: number,
  seconds: number,
  perRequest = false,
): { rps: number; p50: number; p99: number; requestP50: number; requestP99: number; errors: number } {
  const extra = Object.entries(fixture.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const script = perRequest
    ? ["-s", "bench/raw-latency.lua", url, "--", ...(fixture.script ? [fixture.script] : [])]
    : [...(fixture.script ? ["-s", fixture.script] : []), url];
  const out = execFileSync("taskset", [
    "-c",
    LOAD_CORE,
    "wrk",
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    "-H",
    `x-api-key: ${KEY}`,
    ...extra,
    ...script,
  ]).toString();
  const ms = (label: string) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  const own = /per-request latency: p50 (\d+) p99 (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socketErrors = /Socket errors: .*?(\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(" 50%"),
    p99: ms(" 99%"),
    requestP50: own ? Number(own[1]) / 1000 : Number.NaN,
    requestP99: own ? Number(own[2]) / 1000 : Number.NaN,
    errors: Number(non2xx?.[1] ?? 0) + Number(socketErrors?.[1] ?? 0),
  };
}

interface Sample {
  rps: number;
  cpuUsPerRequest: number;
  /** The Redis server's CPU per request (NaN without one): it runs on the load core. */
  redisCpuUsPerRequest: number;
  /** wrk's unloaded p50 and p99, ms, corrected by wrk for coordinated omission. */
  p50: number;
  p99: number;
  /** The unloaded run's requests' own latencies, ms (bench/raw-latency.lua). */
  requestP50: number;
  requestP99: number;
  /** Tollgate's own time per request in the unloaded run (access log latencyMs), ms. */
  handlerP50: number;
  handlerP99: number;
  errors: number;
  /** BENCH_CALLGRIND: user-space instructions per request. */
  instructions: number;
}

function measure(system: System): Sample {
  if (CALLGRIND) return countInstructions(system);
  wrk(system.url, CONNECTIONS, 2); // warm-up: JIT, pools, caches
  const pids = system.pids();
  const redis = system.redisPid === undefined ? [] : [system.redisPid];
  const before = pids.length ? cpuTicks(pids) : 0;
  const redisBefore = redis.length ? cpuTicks(redis) : 0;
  const load = wrk(system.url, CONNECTIONS, DURATION_S);
  const cpuS = pids.length ? (cpuTicks(pids) - before) / TICKS_PER_S : Number.NaN;
  const redisCpuS = redis.length ? (cpuTicks(redis) - redisBefore) / TICKS_PER_S : Number.NaN;
  // The access log is written every 100 ms: once the loaded run's lines are in, the unloaded run's follow.
  if (system.accessLog) sleepMs(300);
  const logFrom = system.accessLog && existsSync(system.accessLog) ? statSync(system.accessLog).size : 0;
  const unloadedFrom = Date.now();
  const unloaded = wrk(system.url, 1, Math.max(3, Math.round(DURATION_S / 2)), true);
  const handler = system.accessLog ? handlerLatency(system.accessLog, logFrom, unloadedFrom) : undefined;
  return {
    rps: load.rps,
    cpuUsPerRequest: (cpuS * 1e6) / (load.rps * DURATION_S),
    redisCpuUsPerRequest: (redisCpuS * 1e6) / (load.rps * DURATION_S),
    p50: unloaded.p50,
    p99: unloaded.p99,
    requestP50: unloaded.requestP50,
    requestP99: unloaded.requestP99,
    handlerP50: handler?.p50 ?? Number.NaN,
    handlerP99: handler?.p99 ?? Number.NaN,
    errors: load.errors + unloaded.errors,
    instructions: Number.NaN,
  };
}

/** BENCH_CALLGRIND: a fixed number of requests to warm up, then as many counted. */
function countInstructions(system: System): Sample {
  const nan = Number.NaN;
  const sample: Sample = {
    rps: nan,
    cpuUsPerRequest: nan,
    redisCpuUsPerRequest: nan,
    p50: nan,
    p99: nan,
    requestP50: nan,
    requestP99: nan,
    handlerP50: nan,
    handlerP99: nan,
    errors: 0,
    instructions: nan,
  };
  const pid = system.pids()[0];
  if (pid === undefined) return sample; // the upstream hit directly: nothing of its own to count
  sample.errors += countedRun(system.url, CALLGRIND_REQUESTS).errors;
  execFileSync("callgrind_control", ["--zero", String(pid)], { stdio: "pipe" });
  const run = countedRun(system.url, CALLGRIND_REQUESTS);
  execFileSync("callgrind_control", ["--dump", String(pid)], { stdio: "pipe" });
  sample.errors += run.errors;
  // The dump has one file per thread (callgrind.<pid>.1-01, -02, ...).
  let all = 0;
  for (const file of readdirSync(CALLGRIND_DIR).filter((name) => name.startsWith(`callgrind.${pid}.1-`)))
    all += Number(/^summary: (\d+)$/m.exec(readFileSync(join(CALLGRIND_DIR, file), "utf8"))?.[1] ?? 0);
  sample.instructions = all / run.requests;
  return sample;
}

/** wrk with 10 connections until `requests` responses came back (bench/stop-after.lua). */
function countedRun(url: string, requests: number): { requests: number; errors: number } {
  const extra = Object.entries(fixture.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
  const out = execFileSync("taskset", [
    ...["-c", LOAD_CORE, "wrk", "-t1", "-c10", "-d3600s", "-H", `x-api-key: ${KEY}`, ...extra],
    ...[
      "-s",
      "bench/stop-after.lua",
      url,
      "--",
      String(requests),
      ...(fixture.script ? [fixture.script] : []),
    ],
  ]).toString();
  const counted = /counted (\d+) responses, (\d+) not 2xx/.exec(out);
  if (!counted) throw new Error(`wrk did not count its responses: ${out}`);
  return { requests: Number(counted[1]), errors: Number(counted[2]) };
}

/**
 * The handler's own latency (the access log's latencyMs: from the request's head to its answer
 * written) of the requests logged from byte `from` on that arrived from `since` (epoch ms) on:
 * what Tollgate adds, without the time its process waited to be scheduled.
 */
function handlerLatency(log: string, from: number, since: number): { p50: number; p99: number } | undefined {
  sleepMs(300);
  if (!existsSync(log)) return undefined;
  const ms = readFileSync(log)
    .subarray(from)
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { time: string; latencyMs: number })
    .filter((entry) => Date.parse(entry.time) >= since)
    .map((entry) => entry.latencyMs)
    .sort((a, b) => a - b);
  if (ms.length === 0) return undefined;
  return { p50: ms[Math.floor(ms.length / 2)]!, p99: ms[Math.floor(ms.length * 0.99)]! };
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Tollgate embedded with the stage's response cache on for the benchmarked GET (TTL 3600 s):
 * after the first request every answer is a cache hit, with the same key lookup, buckets,
 * quota, usage recording and access log as a proxied request.
 */
async function withCache(system: System): Promise<System> {
  const port = Number(new URL(system.url).port);
  const admin = `http://127.0.0.1:${port + 1}`;
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const apis = (await (await fetch(`${admin}/restapis`, { headers })).json()) as {
    item: Array<{ id: string }>;
  };
  const r = await fetch(`${admin}/restapis/${apis.item[0]!.id}/stages/dev`, {
    method: "PATCH",
    headers,
    body: JSON.stringify({
      patchOperations: [
        { op: "replace", path: "/cacheClusterEnabled", value: "true" },
        { op: "replace", path: "/*/*/caching/enabled", value: "true" },
        { op: "replace", path: "/*/*/caching/ttlInSeconds", value: "3600" },
        // The stage's method throttle made a setting of its own for GET /pets: it must say so too.
        { op: "replace", path: "/~1pets/GET/caching/enabled", value: "true" },
        { op: "replace", path: "/~1pets/GET/caching/ttlInSeconds", value: "3600" },
      ],
    }),
  });
  if (r.status !== 200) throw new Error(`enabling the cache: ${r.status} ${await r.text()}`);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (const expected of ["Miss", "Hit"]) {
    const answer = await fetch(system.url, { headers: { "x-api-key": KEY } });
    await answer.arrayBuffer();
    if (answer.headers.get("x-cache") !== expected)
      throw new Error(`the cache is not in force: x-cache ${answer.headers.get("x-cache")}, not ${expected}`);
  }
  return system;
}

const SYSTEM_NAMES = [
  "upstream direct",
  "Node floor",
  "nginx",
  "undici",
  "server and client alone",
  "fast-gateway",
  "Tollgate cache hits",
  "Tollgate embedded",
  "Tollgate on Redis",
  `Tollgate embedded + ${POLICY}`,
];

/** The median of the figures that were measured (NaN when none was). */
const median = (xs: number[]) => {
  const measured = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return measured.length ? measured[Math.floor(measured.length / 2)]! : Number.NaN;
};
const spread = (xs: number[]) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);

async function main(): Promise<void> {
  fixture = await policyFixture();
  const upstream = startUpstream();
  await waitFor(`http://127.0.0.1:${UPSTREAM_PORT}/`);
  const redis = pinned(LOAD_CORE, "redis-server", [
    "--port",
    "9379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--bind",
    "127.0.0.1",
  ]);
  await new Promise((r) => setTimeout(r, 500));

  const makers: Array<() => Promise<System>> = [
    async () => ({
      name: "upstream direct",
      url: `http://127.0.0.1:${UPSTREAM_PORT}/pets`,
      pids: () => [],
      stop: async () => {},
    }),
    () => nodeProcess("Node floor (node:net, fixed answer)", "bench/peers/node-floor.ts", 9150, {}, "/pets"),
    () => nginxProxy(9100),
    () => nodeProcess("bare undici proxy", "bench/peers/undici-proxy.ts", 9200, {}, "/pets"),
    () =>
      nodeProcess(
        "Tollgate's server and client alone",
        "bench/peers/tollgate-core-proxy.ts",
        9250,
        {},
        "/pets",
      ),
    () =>
      nodeProcess("fast-gateway (key auth + rate limit)", "bench/peers/fast-gateway.ts", 9300, { KEYS: KEY }),
    () => tollgate("Tollgate cache hits", 9700, {}).then(withCache),
    () => tollgate("Tollgate embedded", 9400, {}),
    async () => ({
      ...(await tollgate("Tollgate on Redis", 9500, { TOLLGATE_REDIS_URL: "redis://127.0.0.1:9379" })),
      redisPid: redis.pid,
    }),
    ...(POLICY ? [() => tollgate(`Tollgate embedded + ${POLICY}`, 9600, {}, true)] : []),
  ];
  // BENCH_ONLY=a,b measures only the systems whose names contain one of the words.
  const only = process.env.BENCH_ONLY?.split(",");
  const chosen = only ? makers.filter((_, i) => only.some((w) => SYSTEM_NAMES[i]!.includes(w))) : makers;
  if (POLICY)
    console.error(
      `policy ${POLICY}: requests carry ${JSON.stringify(fixture.headers)}${fixture.script ? ` and ${PET} (POST)` : ""}`,
    );
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? chosen : [...chosen].reverse();
    for (const make of order) {
      const system = await make();
      const sample = measure(system);
      await system.stop();
      samples.set(system.name, [...(samples.get(system.name) ?? []), sample]);
      if (CALLGRIND)
        console.error(
          `round ${round + 1} ${system.name}: ${sample.instructions.toFixed(0)} instructions per request, errors ${sample.errors}`,
        );
      else
        console.error(
          `round ${round + 1} ${system.name}: ${sample.rps.toFixed(0)} rps, ${sample.cpuUsPerRequest.toFixed(1)} us CPU/req${Number.isNaN(sample.redisCpuUsPerRequest) ? "" : ` (+ ${sample.redisCpuUsPerRequest.toFixed(1)} in Redis)`}, p50/p99 ${sample.p50.toFixed(3)}/${sample.p99.toFixed(3)} ms (wrk), ${sample.requestP50.toFixed(3)}/${sample.requestP99.toFixed(3)} ms (per request), handler p50/p99 ${sample.handlerP50.toFixed(3)}/${sample.handlerP99.toFixed(3)} ms, errors ${sample.errors}`,
        );
    }
  }
  await stopChild(redis);
  await stopChild(upstream);
  report(samples);
}

function report(samples: Map<string, Sample[]>): void {
  // BENCH_JSON=<file> also writes every sample, for drivers (bench/policies.ts).
  if (process.env.BENCH_JSON)
    writeFileSync(process.env.BENCH_JSON, JSON.stringify(Object.fromEntries(samples)));
  const med = (name: string, field: keyof Sample) => median((samples.get(name) ?? []).map((s) => s[field]));
  if (CALLGRIND) {
    const lines = [
      `${ROUNDS} rounds of ${CALLGRIND_REQUESTS} requests (after as many to warm up), wrk -t1 -c10, each system under callgrind.`,
      "",
      "| system | instructions per request (median) | spread | errors |",
      "| --- | ---: | ---: | ---: |",
    ];
    for (const [name, list] of samples) {
      const all = med(name, "instructions");
      if (Number.isNaN(all)) continue;
      lines.push(
        `| ${name} | ${all.toFixed(0)} | ±${((spread(list.map((s) => s.instructions)) * 100) / 2).toFixed(1)}% | ${list.reduce((n, s) => n + s.errors, 0)} |`,
      );
    }
    console.log(lines.join("\n"));
    return;
  }
  const nginx = med("nginx proxy_pass + limit_req", "rps");
  const undici = med("bare undici proxy", "rps");
  /** "p50 / p99" of a pair of fields, ms, and what they add over the direct upstream's, µs. */
  const pair = (name: string, p50: keyof Sample, p99: keyof Sample) => {
    const [a, b] = [med(name, p50), med(name, p99)];
    const added = (value: number, field: keyof Sample) =>
      ((value - med("upstream direct", field)) * 1000).toFixed(0);
    return `${a.toFixed(3)} / ${b.toFixed(3)} | ${added(a, p50)} / ${added(b, p99)}`;
  };
  const lines = [
    `${ROUNDS} rounds, ${DURATION_S} s each, wrk -t1 -c${CONNECTIONS}; unloaded latency with -c1. System under test on core ${SUT_CORE}; wrk, upstream (nginx) and Redis on core ${LOAD_CORE}.`,
    "",
    "| system | req/s (median) | spread | × nginx | × undici proxy | CPU µs/req | p50 / p99 ms (-c1, wrk) | added p50 / p99 µs (wrk) | p50 / p99 ms (-c1, per request) | added p50 / p99 µs (per request) | handler p50 / p99 ms (-c1) | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [name, list] of samples) {
    const rps = med(name, "rps");
    const cpu = med(name, "cpuUsPerRequest");
    const redisCpu = med(name, "redisCpuUsPerRequest");
    const cpuCell = `${Number.isNaN(cpu) ? "–" : cpu.toFixed(1)}${Number.isNaN(redisCpu) ? "" : ` (+ ${redisCpu.toFixed(1)} in Redis)`}`;
    const handlerP50 = med(name, "handlerP50");
    const handler = Number.isNaN(handlerP50)
      ? "–"
      : `${handlerP50.toFixed(3)} / ${med(name, "handlerP99").toFixed(3)}`;
    lines.push(
      `| ${name} | ${rps.toFixed(0)} | ±${((spread(list.map((s) => s.rps)) * 100) / 2).toFixed(1)}% | ${(rps / nginx).toFixed(2)} | ${(rps / undici).toFixed(2)} | ${cpuCell} | ${pair(name, "p50", "p99")} | ${pair(name, "requestP50", "requestP99")} | ${handler} | ${list.reduce((n, s) => n + s.errors, 0)} |`,
    );
  }
  const proxied = "Tollgate embedded";
  const cached = "Tollgate cache hits";
  if (samples.has(proxied) && samples.has(cached)) {
    const ratio = (field: keyof Sample) => med(cached, field) / med(proxied, field);
    lines.push(
      "",
      `Cache hits vs proxied Tollgate embedded: throughput ${ratio("rps").toFixed(2)} ×, CPU per request ${ratio("cpuUsPerRequest").toFixed(2)} ×, p50 ${ratio("requestP50").toFixed(2)} ×, p99 ${ratio("requestP99").toFixed(2)} × (per request).`,
    );
  }
  lines.push(...targets(med, samples));
  console.log(lines.join("\n"));
}

/** Issue 4's targets against this run's medians, for the systems that were measured. */
function targets(
  med: (name: string, field: keyof Sample) => number,
  samples: Map<string, Sample[]>,
): string[] {
  const tollgate = "Tollgate embedded";
  if (!samples.has(tollgate)) return [];
  const rows: string[] = [];
  const row = (target: string, measured: string, met: boolean) =>
    rows.push(`| ${target} | ${measured} | ${met ? "yes" : "no"} |`);
  const rps = med(tollgate, "rps");
  /** `system`'s throughput over `base`'s, against `min`, when both were measured. */
  const ratioRow = (target: string, system: string, base: string, min: number) => {
    if (!samples.has(system) || !samples.has(base)) return;
    const ratio = med(system, "rps") / med(base, "rps");
    // Each round's own ratio too: this VM's speed can move between rounds, and a round measures
    // the two systems minutes apart at most.
    const bases = samples.get(base)!;
    const rounds = samples
      .get(system)!
      .map((s, i) => (s.rps / bases[i]!.rps).toFixed(2))
      .join(", ");
    row(target, `${ratio.toFixed(2)} × (by round: ${rounds})`, ratio >= min);
  };
  const direct = "upstream direct";
  ratioRow("throughput ≥ 0.33 × nginx", tollgate, "nginx proxy_pass + limit_req", 0.33);
  ratioRow("throughput ≥ 0.85 × bare undici proxy", tollgate, "bare undici proxy", 0.85);
  const cpu = med(tollgate, "cpuUsPerRequest");
  row("CPU ≤ 50 µs per request", `${cpu.toFixed(1)} µs`, cpu <= 50);
  if (samples.has(direct)) {
    const added = (name: string, field: keyof Sample) => (med(name, field) - med(direct, field)) * 1000;
    const p50 = added(tollgate, "requestP50");
    const p99 = added(tollgate, "requestP99");
    row("added unloaded latency p50 ≤ 120 µs (per request)", `${p50.toFixed(0)} µs`, p50 <= 120);
    const handlerP99 = med(tollgate, "handlerP99");
    const handlerNote = Number.isNaN(handlerP99)
      ? ""
      : `; Tollgate's handler itself: p99 ${(handlerP99 * 1000).toFixed(0)} µs`;
    row(
      "added unloaded latency p99 ≤ 500 µs (per request)",
      `${p99.toFixed(0)} µs (wrk's corrected figure: ${added(tollgate, "p99").toFixed(0)} µs${handlerNote})`,
      p99 <= 500,
    );
  }
  ratioRow("Redis mode ≥ 0.8 × embedded throughput", "Tollgate on Redis", tollgate, 0.8);
  const peer = [...samples.keys()].find((name) => name.startsWith("fast-gateway"));
  if (peer) {
    const ahead: Array<[string, boolean]> = [
      ["throughput", rps > med(peer, "rps")],
      ["CPU", cpu < med(peer, "cpuUsPerRequest")],
      ["p50", med(tollgate, "requestP50") < med(peer, "requestP50")],
      ["p99", med(tollgate, "requestP99") < med(peer, "requestP99")],
    ];
    const behind = ahead.filter(([, ok]) => !ok).map(([figure]) => figure);
    row(
      "ahead of fast-gateway on every figure",
      behind.length ? `behind on ${behind.join(", ")}` : "ahead on all four",
      behind.length === 0,
    );
  }
  return [
    "",
    "Issue 4's targets (Tollgate embedded unless named):",
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...rows,
  ];
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.all(children.map(stopChild));
    rmSync(work, { recursive: true, force: true });
  });
