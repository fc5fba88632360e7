import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { createMetricsRegistry } from "../../src/core/metrics.js";
import { GatewayMetrics } from "../../src/gateway/index.js";
import {
  call,
  echoApiWorld,
  gatewayCaughtUp,
  type PlanWithKey,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { parsePrometheusText, type Scrape } from "../helpers/prometheus.js";
import type { TestTollgate } from "../helpers/tollgate.js";

async function scrape(t: TestTollgate): Promise<Scrape> {
  const response = await fetch(`${t.tollgate.adminUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

describe("gateway: Prometheus metrics on the admin port", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let apiId: string;
  let tenant: PlanWithKey;

  before(async () => {
    ({ t, apiId } = w);
    tenant = await planWithKey(t, apiId, { quota: { limit: 3, period: "DAY", offset: 0 } });
    await gatewayCaughtUp(t);
  });

  test("requests, rejections and latencies are counted by API, stage, resource, method, status class, tenant and plan", async () => {
    for (let i = 0; i < 4; i++) await call(t, "/dev/pets", { key: tenant.key }); // 3 admitted, 1 over quota
    await call(t, "/dev/pets"); // no key
    await call(t, "/dev/unicorns", { key: tenant.key }); // no route

    const m = await scrape(t);
    const base = { api: apiId, stage: "dev" };
    assert.equal(
      m.sum("tollgate_gateway_requests_total", {
        ...base,
        resource: "/pets",
        method: "GET",
        status_class: "2xx",
        tenant: tenant.tenantId,
        plan: tenant.planId,
        release: "base",
      }),
      3,
    );
    assert.equal(
      m.sum("tollgate_gateway_requests_total", { ...base, status_class: "4xx", tenant: tenant.tenantId }),
      1,
    );
    assert.equal(m.sum("tollgate_gateway_rejected_total", { ...base, reason: "quota" }), 1);
    assert.equal(m.sum("tollgate_gateway_rejected_total", { ...base, reason: "forbidden" }), 1);
    assert.equal(m.sum("tollgate_gateway_rejected_total", { ...base, reason: "not_found" }), 1);
    assert.equal(m.types.get("tollgate_gateway_request_duration_seconds"), "histogram");
    assert.equal(m.sum("tollgate_gateway_request_duration_seconds_count", base), 6);
    assert.equal(m.sum("tollgate_gateway_request_duration_seconds_bucket", { ...base, le: "+Inf" }), 6);
    // Only the three admitted requests reached the upstream.
    assert.equal(m.sum("tollgate_gateway_upstream_duration_seconds_count", base), 3);
    assert.equal(m.types.get("tollgate_counter_engine_errors_total"), "counter");
    assert.ok(m.sum("tollgate_process_cpu_seconds_total") > 0);
  });

  test("/metrics, /health and /ready need no credentials; the operations still do", async () => {
    assert.equal((await fetch(`${t.tollgate.adminUrl}/health`)).status, 200);
    const ready = await fetch(`${t.tollgate.adminUrl}/ready`);
    assert.deepEqual([ready.status, await ready.json()], [200, { status: "ready" }]);
    assert.equal((await t.admin("GET", "/restapis", undefined, { auth: false })).status, 403);
  });
});

describe("gateway metrics: bounded label values", () => {
  test("beyond maxTenants distinct tenants, further ones are counted as _other", async () => {
    const registry = createMetricsRegistry();
    const metrics = new GatewayMetrics(registry, { maxTenants: 2 });
    for (const tenantId of ["a", "b", "c", "d", "a"]) {
      metrics.observe({
        requestId: "r",
        time: "",
        ip: "",
        method: "GET",
        path: "/",
        apiId: "api",
        stage: "dev",
        resourcePath: "/",
        tenantId,
        status: 200,
        latencyMs: 1,
        bytesIn: 0,
        bytesOut: 0,
      });
    }
    const samples = parsePrometheusText(await registry.metrics()).samples.filter(
      (s) => s.name === "tollgate_gateway_requests_total",
    );
    assert.deepEqual(Object.fromEntries(samples.map((s) => [s.labels.tenant, s.value])), {
      a: 2,
      b: 1,
      _other: 2,
    });
  });
});
