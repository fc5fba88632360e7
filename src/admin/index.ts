/**
 * Admin: the control-plane HTTP API. API Gateway's REST shapes (restJson1) over the domain
 * parts, authenticated by AWS SigV4 or a bearer token, documented by its own OpenAPI file.
 */
import type {
  AuthorizerService,
  DeploymentService,
  DomainNameService,
  FirewallService,
  ModelService,
  RequestValidatorService,
  RestApiService,
  StageService,
} from "../apis/index.js";
import type { Billing } from "../billing/index.js";
import type { Events } from "../events/index.js";
import type { MeteringService, UsageAlertService } from "../metering/index.js";
import type { ApiKeyService, TenantService, UsagePlanService } from "../plans/index.js";
import type { Portal } from "../portal/index.js";
import { tenantCredentialRoutes } from "./events/tenant-credentials.js";
import type { AdminRoute } from "./route.js";
import { apiKeyRoutes } from "./routes/api-keys.js";
import { authorizerRoutes } from "./routes/authorizers.js";
import { billingRoutes } from "./routes/billing.js";
import { deploymentRoutes } from "./routes/deployments.js";
import { domainNameRoutes } from "./routes/domain-names.js";
import { firewallRoutes } from "./routes/firewall.js";
import { portalRoutes } from "./routes/portal.js";
import { requestValidatorRoutes } from "./routes/request-validators.js";
import { restApiRoutes } from "./routes/rest-apis.js";
import { stageRoutes } from "./routes/stages.js";
import { tagRoutes } from "./routes/tags.js";
import { tenantRoutes } from "./routes/tenants.js";
import { usageRoutes } from "./routes/usage.js";
import { usagePlanRoutes } from "./routes/usage-plans.js";

export type { AdminCredentials, Principal } from "./auth.js";
export { eventBridgeProtocol } from "./events/protocol.js";
export type { AdminRoute } from "./route.js";
export { createAdminServer } from "./server.js";

/** The domain services the admin API exposes. */
export interface AdminServices {
  tenants: TenantService;
  restApis: RestApiService;
  authorizers: AuthorizerService;
  requestValidators: RequestValidatorService;
  models: ModelService;
  firewall: FirewallService;
  deployments: DeploymentService;
  stages: StageService;
  domainNames: DomainNameService;
  usagePlans: UsagePlanService;
  apiKeys: ApiKeyService;
  metering: MeteringService;
  usageAlerts: UsageAlertService;
  billing: Billing;
  events: Events;
  /** The developer portal's domain (approvals, catalog, invitations); absent where no portal runs. */
  portal?: Portal;
}

export function adminRoutes(services: AdminServices): AdminRoute[] {
  return [
    ...restApiRoutes(services),
    ...authorizerRoutes(services),
    ...requestValidatorRoutes(services),
    ...deploymentRoutes(services),
    ...stageRoutes(services),
    ...domainNameRoutes(services),
    ...usagePlanRoutes(services),
    ...usageRoutes(services),
    ...apiKeyRoutes(services),
    ...tagRoutes(services),
    ...tenantRoutes(services.tenants),
    ...firewallRoutes(services),
    ...billingRoutes(services.billing),
    ...tenantCredentialRoutes(services.events),
    ...(services.portal ? portalRoutes({ ...services, portal: services.portal }) : []),
  ];
}
