import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  InProcessEngine,
  quotaPeriod,
  rateLimitHeaders,
  type TakeRequest,
} from "../../src/counters/index.js";

const NOW = Date.UTC(2024, 2, 10, 10, 0, 0);
const day = quotaPeriod(NOW, "DAY", 0);

/** A request on a fresh engine after `before` earlier takes at the same instant. */
function after(before: number, request: TakeRequest) {
  const engine = new InProcessEngine();
  for (let i = 0; i < before; i++) engine.take(request);
  return engine.take(request);
}

describe("rateLimitHeaders (draft-ietf-httpapi-ratelimit-headers-11)", () => {
  const plan = { id: "key1/plan1", rate: 10, burst: 20 };

  test("an admitted request gets both policies and both limits, and no Retry-After", () => {
    const request = { buckets: [plan], quota: { id: "q", limit: 1000, ...day }, now: NOW };
    const headers = rateLimitHeaders(after(4, request), request);
    assert.deepEqual(headers, {
      retryAfter: undefined,
      rateLimitPolicy: '"throttle";q=20;w=2, "quota";q=1000;w=86400',
      // 15 tokens left, 100 ms to the next; 995 requests left, 14 h to midnight UTC.
      rateLimit: '"throttle";r=15;t=1, "quota";r=995;t=50400',
    });
  });

  test("a throttled request gets Retry-After equal to the throttle's effective window", () => {
    const slow = { id: "slow", rate: 0.5, burst: 1 };
    const request = { buckets: [slow], now: NOW };
    const headers = rateLimitHeaders(after(1, request), request);
    assert.deepEqual(headers, {
      retryAfter: "2",
      rateLimitPolicy: '"throttle";q=1;w=2',
      rateLimit: '"throttle";r=0;t=2',
    });
  });

  test("Retry-After rounds up and is at least one second", () => {
    const request = { buckets: [plan], now: NOW };
    const headers = rateLimitHeaders(after(20, request), request);
    assert.equal(headers.retryAfter, "1");
  });

  test("a spent quota gets Retry-After at the period end, however far", () => {
    const month = quotaPeriod(NOW, "MONTH", 0);
    const request = { buckets: [plan], quota: { id: "q", limit: 3, ...month }, now: NOW };
    const headers = rateLimitHeaders(after(3, request), request);
    const toEnd = String((month.end - NOW) / 1000);
    assert.equal(headers.retryAfter, toEnd);
    assert.equal(headers.rateLimitPolicy, `"throttle";q=20;w=2, "quota";q=3;w=${31 * 86400}`);
    assert.equal(headers.rateLimit, `"throttle";r=17;t=1, "quota";r=0;t=${toEnd}`);
  });

  test("the policy names are fixed, so no internal bucket or quota id is disclosed", () => {
    const request = { buckets: [plan], quota: { id: "tenant-secret", limit: 5, ...day }, now: NOW };
    const headers = rateLimitHeaders(after(0, request), request);
    assert.doesNotMatch(`${headers.rateLimit} ${headers.rateLimitPolicy}`, /key1|plan1|tenant-secret/);
  });

  test("an unavailable denial carries only Retry-After", () => {
    const request = { buckets: [plan], now: NOW };
    const headers = rateLimitHeaders({ admitted: false, reason: "unavailable", retryAfterMs: 1500 }, request);
    assert.deepEqual(headers, { retryAfter: "2" });
  });

  test("a request without limits gets no RateLimit fields", () => {
    const request = { buckets: [], now: NOW };
    assert.deepEqual(rateLimitHeaders(after(0, request), request), { retryAfter: undefined });
  });
});
