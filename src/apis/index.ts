/**
 * Apis: REST APIs and their resources, methods and integrations imported from OpenAPI
 * (with `x-amazon-apigateway-integration`), deployments, stages, stage variables, custom
 * domain names. The gateway serves what `ApiSnapshot`s of deployments describe.
 */

export { ACCESS_LOG_VARIABLES, checkAccessLogFormat, knownLogVariable } from "./access-log-variables.js";
export {
  AUTHORIZER_TYPES_FOR,
  type AuthorizerInput,
  AuthorizerService,
  type AuthorizerTester,
  type AuthorizerTestRequest,
  type AuthorizerTestResult,
  type IdentitySourcePart,
  parseIdentitySource,
  providerIssuer,
} from "./authorizers.js";
export { DeploymentService } from "./deployments.js";
export { DomainNameService } from "./domain-names.js";
export {
  type FirewallRule,
  type FirewallRuleInput,
  FirewallService,
  type HeaderPattern,
  type IpRateLimit,
  type IpRateLimitInput,
  type IpSet,
  type IpSetInput,
} from "./firewall.js";
export { type IpRange, parseIpRange } from "./ip-ranges.js";
export * from "./model.js";
export { bundleSchema, type CompiledSchema, compileSchema, parseModelSchema } from "./model-schemas.js";
export { ModelService } from "./models.js";
export { RequestValidatorService } from "./request-validators.js";
export {
  type ConditionKey,
  type ConditionOperator,
  type PolicyCondition,
  type PolicyStatement,
  parsePolicyDocument,
  parseResourcePolicy,
  type ResourcePolicy,
} from "./resource-policy.js";
export { RestApiService } from "./rest-apis.js";
export { StageService } from "./stages.js";
