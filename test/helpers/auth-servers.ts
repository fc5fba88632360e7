import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export interface TestIssuer {
  /** The issuer URL; its JWKS is at `/.well-known/jwks.json`. */
  issuer: string;
  /** How many times the JWKS was fetched. */
  fetches(): number;
  /** A token signed with the issuer's key (RS256, kid k1); `iat` and `exp` from `nowMs`. */
  sign(
    claims: JWTPayload,
    options?: { nowMs?: number; expiresInS?: number; issuer?: string },
  ): Promise<string>;
  /** A token with the same kid, signed by a key the issuer does not have. */
  signWithOtherKey(claims: JWTPayload, options?: { nowMs?: number }): Promise<string>;
  close(): Promise<void>;
}

/** A real OpenID-style issuer on loopback: serves its JWKS and signs tokens. */
export async function startIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const other = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json") {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const issuer = await listen(server);
  const sign = (
    key: typeof privateKey,
    claims: JWTPayload,
    options: { nowMs?: number; expiresInS?: number; issuer?: string },
  ) => {
    const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(options.issuer ?? issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInS ?? 3600))
      .sign(key);
  };
  return {
    issuer,
    fetches: () => fetches,
    sign: (claims, options = {}) => sign(privateKey, claims, options),
    signWithOtherKey: (claims, options = {}) => sign(other.privateKey, claims, options),
    close: closer(server),
  };
}

export interface AuthorizerCall {
  type: string;
  authorizationToken?: string;
  methodArn: string;
  headers?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
}

export interface TestAuthorizer {
  url: string;
  calls: AuthorizerCall[];
  close(): Promise<void>;
}

/**
 * A Lambda-style authorizer over HTTP on loopback: `answer` maps each event to a status and a
 * JSON body (a policy document, a simple answer, or nothing).
 */
export async function startAuthorizer(
  answer: (event: AuthorizerCall) => { status: number; body?: unknown },
): Promise<TestAuthorizer> {
  const calls: AuthorizerCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as AuthorizerCall;
      calls.push(event);
      const { status, body } = answer(event);
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  const url = await listen(server);
  return { url, calls, close: closer(server) };
}

/** The IAM-style answer of a Lambda authorizer. */
export function policyAnswer(
  principalId: string,
  effect: "Allow" | "Deny",
  resource: string,
  extra: { context?: Record<string, unknown>; usageIdentifierKey?: string } = {},
) {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
    },
    ...extra,
  };
}
