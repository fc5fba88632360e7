import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { type Authorizer, providerIssuer } from "../apis/index.js";
import type { Clock } from "../core/clock.js";
import {
  type AuthOutcome,
  type AuthorizerCheck,
  type AuthorizerTrace,
  identityHeaderLines,
  type KeySets,
} from "./authorizers.js";
import { type Refusal, UNAUTHORIZED } from "./responses.js";

// Errors of the token itself; anything else (keys unreachable) is the authorizer's failure.
const TOKEN_ERRORS = new Set([
  "ERR_JWT_EXPIRED",
  "ERR_JWT_CLAIM_VALIDATION_FAILED",
  "ERR_JWT_INVALID",
  "ERR_JWS_INVALID",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
]);

/** The algorithms accepted: asymmetric only, so no shared secret can be guessed or confused. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * A JWT authorizer (JWT, or COGNITO_USER_POOLS): verifies the token's signature against the
 * issuer's keys (a JWKS URL, fetched once and cached by jose, refetched for an unknown `kid`; or
 * static keys), its `iss`, its audience, and its `exp`/`nbf` against the gateway's clock.
 */
export class JwtAuthorizer implements AuthorizerCheck {
  private readonly issuers: string[];
  private readonly audience?: Set<string>;
  private readonly keys: JWTVerifyGetKey;
  private readonly tenantClaim?: string;

  constructor(
    private readonly definition: Authorizer,
    private readonly clock: Clock,
    keySets: KeySets,
  ) {
    const config = definition.jwtConfiguration ?? {};
    this.issuers = config.issuer
      ? [config.issuer]
      : (definition.providerARNs ?? []).map((p) => providerIssuer(p)!).filter(Boolean);
    this.audience = config.audience?.length ? new Set(config.audience) : undefined;
    this.tenantClaim = config.tenantClaim;
    if (config.jwks) this.keys = createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0]);
    else {
      const url = config.jwksUri ?? `${this.issuers[0]!.replace(/\/+$/, "")}/.well-known/jwks.json`;
      let keys = keySets.get(url);
      if (!keys) {
        keys = createRemoteJWKSet(new URL(url), {
          timeoutDuration: 5000,
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
        });
        keySets.set(url, keys);
      }
      this.keys = keys;
    }
  }

  async check(_request: unknown, values: string[], trace?: AuthorizerTrace): Promise<AuthOutcome> {
    const raw = values[0]!;
    const token = /^bearer\s+/i.test(raw) ? raw.replace(/^bearer\s+/i, "") : raw;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuers,
        algorithms: ALGORITHMS,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && TOKEN_ERRORS.has(code)) return UNAUTHORIZED;
      return keysUnavailable(this.definition, error as Error);
    }
    if (this.audience && !this.audienceMatches(payload)) return UNAUTHORIZED;
    if (trace) trace.claims = payload;
    const principalId = typeof payload.sub === "string" ? payload.sub : "";
    const tenant = this.tenantClaim ? payload[this.tenantClaim] : undefined;
    return {
      principalId,
      tenantId: typeof tenant === "string" && tenant ? tenant : undefined,
      scopes: scopesOf(payload),
      headerLines: identityHeaderLines(principalId),
      expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : undefined,
    };
  }

  /** `aud` (a string or a list), or Cognito access tokens' `client_id`. */
  private audienceMatches(payload: JWTPayload): boolean {
    const aud = payload.aud;
    const list = Array.isArray(aud) ? aud : typeof aud === "string" ? [aud] : [];
    if (list.some((a) => this.audience!.has(a))) return true;
    return (
      aud === undefined && typeof payload.client_id === "string" && this.audience!.has(payload.client_id)
    );
  }
}

function scopesOf(payload: JWTPayload): ReadonlySet<string> | undefined {
  if (typeof payload.scope === "string") return new Set(payload.scope.split(" ").filter(Boolean));
  if (Array.isArray(payload.scp)) return new Set(payload.scp.map(String));
  return undefined;
}

function keysUnavailable(definition: Authorizer, error: Error): Refusal {
  return {
    status: 500,
    type: "AuthorizerConfigurationException",
    message: `Authorizer '${definition.name}' could not get the issuer's signing keys (${error.message})`,
  };
}
