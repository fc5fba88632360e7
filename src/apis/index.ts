/**
 * Apis: REST APIs and their resources, methods and integrations imported from OpenAPI
 * (with `x-amazon-apigateway-integration`), deployments, stages, stage variables, custom
 * domain names. The gateway serves what `ApiSnapshot`s of deployments describe.
 */

export { DeploymentService } from "./deployments.js";
export { DomainNameService } from "./domain-names.js";
export * from "./model.js";
export { RestApiService } from "./rest-apis.js";
export { StageService } from "./stages.js";
