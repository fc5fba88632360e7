/**
 * The stage response cache, as API Gateway's: a stage with `cacheClusterEnabled` caches the
 * answers of the methods whose setting says `caching/enabled`, for `caching/ttlInSeconds`, keyed
 * by the method's resource (its `cacheNamespace`), the request method and the values of the
 * integration's `cacheKeyParameters`, and (Tollgate's default) the caller's tenant.
 *
 * Entries live in memory, in an LRU bounded in bytes per stage (embedded mode), or in Redis
 * (`TOLLGATE_REDIS_URL`), where gateway processes share them. A lookup comes after the limits:
 * a cached answer is counted against quotas and recorded exactly as a forwarded one.
 */

import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { Integration } from "../apis/index.js";
import type { SecretBox } from "../core/secrets.js";
import { headerValue } from "./authorizers.js";
import { type CheckedFields, type GatewayResponse, renderFields } from "./http-server.js";
import type { ProxyResult } from "./proxy.js";
import { HOP_BY_HOP, ProxyHandler } from "./proxy.js";
import type { CompiledPolicy } from "./resource-policy.js";
import { headerRecord, type ResponseHeaders } from "./response-parser.js";
import type { Refusal } from "./responses.js";
import type { Route } from "./router.js";

/** AWS's largest cacheable response, bytes. */
export const MAX_CACHED_BODY_BYTES = 1_048_576;
/** The per-stage memory bound when nothing else says (`TOLLGATE_CACHE_MAX_BYTES`). */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export type CacheControlStrategy =
  | "FAIL_WITH_403"
  | "SUCCEED_WITH_RESPONSE_HEADER"
  | "SUCCEED_WITHOUT_RESPONSE_HEADER";

/** A method's stage method settings, as far as caching goes. */
export interface CacheMethodSetting {
  cachingEnabled?: boolean;
  cacheTtlInSeconds?: number;
  requireAuthorizationForCacheControl?: boolean;
  unauthorizedCacheControlHeaderStrategy?: string;
  cacheDataEncrypted?: boolean;
}

type KeyPart =
  | { from: "query" | "multiquery"; name: string }
  | { from: "header" | "multiheader"; name: string }
  | { from: "path"; name: string }
  | { from: "apiKeyId" };

/** How one route is cached; compiled once per configuration load. */
export interface RouteCache {
  ttlMs: number;
  /** Request methods served from the cache (GET for an ANY method). */
  methods: ReadonlySet<string>;
  /** `cacheNamespace` (AWS: the resource id) or the resource path. */
  namespace: string;
  parts: KeyPart[];
  /** The key holds the caller's tenant (the default; `context.shared` turns it off). */
  perTenant: boolean;
  requireAuthorization: boolean;
  strategy: CacheControlStrategy;
  /** `caching/dataEncrypted`: sealed wherever the answer leaves the process (Redis). */
  encrypted: boolean;
}

/** What a request's key is made of. */
export interface CacheKeyInput {
  method: string;
  query: string;
  rawHeaders: string[];
  params: Record<string, string>;
  tenantId?: string;
  keyId?: string;
}

/** One cached answer. */
export interface CachedAnswer {
  status: number;
  /** Header fields as the upstream sent them, hop-by-hop and per-request fields left out. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Epoch ms. */
  storedAt: number;
  expiresAt: number;
}

/**
 * The caching settings of each route of a stage (`route.cache`), from the stage's method
 * settings: a method's own entry (`~1pets/GET`) wins; the stage-wide `*∕*` entry applies to GET
 * methods only, as on AWS. Routes without caching get nothing.
 */
export function compileRouteCache(
  route: Route,
  settings: ReadonlyMap<string, CacheMethodSetting>,
  fallback: CacheMethodSetting | undefined,
): RouteCache | undefined {
  const own = settings.get(`${route.resourcePath}/${route.httpMethod}`);
  const setting = own ?? (route.httpMethod === "GET" || route.httpMethod === "ANY" ? fallback : undefined);
  if (!setting?.cachingEnabled) return undefined;
  const ttl = setting.cacheTtlInSeconds ?? 300;
  if (!(ttl > 0)) return undefined;
  const integration = route.method.methodIntegration;
  if (!integration || integration.type === "MOCK") return undefined;
  const { parts, perTenant } = keyParts(integration);
  return {
    ttlMs: Math.min(ttl, 3600) * 1000,
    methods: new Set([route.httpMethod === "ANY" ? "GET" : route.httpMethod]),
    namespace: integration.cacheNamespace || route.resourcePath,
    parts,
    perTenant,
    requireAuthorization: setting.requireAuthorizationForCacheControl ?? true,
    strategy: strategyOf(setting.unauthorizedCacheControlHeaderStrategy),
    encrypted: setting.cacheDataEncrypted ?? false,
  };
}

function strategyOf(value: string | undefined): CacheControlStrategy {
  return value === "FAIL_WITH_403" || value === "SUCCEED_WITHOUT_RESPONSE_HEADER"
    ? value
    : "SUCCEED_WITH_RESPONSE_HEADER";
}

const PARAMETER = /^method\.request\.(querystring|multivaluequerystring|header|multivalueheader|path)\.(.+)$/;

/** `cacheKeyParameters` → key parts; unknown names are left out (AWS validates them on PutIntegration). */
function keyParts(integration: Integration): { parts: KeyPart[]; perTenant: boolean } {
  const parts: KeyPart[] = [];
  let perTenant = true;
  for (const name of integration.cacheKeyParameters ?? []) {
    if (name === "context.shared") perTenant = false;
    else if (name === "context.apiKeyId" || name === "context.identity.apiKeyId")
      parts.push({ from: "apiKeyId" });
    else if (name === "context.tenantId") perTenant = true;
    else {
      const m = PARAMETER.exec(name);
      if (!m) continue;
      const kind = m[1]!;
      if (kind === "querystring") parts.push({ from: "query", name: m[2]! });
      else if (kind === "multivaluequerystring") parts.push({ from: "multiquery", name: m[2]! });
      else if (kind === "header") parts.push({ from: "header", name: m[2]!.toLowerCase() });
      else if (kind === "multivalueheader") parts.push({ from: "multiheader", name: m[2]!.toLowerCase() });
      else parts.push({ from: "path", name: m[2]! });
    }
  }
  return { parts, perTenant };
}

/**
 * A request's cache key within its stage: namespace, method, tenant (unless shared) and each key
 * parameter's value, separated by characters no value can hold unescaped.
 */
export function cacheKey(cache: RouteCache, input: CacheKeyInput): string {
  let key = `${cache.namespace}\u0001${input.method}`;
  if (cache.perTenant) key += `\u0001t=${input.tenantId ?? ""}`;
  let query: URLSearchParams | undefined;
  for (const part of cache.parts) {
    let value: string | undefined;
    switch (part.from) {
      case "query":
        query ??= new URLSearchParams(input.query);
        value = query.get(part.name) ?? undefined;
        break;
      case "multiquery":
        query ??= new URLSearchParams(input.query);
        value = query.getAll(part.name).join("\u0002");
        break;
      case "header":
        value = headerValue(input.rawHeaders, part.name);
        break;
      case "multiheader":
        value = headerValues(input.rawHeaders, part.name).join("\u0002");
        break;
      case "path":
        value = input.params[part.name];
        break;
      case "apiKeyId":
        value = input.keyId;
        break;
    }
    key += `\u0001${value ?? ""}`;
  }
  return key;
}

function headerValues(raw: string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === lowerName.length && raw[i]!.toLowerCase() === lowerName) out.push(raw[i + 1]!);
  }
  return out;
}

/** The client asks for a fresh answer: `Cache-Control: max-age=0` (AWS's invalidation request). */
export function asksInvalidation(cacheControl: string): boolean {
  return /(?:^|[\s,])max-age\s*=\s*"?0+"?(?:$|[\s,;])/i.test(cacheControl);
}

/** FAIL_WITH_403's answer. */
export const INVALIDATION_FORBIDDEN: Refusal = {
  status: 403,
  type: "AccessDeniedException",
  message: "Forbidden: the caller may not invalidate the cache (execute-api:InvalidateCache)",
};

/** SUCCEED_WITH_RESPONSE_HEADER's header: the request was answered, its Cache-Control ignored. */
export const INVALIDATION_IGNORED_WARNING =
  '199 tollgate "Cache-Control max-age=0 ignored: the caller may not invalidate the cache"';

/**
 * How long an upstream answer may be kept, ms, within `ttlMs`; 0 when it must not be cached:
 * not a 200, `Cache-Control` no-store, private or no-cache (or max-age / s-maxage 0), a
 * Set-Cookie, `Vary: *`, or a body over 1 MiB.
 */
export function storableFor(
  status: number,
  headers: Record<string, string | string[]>,
  ttlMs: number,
): number {
  if (status !== 200) return 0;
  if (headers["set-cookie"] !== undefined) return 0;
  const vary = headers.vary;
  if (vary !== undefined && String(vary).trim() === "*") return 0;
  const length = headers["content-length"];
  if (length !== undefined && Number(length) > MAX_CACHED_BODY_BYTES) return 0;
  const control = headers["cache-control"];
  if (control === undefined) return ttlMs;
  const text = (Array.isArray(control) ? control.join(",") : control).toLowerCase();
  if (/(?:^|[\s,])(?:no-store|private|no-cache)(?:$|[\s,=;])/.test(text)) return 0;
  // s-maxage speaks to shared caches such as this one, and wins over max-age.
  const shared = /(?:^|[\s,])s-maxage\s*=\s*"?(\d+)/.exec(text);
  const max = shared ?? /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(text);
  return max ? Math.min(ttlMs, Number(max[1]) * 1000) : ttlMs;
}

/**
 * Writes a cached answer with the gateway's own headers for this request (`x-cache: Hit` among
 * them) and `Age`; returns the body bytes sent.
 */
export function sendCached(
  res: GatewayResponse,
  own: Record<string, string>,
  entry: CachedAnswer,
  now: number,
  head: boolean,
): number {
  const age = String(Math.max(0, Math.floor((now - entry.storedAt) / 1000)));
  const stored = storedHead(entry);
  if (stored !== null && !overlaps(own, stored.names))
    res.writeHead(entry.status, { ...own, age }, stored.fields);
  else {
    const out: Record<string, string | string[]> = { ...entry.headers };
    // The gateway's own fields (x-cache: Hit among them) win over the stored ones.
    for (const name in own) out[name] = own[name]!;
    out.age = age;
    res.writeHead(entry.status, out);
  }
  if (head) {
    res.end();
    return 0;
  }
  res.end(entry.body);
  return entry.body.length;
}

/** A cached answer's stored fields, checked and rendered once for all the hits on one entry. */
interface StoredHead {
  fields: CheckedFields;
  /** Their names in lower case, to tell whether the gateway's own fields would repeat one. */
  names: Set<string>;
}

/** null: the fields need writeHead's own rules (a framing, invalid or Age field), so every hit checks them. */
const storedHeads = new WeakMap<CachedAnswer, StoredHead | null>();

function storedHead(entry: CachedAnswer): StoredHead | null {
  let stored = storedHeads.get(entry);
  if (stored === undefined) {
    const names = new Set(Object.keys(entry.headers).map((name) => name.toLowerCase()));
    const fields = names.has("age") ? undefined : renderFields(entry.headers);
    stored = fields === undefined ? null : { fields, names };
    storedHeads.set(entry, stored);
  }
  return stored;
}

function overlaps(own: Record<string, string>, names: Set<string>): boolean {
  for (const name in own) if (names.has(name)) return true;
  return false;
}

/** The upstream fields a cached copy keeps: not hop-by-hop, not the gateway's per-request ones. */
function keptHeaders(
  headers: Record<string, string | string[]>,
  own: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || own[name] !== undefined || name === "x-cache" || name === "age") continue;
    out[name] = headers[name]!;
  }
  return out;
}

/**
 * A proxy handler that also keeps the answer for the cache: it streams as ProxyHandler does and,
 * when the answer is storable, collects the body (at most 1 MiB) and calls `store` at its end.
 */
export class CachingProxyHandler extends ProxyHandler {
  private keep = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private keptStatus = 0;
  private kept: Record<string, string | string[]> = {};

  constructor(
    res: GatewayResponse,
    private readonly ownHeaders: Record<string, string>,
    send: () => boolean,
    done: (result: ProxyResult) => void,
    private readonly ttlMs: number,
    private readonly store: (entry: Omit<CachedAnswer, "storedAt" | "expiresAt">, ttlMs: number) => void,
  ) {
    super(res, ownHeaders, send, done);
  }

  override onHead(status: number, headers: ResponseHeaders): void {
    const record = headerRecord(headers);
    this.keep = storableFor(status, record, this.ttlMs);
    if (this.keep > 0) {
      this.keptStatus = status;
      this.kept = keptHeaders(record, this.ownHeaders);
    }
    super.onHead(status, headers);
  }

  override onData(chunk: Buffer): boolean {
    if (this.keep > 0) {
      this.bytes += chunk.length;
      if (this.bytes > MAX_CACHED_BODY_BYTES) {
        this.keep = 0;
        this.chunks = [];
      } else this.chunks.push(chunk);
    }
    return super.onData(chunk);
  }

  override onEnd(): void {
    super.onEnd();
    if (this.keep > 0) {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [];
      this.store({ status: this.keptStatus, headers: this.kept, body }, this.keep);
    }
  }
}

/**
 * Where cached answers live. `stage` names one stage's cache, generation included (a flush
 * starts a new generation, so what an older one stored is never read again).
 */
export interface CacheBackend {
  get(stage: string, key: string, now: number): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  /** Stores an answer; `encrypted` seals it where it leaves the process. */
  set(stage: string, key: string, entry: CachedAnswer, encrypted?: boolean): void;
  /** The stage caches the configuration uses, with their byte bounds; others are dropped. */
  retain(stages: ReadonlyMap<string, number>): void;
  close(): Promise<void>;
}

/** Entry overhead beyond body and headers, bytes (the LRU's bookkeeping, the object). */
const ENTRY_OVERHEAD = 256;

/**
 * In-process caches: one LRU per stage, bounded in bytes (body, headers, key). Answers never
 * leave the process, so `dataEncrypted` changes nothing here.
 */
export class MemoryCacheBackend implements CacheBackend {
  private readonly stages = new Map<string, { maxBytes: number; lru: LRUCache<string, CachedAnswer> }>();

  get(stage: string, key: string, now: number): CachedAnswer | undefined {
    const lru = this.stages.get(stage)?.lru;
    const entry = lru?.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      lru!.delete(key);
      return undefined;
    }
    return entry;
  }

  set(stage: string, key: string, entry: CachedAnswer): void {
    this.stages.get(stage)?.lru.set(key, entry);
  }

  retain(stages: ReadonlyMap<string, number>): void {
    for (const [name, cache] of this.stages) {
      if (stages.get(name) !== cache.maxBytes) this.stages.delete(name);
    }
    for (const [name, maxBytes] of stages) {
      if (this.stages.has(name)) continue;
      const lru = new LRUCache<string, CachedAnswer>({
        maxSize: maxBytes,
        sizeCalculation: (entry, key) => entrySize(entry, key),
      });
      this.stages.set(name, { maxBytes, lru });
    }
  }

  /** Bytes held by a stage's cache (tests and metrics). */
  size(stage: string): number {
    return this.stages.get(stage)?.lru.calculatedSize ?? 0;
  }

  async close(): Promise<void> {
    this.stages.clear();
  }
}

function entrySize(entry: CachedAnswer, key: string): number {
  let size = ENTRY_OVERHEAD + entry.body.length + key.length * 2;
  for (const name in entry.headers) size += name.length + String(entry.headers[name]).length;
  return Math.max(1, size);
}

/**
 * Caches in Redis, shared by every gateway process on it: one GET per lookup (the one extra
 * round trip of a cached method), one `SET ... PX ttl` after a miss, not waited for. A Redis
 * that does not answer is a miss: the request is forwarded, never refused for the cache's sake.
 * Memory is Redis's to bound (`maxmemory` with an LRU policy); entries expire by their TTL.
 * Methods with `dataEncrypted` store their answers sealed (AES-256-GCM under the server secret).
 */
export class RedisCacheBackend implements CacheBackend {
  readonly client: Redis;
  /** Lookups that failed (Redis down or slow); they were answered as misses. */
  errors = 0;

  constructor(
    url: string,
    options: { commandTimeoutMs?: number; keyPrefix?: string; secrets?: SecretBox } = {},
    private readonly prefix = options.keyPrefix ?? "tollgate:c:",
    private readonly secrets = options.secrets,
  ) {
    this.client = new Redis(url, {
      commandTimeout: options.commandTimeoutMs ?? 1000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
      // Connected once some stage caches (see retain), not by every process that has Redis.
      lazyConnect: true,
    });
    this.client.on("error", () => {});
  }

  get(stage: string, key: string, now: number): Promise<CachedAnswer | undefined> {
    return this.client.getBuffer(`${this.prefix}${stage}:${key}`).then(
      (value) => {
        if (value === null) return undefined;
        const entry = decode(value[0] === SEALED ? this.open(value) : value);
        return entry && entry.expiresAt > now ? entry : undefined;
      },
      () => {
        this.errors++;
        return undefined;
      },
    );
  }

  set(stage: string, key: string, entry: CachedAnswer, encrypted = false): void {
    const ttl = entry.expiresAt - entry.storedAt;
    if (ttl <= 0) return;
    let value = encode(entry);
    if (encrypted) {
      // Without the server secret there is no sealing: not stored rather than stored in clear.
      if (!this.secrets) return;
      value = Buffer.concat([Buffer.of(SEALED), this.secrets.sealBytes(value)]);
    }
    this.client.set(`${this.prefix}${stage}:${key}`, value, "PX", ttl).catch(() => {
      this.errors++;
    });
  }

  retain(stages: ReadonlyMap<string, number>): void {
    if (stages.size > 0 && this.client.status === "wait") this.client.connect().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.client.status === "wait") return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /** A sealed entry's plain encoding; an empty buffer (a miss) when it cannot be opened. */
  private open(value: Buffer): Buffer {
    try {
      return this.secrets!.openBytes(value.subarray(1));
    } catch {
      return Buffer.alloc(0);
    }
  }
}

/**
 * A sealed entry's first byte. A plain one starts with its head length's high byte, which is 0
 * for any head under 16 MiB.
 */
const SEALED = 0x01;

/** `[u32 length of the head][head JSON][body]`. */
function encode(entry: CachedAnswer): Buffer {
  const head = Buffer.from(
    JSON.stringify({ s: entry.status, h: entry.headers, t: entry.storedAt, e: entry.expiresAt }),
  );
  const out = Buffer.allocUnsafe(4 + head.length + entry.body.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  entry.body.copy(out, 4 + head.length);
  return out;
}

function decode(value: Buffer): CachedAnswer | undefined {
  try {
    const length = value.readUInt32BE(0);
    const head = JSON.parse(value.subarray(4, 4 + length).toString()) as {
      s: number;
      h: Record<string, string | string[]>;
      t: number;
      e: number;
    };
    return {
      status: head.s,
      headers: head.h,
      storedAt: head.t,
      expiresAt: head.e,
      body: value.subarray(4 + length),
    };
  } catch {
    return undefined;
  }
}

/** `cacheClusterSize` (GB, AWS's sizes) in bytes, capped by the process's bound. */
export function cacheBytesFor(cacheClusterSize: string | undefined, maxBytes: number): number {
  const gb = Number(cacheClusterSize ?? "0.5");
  const bytes = Number.isFinite(gb) && gb > 0 ? Math.floor(gb * 1024 ** 3) : 512 * 1024 ** 2;
  return Math.min(bytes, maxBytes);
}

/** What the invalidation policies are evaluated against (the request's resource and caller). */
export interface InvalidationSubject {
  resource: string;
  ip: string;
  tenantId?: string;
  keyId?: string;
  principalId?: string;
  accountId?: string;
}

/**
 * Whether the caller may invalidate the cache (`requireAuthorizationForCacheControl`): AWS
 * wants an IAM policy allowing `execute-api:InvalidateCache`; Tollgate's callers have no IAM
 * identity, so the API's resource policy (a statement allowing the action for the caller's
 * tenant, key, principal or address) or the authorizer's policy must allow it, and an explicit
 * deny in either wins.
 */
export function mayInvalidate(
  resourcePolicy: CompiledPolicy | undefined,
  authorizerPolicy: CompiledPolicy | undefined,
  subject: InvalidationSubject,
): boolean {
  const a = resourcePolicy?.evaluateInvalidation(subject) ?? "implicit-deny";
  const b = authorizerPolicy?.evaluateInvalidation(subject) ?? "implicit-deny";
  if (a === "deny" || b === "deny") return false;
  return a === "allow" || b === "allow";
}
