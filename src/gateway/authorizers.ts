/**
 * Authorizers at run time: what identifies a caller (the identity source), the answer cache keyed
 * by it (`authorizerResultTtlInSeconds`), and the registry that keeps each authorizer, with its
 * cache and key set, across configuration reloads for as long as its definition is unchanged.
 */

import type { JWTVerifyGetKey } from "jose";
import type { Authorizer, IdentitySourcePart } from "../apis/index.js";
import { parseIdentitySource } from "../apis/index.js";
import type { Clock } from "../core/clock.js";
import { HttpAuthorizer } from "./http-authorizer.js";
import { JwtAuthorizer } from "./jwt-authorizer.js";
import type { CompiledPolicy } from "./resource-policy.js";
import { type Refusal, UNAUTHORIZED } from "./responses.js";

/** What an authorizer sees of a request. */
export interface AuthorizeRequest {
  rawHeaders: string[];
  /** The query string with its `?`, or "". */
  query: string;
  method: string;
  /** The path below the stage. */
  path: string;
  /** `{apiId}/{stage}/{METHOD}{path}`, as the method ARN ends. */
  resource: string;
  restApiId: string;
  stageName: string;
  stageVariables: Record<string, string>;
  resourcePath: string;
  pathParameters: Record<string, string>;
  ip: string;
  requestId: string;
}

/** Who an authorizer says the caller is. Cached answers are shared by every request they fit. */
export interface Identity {
  principalId: string;
  /** The tenant, from a JWT authorizer's tenant claim (or an AWS_IAM caller's key pair). */
  tenantId?: string;
  /** An AWS_IAM caller's AWS account (its tenant's), for resource policies naming accounts. */
  accountId?: string;
  /** The API key value an HTTP authorizer returned (`usageIdentifierKey`). */
  usageIdentifierKey?: string;
  /** Its lookup hash, computed once per cached answer. */
  usageKeyHash?: string;
  /** The policy an HTTP authorizer returned, evaluated against each request's resource. */
  policy?: CompiledPolicy;
  /** Scopes a JWT grants (`scope` / `scp`), for methods with authorizationScopes. */
  scopes?: ReadonlySet<string>;
  /** Header lines for the upstream (`x-tollgate-principal-id`, the authorizer's context). */
  headerLines: string;
  /** Epoch ms after which the answer must not be reused (a JWT's `exp`). */
  expiresAt?: number;
}

export type AuthOutcome = Identity | Refusal;

export function isRefusal(outcome: AuthOutcome): outcome is Refusal {
  return (outcome as Refusal).status !== undefined;
}

/** An authorizer that threw (a fault, not an answer): 500, its cause in the message. */
export function authorizerFailure(error: unknown): Refusal {
  return {
    status: 500,
    type: "AuthorizerConfigurationException",
    message: `The authorizer failed: ${(error as Error)?.message ?? String(error)}`,
  };
}

/** What a check saw, filled in only when asked (TestInvokeAuthorizer); the gateway passes none. */
export interface AuthorizerTrace {
  /** The HTTP status the authorizer endpoint answered. */
  status?: number;
  /** The endpoint's answer, parsed. */
  answer?: Record<string, unknown>;
  /** The claims of a JWT that was accepted. */
  claims?: Record<string, unknown>;
}

/** One kind of check: it gets the identity source values (empty only for a REQUEST authorizer without sources) and answers. */
export interface AuthorizerCheck {
  check(request: AuthorizeRequest, values: string[], trace?: AuthorizerTrace): Promise<AuthOutcome>;
}

/** The check for a definition: an HTTP call (TOKEN, REQUEST) or a JWT verification. */
export function authorizerCheck(definition: Authorizer, clock: Clock, keySets: KeySets): AuthorizerCheck {
  return definition.type === "TOKEN" || definition.type === "REQUEST"
    ? new HttpAuthorizer(definition)
    : new JwtAuthorizer(definition, clock, keySets);
}

export interface AuthorizerDeps {
  clock: Clock;
}

/** Remote key sets shared by the authorizers that name the same JWKS URL (one fetch, one cache). */
export type KeySets = Map<string, JWTVerifyGetKey>;

const MAX_CACHED = 10_000;

/**
 * An authorizer with its answer cache. `authorize` answers from the cache without a promise
 * when it can; concurrent misses for the same identity share one call.
 */
export class RuntimeAuthorizer {
  private readonly sources: IdentitySourcePart[];
  private readonly validation?: RegExp;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, { outcome: AuthOutcome; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<AuthOutcome>>();

  constructor(
    readonly definition: Authorizer,
    private readonly inner: AuthorizerCheck,
    private readonly clock: Clock,
  ) {
    this.sources = definition.identitySource ? parseIdentitySource(definition.identitySource) : [];
    this.validation = definition.identityValidationExpression
      ? new RegExp(definition.identityValidationExpression)
      : undefined;
    this.ttlMs = (definition.authorizerResultTtlInSeconds ?? 300) * 1000;
  }

  authorize(request: AuthorizeRequest): AuthOutcome | Promise<AuthOutcome> {
    // A REQUEST authorizer without identity sources (AWS allows one when caching is off) is always asked.
    if (this.sources.length === 0) return this.inner.check(request, []);
    const values = this.identityValues(request);
    if (!values) return UNAUTHORIZED;
    if (this.validation && !this.validation.test(values[0]!)) return UNAUTHORIZED;
    if (this.ttlMs === 0) return this.inner.check(request, values);
    const key = values.length === 1 ? values[0]! : values.join("\u0000");
    const now = this.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > now) return hit.outcome;
    const running = this.pending.get(key);
    if (running) return running;
    const call = this.inner.check(request, values).then(
      (outcome) => {
        this.pending.delete(key);
        // Only answers are cached: a 401 or an authorizer failure is asked again next time.
        const cacheable = !isRefusal(outcome) || outcome.status === 403;
        if (cacheable) {
          const expiresAt = Math.min(
            now + this.ttlMs,
            (outcome as Identity).expiresAt ?? Number.POSITIVE_INFINITY,
          );
          if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
          this.cache.delete(key);
          this.cache.set(key, { outcome, expiresAt });
        }
        return outcome;
      },
      (error) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, call);
    return call;
  }

  /** Forgets every cached answer (FlushStageAuthorizersCache). */
  clear(): void {
    this.cache.clear();
  }

  /** The identity source values in order, or undefined when one is missing or empty. */
  private identityValues(request: AuthorizeRequest): string[] | undefined {
    const out: string[] = [];
    for (const source of this.sources) {
      const value =
        source.in === "header"
          ? headerValue(request.rawHeaders, source.name)
          : source.in === "querystring"
            ? queryValue(request.query, source.name)
            : request.stageVariables[source.name];
      if (value === undefined || value === "") return undefined;
      out.push(value);
    }
    return out.length ? out : undefined;
  }
}

/** The first value of a header, by lower-case name, from the raw list. */
export function headerValue(raw: string[], lowerName: string): string | undefined {
  const n = lowerName.length;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === n && name.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

/** The first value of a query parameter, from `?a=1&b=2`. */
export function queryValue(query: string, name: string): string | undefined {
  if (!query) return undefined;
  return new URLSearchParams(query).get(name) ?? undefined;
}

/**
 * Builds authorizers from their definitions and keeps each one (its cache, its fetched keys)
 * across reloads while its definition is unchanged.
 */
export class AuthorizerRegistry {
  private live = new Map<string, RuntimeAuthorizer>();
  private next = new Map<string, RuntimeAuthorizer>();
  private readonly keySets: KeySets = new Map();
  private readonly flushed = new Map<string, number>();

  constructor(private readonly deps: AuthorizerDeps) {}

  /** The authorizer for a definition of an API (call between `begin` and `commit`). */
  get(restApiId: string, definition: Authorizer): RuntimeAuthorizer {
    const key = `${restApiId}:${JSON.stringify(definition)}`;
    let authorizer = this.next.get(key) ?? this.live.get(key);
    if (!authorizer) {
      const inner = authorizerCheck(definition, this.deps.clock, this.keySets);
      authorizer = new RuntimeAuthorizer(definition, inner, this.deps.clock);
    }
    this.next.set(key, authorizer);
    return authorizer;
  }

  /**
   * Empties the answer caches of an API's authorizers, once per FlushStageAuthorizersCache
   * (`stamp`, epoch ms, moves on each flush).
   */
  flush(restApiId: string, stamp: number): void {
    if ((this.flushed.get(restApiId) ?? 0) >= stamp) return;
    this.flushed.set(restApiId, stamp);
    const prefix = `${restApiId}:`;
    for (const map of [this.live, this.next])
      for (const [key, authorizer] of map) if (key.startsWith(prefix)) authorizer.clear();
  }

  /** Starts a configuration build. */
  begin(): void {
    this.next = new Map();
  }

  /** Ends it: authorizers the new configuration does not use are dropped. */
  commit(): void {
    this.live = this.next;
    this.next = new Map();
  }
}

/** Header lines telling the upstream who the authorizer says is calling. */
export function identityHeaderLines(principalId: string, context?: Record<string, unknown>): string {
  let lines =
    principalId && SAFE_VALUE.test(principalId) ? `x-tollgate-principal-id: ${principalId}\r\n` : "";
  for (const [key, value] of Object.entries(context ?? {})) {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
    const name = key.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    const text = String(value);
    if (name && SAFE_VALUE.test(text)) lines += `x-tollgate-authorizer-${name}: ${text}\r\n`;
  }
  return lines;
}

// Printable latin1 without CR/LF: what a header value may carry.
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
