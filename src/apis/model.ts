/**
 * The shapes of the apis part, field for field as Amazon API Gateway's REST control plane
 * returns them (timestamps in epoch seconds). The gateway compiles routes from `ApiSnapshot`.
 */

export interface Integration {
  type: "HTTP" | "HTTP_PROXY" | "MOCK" | "AWS" | "AWS_PROXY";
  httpMethod?: string;
  /** May hold `{name}` path parameters and `${stageVariables.name}` references. */
  uri?: string;
  connectionType?: string;
  connectionId?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior?: string;
  contentHandling?: string;
  /** 50 to 29,000; 29,000 when the document says nothing. */
  timeoutInMillis: number;
  cacheNamespace?: string;
  cacheKeyParameters?: string[];
  integrationResponses?: Record<string, IntegrationResponse>;
}

export interface IntegrationResponse {
  statusCode: string;
  selectionPattern?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
  contentHandling?: string;
}

export interface MethodResponse {
  statusCode: string;
  responseParameters?: Record<string, boolean>;
  responseModels?: Record<string, string>;
}

export interface Method {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string;
  apiKeyRequired: boolean;
  requestValidatorId?: string;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  methodResponses?: Record<string, MethodResponse>;
  methodIntegration?: Integration;
  authorizationScopes?: string[];
}

export interface Resource {
  id: string;
  parentId?: string;
  pathPart?: string;
  path: string;
  resourceMethods?: Record<string, Method>;
}

/**
 * An authorizer, as API Gateway's Authorizer resource, plus `JWT` (Tollgate's, after the HTTP
 * API's JWT authorizer) with its `jwtConfiguration`.
 * - `TOKEN` / `REQUEST`: Tollgate POSTs the token or the request's parts to `authorizerUri` (an
 *   http(s) URL: AWS's Lambda authorizer, over HTTP) and reads a policy document back.
 * - `COGNITO_USER_POOLS` / `JWT`: the gateway verifies a JWT against the issuer's keys.
 */
export interface Authorizer {
  id: string;
  name: string;
  type: AuthorizerType;
  /** COGNITO_USER_POOLS: user pool ARNs, or (Tollgate) issuer URLs. */
  providerARNs?: string[];
  authType?: string;
  authorizerUri?: string;
  authorizerCredentials?: string;
  /** Comma-separated: `method.request.header.Authorization`, `method.request.querystring.q`, `stageVariables.v`. */
  identitySource?: string;
  /** TOKEN: a regular expression the token must match, or the authorizer is not called (401). */
  identityValidationExpression?: string;
  /** 0 to 3600; 0 disables the cache. AWS's default is 300. */
  authorizerResultTtlInSeconds?: number;
  jwtConfiguration?: JwtConfiguration;
}

export type AuthorizerType = "TOKEN" | "REQUEST" | "COGNITO_USER_POOLS" | "JWT";

/** How a JWT authorizer verifies tokens (Tollgate's; `issuer` and `audience` as the HTTP API's). */
export interface JwtConfiguration {
  /** The `iss` tokens must carry. */
  issuer?: string;
  /** Accepted `aud` (or, for access tokens without `aud`, `client_id`) values; any when empty. */
  audience?: string[];
  /** Where the signing keys are; default `{issuer}/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Static signing keys instead of a JWKS URL: `{ "keys": [JWK, ...] }`. */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** A claim whose value is a Tollgate tenant id: the tenant's key meters the request. */
  tenantClaim?: string;
}

/** A request validator: what of a request is checked against the method's models and parameters. */
export interface RequestValidator {
  id: string;
  name: string;
  validateRequestBody: boolean;
  validateRequestParameters: boolean;
}

/** A model: a JSON schema (draft 4, as API Gateway's) a request body can be validated against. */
export interface Model {
  id: string;
  name: string;
  description?: string;
  /** The JSON schema as text. */
  schema?: string;
  contentType: string;
}

/** CORS answered by the gateway for an API (Tollgate's; the fields of the HTTP API's `corsConfiguration`). */
export interface CorsConfiguration {
  /** Origins allowed (`https://app.example.com`), or `*`. */
  allowOrigins: string[];
  /** Methods a preflight allows; default: the API's. */
  allowMethods?: string[];
  /** Request headers a preflight allows; `*` allows whatever is asked. */
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** Seconds a browser may cache a preflight answer. */
  maxAge?: number;
  allowCredentials?: boolean;
}

/** What a deployment freezes: everything the gateway needs to serve the API as deployed. */
export interface ApiSnapshot {
  restApiId: string;
  name: string;
  apiKeySource: "HEADER" | "AUTHORIZER";
  resources: Resource[];
  /** The OpenAPI 3 document the API was imported from (for export and mock examples), or null. */
  definition: Record<string, unknown> | null;
  /** Frozen with the methods, as AWS's deployments do (absent in snapshots made before issue 8). */
  authorizers?: Authorizer[];
  requestValidators?: RequestValidator[];
  models?: Model[];
  /** The resource policy (JSON text). */
  policy?: string;
  corsConfiguration?: CorsConfiguration;
}
