import type { IncomingMessage } from "node:http";
import { safeEqual } from "../core/secrets.js";
import { SignatureError, verifySigV4 } from "../core/sigv4.js";
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
  try {
    return await verifySigV4(
      { method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, body },
      async (accessKeyId): Promise<(Principal & { secretAccessKey: string }) | undefined> => {
        if (safeEqual(accessKeyId, credentials.accessKeyId))
          return { kind: "operator", secretAccessKey: credentials.secretAccessKey };
        const tenant = await tenants?.secretOf(accessKeyId);
        return tenant && { kind: "tenant", ...tenant };
      },
      now,
    ).then(({ secretAccessKey: _, ...principal }) => principal);
  } catch (error) {
    if (error instanceof SignatureError) throw new AdminError(403, error.code, error.message);
    throw error;
  }
}
