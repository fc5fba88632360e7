import { z } from "zod";
import type { Events } from "../../events/index.js";
import { type AdminRoute, route } from "../route.js";
import { EpochSeconds } from "../shapes.js";

const IssuedShape = z.object({
  tenantId: z.string(),
  accountId: z.string(),
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  token: z.string(),
  description: z.string().optional(),
  createdDate: EpochSeconds,
});

const SummaryShape = z.object({
  accessKeyId: z.string(),
  description: z.string().optional(),
  createdDate: EpochSeconds,
});

/**
 * Tenant credentials: Tollgate's own resource, in API Gateway's REST style. A tenant's key pair
 * (SigV4, service `events`) or token (`Authorization: Bearer`) reaches only the EventBridge
 * operations, in the tenant's own account.
 */
export function tenantCredentialRoutes(events: Events): AdminRoute[] {
  return [
    route({
      operationId: "CreateTenantCredentials",
      method: "POST",
      path: "/tenants/{tenant_id}/credentials",
      summary:
        "Issue an access key pair and a bearer token for a tenant (the secrets are shown only in this answer)",
      body: z.object({ description: z.string().max(1024).optional() }),
      response: IssuedShape,
      status: 201,
      handle: ({ params, body }) => events.accounts.issue(params.tenant_id!, body),
    }),
    route({
      operationId: "GetTenantCredentials",
      method: "GET",
      path: "/tenants/{tenant_id}/credentials",
      summary: "List a tenant's credentials (access key ids only)",
      response: z.object({ item: z.array(SummaryShape) }),
      status: 200,
      handle: async ({ params }) => ({ item: await events.accounts.list(params.tenant_id!) }),
    }),
    route({
      operationId: "DeleteTenantCredentials",
      method: "DELETE",
      path: "/tenants/{tenant_id}/credentials/{access_key_id}",
      summary: "Revoke a tenant's access key pair and its token",
      status: 202,
      handle: ({ params }) => events.accounts.revoke(params.tenant_id!, params.access_key_id!),
    }),
  ];
}
