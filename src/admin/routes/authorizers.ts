import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, PatchOperations } from "../shapes.js";

const JwtConfiguration = z.object({
  issuer: z.string().optional(),
  audience: z.array(z.string()).optional(),
  jwksUri: z.string().optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
  tenantClaim: z.string().optional(),
});

export const AuthorizerShape = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(["TOKEN", "REQUEST", "COGNITO_USER_POOLS", "JWT"]),
  providerARNs: z.array(z.string()).optional(),
  authType: z.string().optional(),
  authorizerUri: z.string().optional(),
  authorizerCredentials: z.string().optional(),
  identitySource: z.string().optional(),
  identityValidationExpression: z.string().optional(),
  authorizerResultTtlInSeconds: z.number().optional(),
  jwtConfiguration: JwtConfiguration.optional(),
});

const CreateAuthorizer = z.object({
  name: z.string().min(1).max(128),
  type: z.string(),
  providerARNs: z.array(z.string()).optional(),
  authType: z.string().optional(),
  authorizerUri: z.string().optional(),
  authorizerCredentials: z.string().optional(),
  identitySource: z.string().optional(),
  identityValidationExpression: z.string().optional(),
  authorizerResultTtlInSeconds: z.number().int().optional(),
  jwtConfiguration: JwtConfiguration.optional(),
});

// An HTTP header name (RFC 9110 token).
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not an HTTP header name");

const TestInvokeAuthorizer = z.object({
  headers: z.record(HeaderName, z.string()).optional(),
  multiValueHeaders: z.record(HeaderName, z.array(z.string())).optional(),
  pathWithQueryString: z
    .string()
    .regex(/^\//, "the path with its query string starts with /, like /pets?limit=2")
    .optional(),
  body: z.string().optional(),
  stageVariables: z.record(z.string(), z.string()).optional(),
  additionalContext: z.record(z.string(), z.string()).optional(),
});

const TestInvokeAuthorizerResponse = z.object({
  clientStatus: z.number(),
  log: z.string(),
  latency: z.number(),
  principalId: z.string().optional(),
  policy: z.string().optional(),
  authorization: z.record(z.string(), z.array(z.string())).optional(),
  claims: z.record(z.string(), z.string()).optional(),
});

const AUTHORIZER = "/restapis/{restapi_id}/authorizers/{authorizer_id}";

/**
 * Authorizers: CreateAuthorizer, GetAuthorizers, GetAuthorizer, UpdateAuthorizer, DeleteAuthorizer,
 * TestInvokeAuthorizer.
 */
export function authorizerRoutes({ authorizers }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateAuthorizer",
      method: "POST",
      path: "/restapis/{restapi_id}/authorizers",
      summary:
        "Create an authorizer: TOKEN or REQUEST (calls an http(s) authorizerUri), COGNITO_USER_POOLS or JWT (verifies JWTs)",
      body: CreateAuthorizer,
      response: AuthorizerShape,
      status: 201,
      handle: ({ params, body }) => authorizers.create(params.restapi_id!, body),
    }),
    route({
      operationId: "GetAuthorizers",
      method: "GET",
      path: "/restapis/{restapi_id}/authorizers",
      summary: "List the API's authorizers",
      query: { limit: "page size, 1 to 500 (25)", position: "token from the previous page" },
      response: collection(AuthorizerShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await authorizers.list(params.restapi_id!), query.limit, query.position),
    }),
    route({
      operationId: "GetAuthorizer",
      method: "GET",
      path: AUTHORIZER,
      summary: "Get an authorizer",
      response: AuthorizerShape,
      status: 200,
      handle: ({ params }) => authorizers.get(params.restapi_id!, params.authorizer_id!),
    }),
    route({
      operationId: "UpdateAuthorizer",
      method: "PATCH",
      path: AUTHORIZER,
      summary:
        "Update an authorizer (/name, /authorizerUri, /identitySource, /authorizerResultTtlInSeconds, /providerARNs, /jwtConfiguration/..., ...)",
      body: PatchOperations,
      response: AuthorizerShape,
      status: 200,
      handle: ({ params, body }) =>
        authorizers.update(params.restapi_id!, params.authorizer_id!, body.patchOperations),
    }),
    route({
      operationId: "TestInvokeAuthorizer",
      method: "POST",
      path: AUTHORIZER,
      summary:
        "Call an authorizer once on a simulated request, past its answer cache: clientStatus 200, 401, 403 or 500, with its principalId, policy or claims",
      body: TestInvokeAuthorizer,
      response: TestInvokeAuthorizerResponse,
      status: 200,
      handle: ({ params, body }) => authorizers.testInvoke(params.restapi_id!, params.authorizer_id!, body),
    }),
    route({
      operationId: "DeleteAuthorizer",
      method: "DELETE",
      path: AUTHORIZER,
      summary: "Delete an authorizer no method uses",
      status: 202,
      handle: ({ params }) => authorizers.delete(params.restapi_id!, params.authorizer_id!),
    }),
  ];
}
