import type { AuthParameters, ConnectionParameter } from "../connections.js";
import type { HttpSender } from "./http.js";

interface CachedToken {
  token: string;
  version: number;
  expiresAt: number;
}

/** Why a token could not be had: `retryable` for network errors, 429 and 5xx of the token endpoint. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Refresh a little before the token's end, so no delivery carries one that expires in flight. */
const EARLY_MS = 30_000;
/** Lifetime assumed when the endpoint gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;

/**
 * OAuth client credentials for connections: the token is fetched from the authorization
 * endpoint (client id and secret as HTTP Basic, the OAuth HTTP parameters added, the body
 * form-encoded with `grant_type=client_credentials` unless given), cached per connection
 * version until shortly before `expires_in`, and dropped when a destination answers 401.
 */
export class OAuthTokens {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly http: HttpSender,
    private readonly now: () => number,
  ) {}

  async token(key: string, version: number, auth: AuthParameters): Promise<string> {
    const cached = this.cache.get(key);
    if (cached && cached.version === version && cached.expiresAt > this.now()) return cached.token;
    let running = this.pending.get(key);
    if (!running) {
      running = this.fetch(key, version, auth).finally(() => this.pending.delete(key));
      this.pending.set(key, running);
    }
    return running;
  }

  invalidate(key: string): void {
    this.cache.delete(key);
  }

  private async fetch(key: string, version: number, auth: AuthParameters): Promise<string> {
    const oauth = auth.OAuthParameters!;
    const client = oauth.ClientParameters!;
    const extra = oauth.OAuthHttpParameters ?? {};
    const url = new URL(oauth.AuthorizationEndpoint!);
    for (const p of extra.QueryStringParameters ?? []) url.searchParams.set(p.Key, p.Value);
    const form = new URLSearchParams();
    const body = extra.BodyParameters ?? [];
    if (!body.some((p: ConnectionParameter) => p.Key === "grant_type"))
      form.set("grant_type", "client_credentials");
    for (const p of body) form.set(p.Key, p.Value);
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${client.ClientID}:${client.ClientSecret}`).toString("base64")}`,
      accept: "application/json",
    };
    for (const p of extra.HeaderParameters ?? []) headers[p.Key.toLowerCase()] = p.Value;
    const method = oauth.HttpMethod ?? "POST";
    if (method !== "GET") headers["content-type"] = "application/x-www-form-urlencoded";
    else for (const [k, v] of form) url.searchParams.set(k, v);
    const result = await this.http.send({
      method,
      url: url.toString(),
      headers,
      body: method === "GET" ? undefined : form.toString(),
      restricted: false,
      keepBytes: 60 * 1024,
    });
    if (!result.ok) throw new TokenError(`OAuth token request failed: ${result.error}`, true);
    if (result.status < 200 || result.status >= 300) {
      throw new TokenError(
        `OAuth token endpoint answered ${result.status}`,
        result.status === 429 || result.status >= 500,
      );
    }
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(result.body);
    } catch {
      throw new TokenError("OAuth token endpoint answered without JSON", false);
    }
    if (typeof parsed.access_token !== "string" || !parsed.access_token) {
      throw new TokenError("OAuth token endpoint answered without access_token", false);
    }
    const lifetime = typeof parsed.expires_in === "number" ? parsed.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    this.cache.set(key, {
      token: parsed.access_token,
      version,
      expiresAt: this.now() + Math.max(lifetime - EARLY_MS, 1000),
    });
    return parsed.access_token;
  }
}
