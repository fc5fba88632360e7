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

/** What a deployment freezes: everything the gateway needs to serve the API as deployed. */
export interface ApiSnapshot {
  restApiId: string;
  name: string;
  apiKeySource: "HEADER" | "AUTHORIZER";
  resources: Resource[];
  /** The OpenAPI 3 document the API was imported from (for export and mock examples), or null. */
  definition: Record<string, unknown> | null;
}
