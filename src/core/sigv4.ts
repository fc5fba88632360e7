/**
 * Verification of AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 …`) over the exact
 * request received: the admin API's (AWS CLI and SDKs) and the gateway's AWS_IAM methods. The
 * expected signature is computed with the SDK's own signer, so both sides canonicalize alike.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { safeEqual } from "./secrets.js";

/** Why a signature was refused: AWS's error code and message (both answered with 403). */
export class SignatureError extends Error {
  constructor(
    readonly code:
      | "MissingAuthenticationTokenException"
      | "IncompleteSignatureException"
      | "UnrecognizedClientException"
      | "InvalidSignatureException",
    message: string,
  ) {
    super(message);
  }
}

/** What is verified: the request line, node's header object and the whole body. */
export interface SignedRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The signer's hash on node:crypto (the pure-JS one costs about as much as the rest of a request). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * Signers by key pair, region and service: each keeps its derived signing keys (one per day), so a
 * caller's requests after the first cost no key derivation.
 */
const signers = new Map<string, SignatureV4>();
const MAX_SIGNERS = 1000;

function signerFor(
  accessKeyId: string,
  secretAccessKey: string,
  region: string,
  service: string,
): SignatureV4 {
  const id = `${accessKeyId}\u0000${secretAccessKey}\u0000${region}\u0000${service}`;
  let signer = signers.get(id);
  if (!signer) {
    signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey },
      region,
      service,
      sha256: NodeSha256,
      applyChecksum: false,
    });
    if (signers.size >= MAX_SIGNERS) signers.delete(signers.keys().next().value!);
    signers.set(id, signer);
  }
  return signer;
}

/** AWS refuses signatures whose date is more than 15 minutes away from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/** An `Authorization` header in the SigV4 form (as opposed to a bearer token, or none). */
export function isSigV4(authorization: string | undefined): boolean {
  return authorization?.startsWith("AWS4-HMAC-SHA256 ") ?? false;
}

/**
 * Checks a SigV4-signed request. `signer` resolves the access key id to its secret and whatever
 * the caller wants back (who signed); `service`, when given, is the only credential scope
 * accepted. Throws SignatureError; returns what `signer` resolved.
 */
export async function verifySigV4<T extends { secretAccessKey: string }>(
  request: SignedRequest,
  signer: (accessKeyId: string) => Promise<T | undefined> | T | undefined,
  now: number,
  service?: string,
): Promise<T> {
  const header = request.headers.authorization;
  if (!header)
    throw new SignatureError("MissingAuthenticationTokenException", "Missing Authentication Token");
  const match = AUTH_PATTERN.exec(header);
  if (!match) {
    throw new SignatureError(
      "IncompleteSignatureException",
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, or a Bearer token.",
    );
  }
  const [, accessKeyId, , region, scopeService, signedHeaderList, signature] = match as unknown as string[];
  if (service !== undefined && scopeService !== service) {
    throw new SignatureError(
      "InvalidSignatureException",
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  const signing = await signer(accessKeyId!);
  if (!signing) {
    throw new SignatureError(
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  }
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate)
    throw new SignatureError("IncompleteSignatureException", "Missing or malformed X-Amz-Date header.");
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new SignatureError(
      "InvalidSignatureException",
      `Signature expired: ${amzDate} is not within 15 minutes of the server time.`,
    );
  }

  const url = new URL(request.url, "http://signed.invalid");
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  // Rebuild the request from only the headers the client signed, so the signer signs the same set.
  const headers: Record<string, string> = {};
  for (const name of signedHeaderList!.split(";")) {
    const value = request.headers[name];
    if (value === undefined)
      throw new SignatureError(
        "InvalidSignatureException",
        `Signed header '${name}' is missing from the request.`,
      );
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  // The signer trusts a client-sent payload hash; check it against the bytes actually received.
  const claimedHash = request.headers["x-amz-content-sha256"];
  if (claimedHash !== undefined && claimedHash !== createHash("sha256").update(request.body).digest("hex")) {
    throw new SignatureError(
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const expected = await signerFor(accessKeyId!, signing.secretAccessKey, region!, scopeService!).sign(
    new HttpRequest({
      method: request.method,
      protocol: "http:",
      hostname: "signed.invalid",
      path: url.pathname,
      query,
      headers,
      body: request.body.length ? request.body : undefined,
    }),
    { signingDate, signingRegion: region, signingService: scopeService },
  );
  const computed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? ""))?.[1] ?? "";
  if (!safeEqual(computed, signature!)) {
    throw new SignatureError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return signing;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}
