import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type CachedAnswer,
  cacheBytesFor,
  MemoryCacheBackend,
  storableFor,
} from "../../src/gateway/response-cache.js";

const answer = (bytes: number, now = 0): CachedAnswer => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: Buffer.alloc(bytes, 0x61),
  storedAt: now,
  expiresAt: now + 60_000,
});

describe("response cache in memory: bounded in bytes per stage", () => {
  test("entries beyond the stage's byte bound evict the least recently used", () => {
    const cache = new MemoryCacheBackend();
    cache.retain(new Map([["api/dev@0", 6_000]]));
    for (const key of ["a", "b", "c", "d"]) cache.set("api/dev@0", key, answer(1_000));
    assert.ok(cache.get("api/dev@0", "a", 1)); // a is now the most recently used
    cache.set("api/dev@0", "e", answer(1_000));
    cache.set("api/dev@0", "f", answer(1_000));
    assert.ok(cache.size("api/dev@0") <= 6_000, `size ${cache.size("api/dev@0")}`);
    assert.equal(cache.get("api/dev@0", "b", 1), undefined);
    assert.equal(cache.get("api/dev@0", "c", 1), undefined);
    assert.ok(cache.get("api/dev@0", "a", 1));
    assert.ok(cache.get("api/dev@0", "f", 1));
    // An answer larger than the whole bound is not kept at all.
    cache.set("api/dev@0", "huge", answer(10_000));
    assert.equal(cache.get("api/dev@0", "huge", 1), undefined);
  });

  test("expired entries are misses; a flush (a new generation) or a new bound drops the old cache", () => {
    const cache = new MemoryCacheBackend();
    cache.retain(new Map([["api/dev@0", 100_000]]));
    cache.set("api/dev@0", "k", answer(10));
    assert.equal(cache.get("api/dev@0", "k", 60_000), undefined, "expired at its TTL");
    cache.set("api/dev@0", "k", answer(10, 100_000));
    cache.retain(new Map([["api/dev@5", 100_000]]));
    assert.equal(cache.get("api/dev@0", "k", 100_001), undefined);
    cache.set("api/dev@5", "k", answer(10, 100_000));
    cache.retain(new Map([["api/dev@5", 200_000]]));
    assert.equal(cache.get("api/dev@5", "k", 100_001), undefined);
  });

  test("cacheClusterSize is in GB and capped by the process's bound", () => {
    assert.equal(cacheBytesFor("0.5", 64 * 1024 ** 2), 64 * 1024 ** 2);
    assert.equal(cacheBytesFor("0.5", 1024 ** 4), 512 * 1024 ** 2);
    assert.equal(cacheBytesFor(undefined, 1024 ** 4), 512 * 1024 ** 2);
    assert.equal(cacheBytesFor("237", 1024 ** 4), 237 * 1024 ** 3);
  });

  test("what may be stored: 200s within 1 MiB without no-store, private, no-cache, Set-Cookie or Vary: *", () => {
    const ttl = 300_000;
    assert.equal(storableFor(200, {}, ttl), ttl);
    assert.equal(storableFor(404, {}, ttl), 0);
    assert.equal(storableFor(200, { "cache-control": "no-store" }, ttl), 0);
    assert.equal(storableFor(200, { "cache-control": "Private" }, ttl), 0);
    assert.equal(storableFor(200, { "cache-control": "no-cache" }, ttl), 0);
    assert.equal(storableFor(200, { "cache-control": "public, max-age=10" }, ttl), 10_000);
    assert.equal(storableFor(200, { "cache-control": "max-age=600, s-maxage=20" }, ttl), 20_000);
    assert.equal(storableFor(200, { "cache-control": "max-age=3600" }, ttl), ttl);
    assert.equal(storableFor(200, { "cache-control": "max-age=0" }, ttl), 0);
    assert.equal(storableFor(200, { "set-cookie": ["a=1"] }, ttl), 0);
    assert.equal(storableFor(200, { vary: "*" }, ttl), 0);
    assert.equal(storableFor(200, { "content-length": String(2 * 1024 * 1024) }, ttl), 0);
  });
});
