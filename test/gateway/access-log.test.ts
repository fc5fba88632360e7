import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UpdateStageCommand } from "@aws-sdk/client-api-gateway";
import { ACCESS_LOG_VARIABLES } from "../../src/apis/index.js";
import { createMetricsRegistry } from "../../src/core/metrics.js";
import { entryJson } from "../../src/gateway/access-log.js";
import { compileLogFormat, RENDERED_VARIABLES } from "../../src/gateway/access-log-format.js";
import { AccessLog, type AccessLogEntry } from "../../src/gateway/index.js";
import {
  deployEchoApi,
  echoApiWorld,
  gatewayCaughtUp,
  type PlanWithKey,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { parsePrometheusText } from "../helpers/prometheus.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const entry = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  requestId: "0b6f3c2e-9a1d-4c8e-b2f4-5d6e7f809a1b",
  time: "2026-11-25T14:18:33.265Z",
  ip: "203.0.113.7",
  method: "GET",
  path: "/dev/pets/7?x=1",
  apiId: "a1b2c3d4e5",
  stage: "dev",
  resourcePath: "/pets/{petId}",
  status: 200,
  keyId: "k1",
  tenantId: "t1",
  usagePlanId: "p1",
  latencyMs: 1.6,
  upstreamLatencyMs: 0.9,
  bytesIn: 0,
  bytesOut: 494,
  ...over,
});

const AWS_JSON = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  apiKey: "$context.identity.apiKey",
  requestTime: "$context.requestTime",
  requestTimeEpoch: "$context.requestTimeEpoch",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integration.status",
  errorMessage: "$context.error.message",
  responseType: "$context.error.responseType",
  canary: "$context.isCanaryRequest",
  principal: "$context.authorizer.principalId",
  tenant: "$context.tenantId",
  plan: "$context.usagePlanId",
  trace: "$context.traceId",
  stage: "$context.stage",
  api: "$context.apiId",
  domain: "$context.domainName",
});

describe("access log: the JSON line", () => {
  test("is the text JSON.stringify writes, also when values need escaping or fields are missing", () => {
    const entries: AccessLogEntry[] = [
      entry(),
      // The gateway's object: every field present from the start, most undefined.
      {
        ...entry(),
        error: undefined,
        canary: undefined,
        cache: undefined,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      },
      entry({ path: '/dev/pets/"7"?q=a\\b', userAgent: "curl/8.5 \u0001", host: "h\u2028" }),
      entry({ tenantId: "t\ud800", error: 'upstream said "no"\n', errorType: "BadGatewayException" }),
      entry({ upstreamLatencyMs: undefined, keyId: undefined, tenantId: undefined, usagePlanId: undefined }),
      entry({
        canary: true,
        cache: "hit",
        integrationStatus: 502,
        principalId: "user|1",
        protocol: "HTTP/1.0",
      }),
      entry({ latencyMs: Number.NaN, bytesIn: Number.POSITIVE_INFINITY }),
      entry({ stage: "ünïcode", resourcePath: "/pets/{id}/ä" }),
    ];
    for (const e of entries) {
      assert.equal(entryJson(e), JSON.stringify(e));
      assert.deepEqual(JSON.parse(entryJson(e)), JSON.parse(JSON.stringify(e)));
    }
  });
});

describe("access log formats: $context variables", () => {
  test("a JSON format renders every variable and stays valid JSON with quotes, backslashes and newlines in values", () => {
    const format = compileLogFormat(AWS_JSON)!;
    const line = format(
      entry({ userAgent: 'evil "agent"\\\n{"x":1}', host: "api.example.com", protocol: "HTTP/1.0" }),
    );
    assert.doesNotMatch(line, /\n/);
    const parsed = JSON.parse(line);
    assert.equal(parsed.userAgent, 'evil "agent"\\\n{"x":1}');
    assert.equal(parsed.requestTime, "25/Nov/2026:14:18:33 +0000");
    assert.equal(parsed.requestTimeEpoch, String(Date.parse("2026-11-25T14:18:33.265Z")));
    assert.equal(parsed.path, "/dev/pets/7");
    assert.equal(parsed.apiKey, "k1"); // the key's id, never its value
    assert.equal(parsed.responseLatency, "2");
    assert.equal(parsed.integrationStatus, "-");
    assert.equal(parsed.canary, "false");
    assert.equal(parsed.principal, "-");
    assert.equal(parsed.domain, "api.example.com");
    assert.equal(parsed.protocol, "HTTP/1.0");
  });

  test("a CLF format; unknown variables and missing values render as -; error type maps to AWS's response types", () => {
    const format = compileLogFormat(
      '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.path $context.protocol" $context.status $context.responseLength $context.requestId $context.unknownThing $context.error.responseType.',
    )!;
    assert.equal(
      format(entry({ status: 429, errorType: "LimitExceededException", bytesOut: 32 })),
      '203.0.113.7 - - [25/Nov/2026:14:18:33 +0000] "GET /dev/pets/7 HTTP/1.1" 429 32 0b6f3c2e-9a1d-4c8e-b2f4-5d6e7f809a1b - QUOTA_EXCEEDED.',
    );
    assert.equal(compileLogFormat(""), undefined);
  });
});

describe("access log formats: checked by UpdateStage", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let apiId: string;
  before(() => {
    ({ t, apiId } = w);
  });

  test("every variable UpdateStage accepts is one the gateway renders, and the other way round", () => {
    assert.deepEqual([...ACCESS_LOG_VARIABLES].sort(), [...RENDERED_VARIABLES].sort());
  });

  test("a format with an unknown variable, or without the request id, is a 400 and changes nothing", async () => {
    const patch = (value: string) =>
      t.admin("PATCH", `/restapis/${apiId}/stages/dev`, {
        patchOperations: [{ op: "replace", path: "/accessLogSettings/format", value }],
      });
    const unknown = await patch('{"id":"$context.requestId","x":"$context.identity.caller"}');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /unknown variables \$context\.identity\.caller/);
    const noId = await patch('{"status":$context.status}');
    assert.equal(noId.status, 400);
    assert.match(noId.body.message, /must include \$context\.requestId/);
    const stage = await t.admin("GET", `/restapis/${apiId}/stages/dev`);
    assert.equal(stage.body.accessLogSettings, undefined);
    const ok = await patch("$context.extendedRequestId $context.status.");
    assert.equal(ok.status, 200);
    assert.equal(ok.body.accessLogSettings.format, "$context.extendedRequestId $context.status.");
  });
});

describe("access log: the stage's format on the gateway", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let dir: string;
  let apiId: string;
  let tenant: PlanWithKey;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-log-"));
    upstream = await startUpstream();
    t = await startTestTollgate({ accessLog: join(dir, "access.log") });
    apiId = await deployEchoApi(t, upstream.url);
    tenant = await planWithKey(t, apiId);
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [{ op: "replace", path: "/accessLogSettings/format", value: AWS_JSON }],
      }),
    );
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await t.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("each request is one line in the stage's format, escaped, with the key's id but not its value", async () => {
    const answered = await new Promise<{ requestId: string; status: number }>((resolve, reject) => {
      const req = request(
        `${t.tollgate.gatewayUrl}/dev/pets`,
        { headers: { "x-api-key": tenant.key, "user-agent": 'curl "7" \\ test' } },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ requestId: String(res.headers["x-amzn-requestid"]), status: res.statusCode ?? 0 }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${t.tollgate.gatewayUrl}/dev/pets`, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 300));
    const text = readFileSync(join(dir, "access.log"), "utf8");
    assert.ok(!text.includes(tenant.key), "the key's value is never logged");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const ok = lines.find((l) => l.requestId === answered.requestId);
    assert.ok(ok, text);
    assert.equal(ok.status, "200");
    assert.equal(ok.userAgent, 'curl "7" \\ test');
    assert.equal(ok.apiKey, tenant.keyId);
    assert.equal(ok.tenant, tenant.tenantId);
    assert.equal(ok.integrationStatus, "200");
    assert.equal(ok.canary, "false");
    assert.match(ok.trace, /^[0-9a-f]{32}$/);
    assert.equal(String(upstream.seen.at(-1)?.headers.traceparent).split("-")[1], ok.trace);
    const refused = lines.find((l) => l.status === "403");
    assert.equal(refused.responseType, "MISSING_AUTHENTICATION_TOKEN");
    assert.equal(refused.errorMessage, "Forbidden");
  });
});

describe("access log destinations", () => {
  test("a file rotates past its size bound and keeps the configured number of files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-rotate-"));
    try {
      const file = join(dir, "access.log");
      const log = AccessLog.open(file, { maxBytes: 4096, maxFiles: 2 })!;
      for (let i = 0; i < 20; i++) {
        for (let j = 0; j < 20; j++) log.write(entry({ requestId: `r-${i}-${j}` }));
        log.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
      await log.close();
      const files = readdirSync(dir).sort();
      assert.deepEqual(files, ["access.log", "access.log.1", "access.log.2"]);
      for (const f of files) assert.ok(statSync(join(dir, f)).size <= 4096 + 8192, `${f} is bounded`);
      // Oldest to newest, the kept files hold whole lines ending with the last one written.
      const kept = ["access.log.2", "access.log.1", "access.log"]
        .map((f) => readFileSync(join(dir, f), "utf8"))
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).requestId);
      assert.equal(kept.at(-1), "r-19-19");
      assert.ok(kept.length < 400, "older lines were rotated away");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an HTTP sink gets newline-delimited batches; while it is down lines wait in a bounded buffer, the overflow is dropped and counted", async () => {
    let up = true;
    const bodies: string[] = [];
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (!up) {
          res.writeHead(503).end();
          return;
        }
        assert.equal(req.headers["content-type"], "application/x-ndjson");
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/logs`;
    const registry = createMetricsRegistry();
    const log = AccessLog.open(url, { bufferBytes: 3000, registry })!;
    try {
      log.write(entry({ requestId: "first" }));
      log.flush();
      await waitFor(() => bodies.length === 1);
      assert.equal(JSON.parse(bodies[0]!.trim()).requestId, "first");

      up = false;
      // Ten batches of about 1.1 KB each while the sink answers 503: only the newest fit.
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 3; j++) log.write(entry({ requestId: `down-${i}-${j}` }));
        log.flush();
        await new Promise((r) => setTimeout(r, 10));
      }
      const dropped = parsePrometheusText(await registry.metrics()).sum(
        "tollgate_access_log_dropped_lines_total",
      );
      assert.ok(dropped >= 15, `dropped ${dropped}`);
      up = true;
      await log.close();
      const delivered = bodies
        .slice(1)
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).requestId);
      assert.equal(delivered.length + dropped, 30);
      // What survived is the newest, in order: the last lines written.
      const written = Array.from({ length: 30 }, (_, k) => `down-${Math.floor(k / 3)}-${k % 3}`);
      assert.deepEqual(delivered, written.slice(30 - delivered.length));
    } finally {
      server.close();
    }
  });
});

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
