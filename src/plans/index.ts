/**
 * Plans: usage plans, API keys (hashed at rest, sealed for read-back), which key is on which
 * plan, and the tenants that own keys.
 */

export { type ApiKey, ApiKeyService, MAX_ROTATION_GRACE_SECONDS, type RotatedApiKey } from "./api-keys.js";
export { KeyExpirySweep } from "./key-expiry.js";
export {
  type CreateTenantInput,
  checkResourcePatterns,
  type Tenant,
  type TenantAccess,
  TenantService,
} from "./tenants.js";
export { UsagePlanService } from "./usage-plans.js";
