import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { safeEqual } from "../core/secrets.js";
import { AdminError } from "./errors.js";

/** The admin API's credentials: a SigV4 key pair (for the AWS CLI and SDKs) and a bearer token. */
export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  adminToken: string;
}

/** Who an authenticated admin request comes from: the provider's operator, or one tenant. */
export type Principal = { kind: "operator" } | { kind: "tenant"; tenantId: string; accountId: string };

/** Looks up tenant credentials (issued through `POST /tenants/{tenant_id}/credentials`). */
export interface TenantCredentialLookup {
  secretOf(
    accessKeyId: string,
  ): Promise<{ tenantId: string; accountId: string; secretAccessKey: string } | undefined>;
  tokenOwner(token: string): Promise<{ tenantId: string; accountId: string } | undefined>;
}

/** AWS refuses signatures whose date is more than 15 minutes away from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Authenticates an admin request by `Authorization: Bearer <token>` or an AWS Signature
 * Version 4 over the exact request received, with the operator's credentials or a tenant's.
 * Throws AWS's 403 errors; returns who signed.
 */
export async function authenticate(
  request: IncomingMessage,
  body: Buffer,
  credentials: AdminCredentials,
  now = Date.now(),
  tenants?: TenantCredentialLookup,
): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header)
    throw new AdminError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  if (header.startsWith("Bearer ")) {
    const token = header.slice(7).trim();
    if (safeEqual(token, credentials.adminToken)) return { kind: "operator" };
    const tenant = await tenants?.tokenOwner(token);
    if (tenant) return { kind: "tenant", ...tenant };
    throw new AdminError(
      403,
      "UnrecognizedClientException",
      "The bearer token included in the request is invalid.",
    );
  }
  const match = AUTH_PATTERN.exec(header);
  if (!match) {
    throw new AdminError(
      403,
      "IncompleteSignatureException",
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, or a Bearer token.",
    );
  }
  const [, accessKeyId, , region, service, signedHeaderList, signature] = match as unknown as string[];
  let principal: Principal = { kind: "operator" };
  let secretAccessKey = credentials.secretAccessKey;
  if (!safeEqual(accessKeyId!, credentials.accessKeyId)) {
    const tenant = await tenants?.secretOf(accessKeyId!);
    if (!tenant) {
      throw new AdminError(
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    }
    principal = { kind: "tenant", tenantId: tenant.tenantId, accountId: tenant.accountId };
    secretAccessKey = tenant.secretAccessKey;
  }
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate)
    throw new AdminError(403, "IncompleteSignatureException", "Missing or malformed X-Amz-Date header.");
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new AdminError(
      403,
      "InvalidSignatureException",
      `Signature expired: ${amzDate} is not within 15 minutes of the server time.`,
    );
  }

  const url = new URL(request.url ?? "/", "http://admin.invalid");
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
      throw new AdminError(
        403,
        "InvalidSignatureException",
        `Signed header '${name}' is missing from the request.`,
      );
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  // The signer trusts a client-sent payload hash; check it against the bytes actually received.
  const claimedHash = request.headers["x-amz-content-sha256"];
  if (claimedHash !== undefined && claimedHash !== createHash("sha256").update(body).digest("hex")) {
    throw new AdminError(
      403,
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessKeyId!, secretAccessKey },
    region: region!,
    service: service!,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method ?? "GET",
      protocol: "http:",
      hostname: "admin.invalid",
      path: url.pathname,
      query,
      headers,
      body: body.length ? body : undefined,
    }),
    { signingDate, signingRegion: region, signingService: service },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
  if (!safeEqual(expected, signature!)) {
    throw new AdminError(
      403,
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return principal;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}
