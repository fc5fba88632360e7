/**
 * Plans: usage plans, API keys (hashed at rest, sealed for read-back), which key is on which
 * plan, and the tenants that own keys.
 */

export { ApiKeyService } from "./api-keys.js";
export { type CreateTenantInput, type Tenant, TenantService } from "./tenants.js";
export { UsagePlanService } from "./usage-plans.js";
