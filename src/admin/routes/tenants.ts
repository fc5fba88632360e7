import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { TenantService } from "../../plans/index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations, Tags } from "../shapes.js";

export const TenantShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  enabled: z.boolean(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
  tags: Tags,
  blocked: z.boolean(),
  blockReason: z.string().optional(),
  allowedResources: z.array(z.string()).optional(),
  deniedResources: z.array(z.string()).optional(),
});

const CreateTenant = z.object({
  name: z.string().min(1).max(128),
  description: z.string().max(1024).optional(),
  enabled: z.boolean().optional(),
  tags: Tags.optional(),
  blocked: z.boolean().optional(),
  blockReason: z.string().max(1024).optional(),
  allowedResources: z.array(z.string()).optional(),
  deniedResources: z.array(z.string()).optional(),
});

/** Tenants: Tollgate's own resource, in API Gateway's style. */
export function tenantRoutes(tenants: TenantService): AdminRoute[] {
  return [
    route({
      operationId: "CreateTenant",
      method: "POST",
      path: "/tenants",
      summary: "Create a tenant",
      body: CreateTenant,
      response: TenantShape,
      status: 201,
      handle: ({ body }) => tenants.create(body),
    }),
    route({
      operationId: "GetTenants",
      method: "GET",
      path: "/tenants",
      summary: "List tenants",
      query: { limit: "page size, 1 to 500 (25)", position: "token from the previous page" },
      response: collection(TenantShape),
      status: 200,
      handle: async ({ query }) => paginate(await tenants.list(), query.limit, query.position),
    }),
    route({
      operationId: "GetTenant",
      method: "GET",
      path: "/tenants/{tenant_id}",
      summary: "Get a tenant",
      response: TenantShape,
      status: 200,
      handle: ({ params }) => tenants.get(params.tenant_id!),
    }),
    route({
      operationId: "UpdateTenant",
      method: "PATCH",
      path: "/tenants/{tenant_id}",
      summary:
        "Update a tenant with patch operations (/name, /description, /enabled, /tags/{key}, /blocked, /blockReason, add or remove /allowedResources and /deniedResources)",
      body: PatchOperations,
      response: TenantShape,
      status: 200,
      handle: ({ params, body }) => tenants.update(params.tenant_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteTenant",
      method: "DELETE",
      path: "/tenants/{tenant_id}",
      summary: "Delete a tenant; its keys remain without an owner",
      status: 202,
      handle: ({ params }) => tenants.delete(params.tenant_id!),
    }),
  ];
}
