import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  call,
  echoApiWorld,
  gatewayCaughtUp,
  type PlanWithKey,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import type { TestTollgate } from "../helpers/tollgate.js";
import type { Upstream } from "../helpers/upstream.js";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

describe("gateway: W3C trace context to the upstream", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let upstream: Upstream;
  let tenant: PlanWithKey;

  before(async () => {
    ({ t, upstream } = w);
    tenant = await planWithKey(t, w.apiId);
    await gatewayCaughtUp(t);
  });

  test("a client's trace continues: same trace id and flags, a new parent id (the gateway's hop), tracestate unchanged", async () => {
    const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const r = await call(t, "/dev/pets", {
      key: tenant.key,
      headers: { traceparent: incoming, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" },
    });
    assert.equal(r.status, 200);
    const seen = r.body.headers;
    const m = TRACEPARENT.exec(seen.traceparent);
    assert.ok(m, seen.traceparent);
    assert.equal(m[1], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.notEqual(m[2], "00f067aa0ba902b7");
    assert.equal(m[3], "01");
    assert.equal(seen.tracestate, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    // One traceparent only: the client's copy is replaced, not forwarded beside the gateway's.
    assert.equal(upstream.seen.at(-1)?.headers.traceparent, seen.traceparent);
  });

  test("without a traceparent, the gateway starts a trace whose id is the request id; each hop gets a new span id", async () => {
    const a = await call(t, "/dev/pets", { key: tenant.key });
    const b = await call(t, "/dev/pets", { key: tenant.key });
    const ma = TRACEPARENT.exec(a.body.headers.traceparent)!;
    const mb = TRACEPARENT.exec(b.body.headers.traceparent)!;
    assert.equal(ma[1], a.headers.get("x-amzn-requestid")!.replace(/-/g, ""));
    assert.notEqual(ma[1], mb[1]);
    assert.notEqual(ma[2], mb[2]);
    assert.notEqual(ma[2], "0000000000000000");
    assert.equal(ma[3], "01");
  });

  test("an invalid traceparent (bad length, all-zero ids, version ff) is replaced by a new trace", async () => {
    for (const bad of [
      "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ]) {
      const r = await call(t, "/dev/pets", { key: tenant.key, headers: { traceparent: bad } });
      const m = TRACEPARENT.exec(r.body.headers.traceparent);
      assert.ok(m, bad);
      assert.equal(m[1], r.headers.get("x-amzn-requestid")!.replace(/-/g, ""), bad);
    }
    // A later version's extra fields are allowed; the gateway sends version 00.
    const future = await call(t, "/dev/pets", {
      key: tenant.key,
      headers: { traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra" },
    });
    assert.equal(TRACEPARENT.exec(future.body.headers.traceparent)?.[1], "4bf92f3577b34da6a3ce929d0e0e4736");
  });
});
