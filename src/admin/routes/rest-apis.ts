import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, RawResponse, type RouteRequest, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations, Tags } from "../shapes.js";

const StringMap = z.record(z.string(), z.string());
const BooleanMap = z.record(z.string(), z.boolean());

const CorsConfiguration = z.object({
  allowOrigins: z.array(z.string()),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: z.number().optional(),
  allowCredentials: z.boolean().optional(),
});

const EndpointConfiguration = z.object({
  types: z.array(z.string()).optional(),
  ipAddressType: z.string().optional(),
  vpcEndpointIds: z.array(z.string()).optional(),
});

export const RestApiShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  createdDate: EpochSeconds,
  version: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  binaryMediaTypes: z.array(z.string()).optional(),
  minimumCompressionSize: z.number().optional(),
  apiKeySource: z.enum(["HEADER", "AUTHORIZER"]),
  endpointConfiguration: EndpointConfiguration,
  policy: z.string().optional(),
  tags: Tags.optional(),
  disableExecuteApiEndpoint: z.boolean(),
  rootResourceId: z.string(),
  corsConfiguration: CorsConfiguration.optional(),
});

const IntegrationResponseShape = z.object({
  statusCode: z.string(),
  selectionPattern: z.string().optional(),
  responseParameters: StringMap.optional(),
  responseTemplates: StringMap.optional(),
  contentHandling: z.string().optional(),
});

export const IntegrationShape = z.object({
  type: z.enum(["HTTP", "HTTP_PROXY", "MOCK"]),
  httpMethod: z.string().optional(),
  uri: z.string().optional(),
  connectionType: z.string().optional(),
  credentials: z.string().optional(),
  requestParameters: StringMap.optional(),
  requestTemplates: StringMap.optional(),
  passthroughBehavior: z.string().optional(),
  contentHandling: z.string().optional(),
  timeoutInMillis: z.number(),
  cacheNamespace: z.string().optional(),
  cacheKeyParameters: z.array(z.string()).optional(),
  integrationResponses: z.record(z.string(), IntegrationResponseShape).optional(),
  tlsConfig: z.object({ insecureSkipVerification: z.boolean().optional() }).optional(),
});

export const MethodShape = z.object({
  httpMethod: z.string(),
  authorizationType: z.string(),
  authorizerId: z.string().optional(),
  apiKeyRequired: z.boolean(),
  requestValidatorId: z.string().optional(),
  operationName: z.string().optional(),
  requestParameters: BooleanMap.optional(),
  requestModels: StringMap.optional(),
  methodResponses: z
    .record(
      z.string(),
      z.object({
        statusCode: z.string(),
        responseParameters: BooleanMap.optional(),
        responseModels: StringMap.optional(),
      }),
    )
    .optional(),
  methodIntegration: IntegrationShape.optional(),
  authorizationScopes: z.array(z.string()).optional(),
});

export const ResourceShape = z.object({
  id: z.string(),
  parentId: z.string().optional(),
  pathPart: z.string().optional(),
  path: z.string(),
  // Without embed=methods each verb maps to an empty object, as AWS lists them.
  resourceMethods: z.record(z.string(), z.union([MethodShape, z.object({})])).optional(),
});

const CreateRestApi = z.object({
  name: z.string().min(1).max(1024),
  description: z.string().optional(),
  version: z.string().optional(),
  cloneFrom: z.string().optional(),
  binaryMediaTypes: z.array(z.string()).optional(),
  minimumCompressionSize: z.number().int().optional(),
  apiKeySource: z.enum(["HEADER", "AUTHORIZER"]).optional(),
  endpointConfiguration: EndpointConfiguration.optional(),
  policy: z.string().optional(),
  tags: Tags.optional(),
  disableExecuteApiEndpoint: z.boolean().optional(),
  // Checked in full by the service, which names what is wrong.
  corsConfiguration: z.unknown().optional(),
});

const CreateResource = z.object({ pathPart: z.string().min(1) });

const PutMethod = z.object({
  authorizationType: z.string(),
  authorizerId: z.string().optional(),
  apiKeyRequired: z.boolean().optional(),
  operationName: z.string().optional(),
  requestParameters: BooleanMap.optional(),
  requestModels: StringMap.optional(),
  requestValidatorId: z.string().optional(),
  authorizationScopes: z.array(z.string()).optional(),
});

const PutIntegration = z.object({
  type: z.string(),
  httpMethod: z.string().optional(),
  uri: z.string().optional(),
  connectionType: z.string().optional(),
  connectionId: z.string().optional(),
  credentials: z.string().optional(),
  requestParameters: StringMap.optional(),
  requestTemplates: StringMap.optional(),
  passthroughBehavior: z.string().optional(),
  cacheNamespace: z.string().optional(),
  cacheKeyParameters: z.array(z.string()).optional(),
  contentHandling: z.string().optional(),
  timeoutInMillis: z.number().optional(),
  tlsConfig: z.object({ insecureSkipVerification: z.boolean().optional() }).optional(),
});

const OPENAPI_TYPES = ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "*/*"];
const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };
const IMPORT_QUERY = {
  failonwarnings: "true: refuse the document when there are warnings",
  basepath: "ignore (default), prepend or split: what the document's base path becomes",
  endpointConfigurationTypes: "EDGE (default), REGIONAL or PRIVATE (import only)",
};
const RESOURCE = "/restapis/{restapi_id}/resources/{resource_id}";
const METHOD = `${RESOURCE}/methods/{http_method}`;

const embedsMethods = (query: Record<string, string | undefined>): boolean =>
  (query.embed ?? "").split(",").some((e) => e.trim() === "methods");

const documentText = (request: RouteRequest<unknown>): string => request.rawBody.toString("utf8");

/** REST APIs and their resources, methods and integrations; OpenAPI import and export. */
export function restApiRoutes(services: AdminServices): AdminRoute[] {
  const apis = services.restApis;
  return [
    route({
      operationId: "CreateRestApi",
      method: "POST",
      path: "/restapis",
      summary: "Create a REST API with its root resource",
      body: CreateRestApi,
      response: RestApiShape,
      status: 201,
      handle: ({ body }) => apis.create(body),
    }),
    route({
      operationId: "ImportRestApi",
      method: "POST",
      path: "/restapis",
      when: { query: "mode", equals: "import" },
      summary: "Create a REST API from an OpenAPI 3.0/3.1 or Swagger 2.0 file (JSON or YAML body)",
      rawBody: { contentTypes: OPENAPI_TYPES },
      query: IMPORT_QUERY,
      response: RestApiShape,
      status: 201,
      handle: (request) => apis.importApi(documentText(request), request.query),
    }),
    route({
      operationId: "GetRestApis",
      method: "GET",
      path: "/restapis",
      summary: "List REST APIs",
      query: PAGING,
      response: collection(RestApiShape),
      status: 200,
      handle: async ({ query }) => paginate(await apis.list(), query.limit, query.position),
    }),
    route({
      operationId: "GetRestApi",
      method: "GET",
      path: "/restapis/{restapi_id}",
      summary: "Get a REST API",
      response: RestApiShape,
      status: 200,
      handle: ({ params }) => apis.get(params.restapi_id!),
    }),
    route({
      operationId: "PutRestApi",
      method: "PUT",
      path: "/restapis/{restapi_id}",
      summary: "Update a REST API from an OpenAPI file: mode=merge (default) or overwrite",
      rawBody: { contentTypes: OPENAPI_TYPES },
      query: { mode: "merge (default) or overwrite", ...IMPORT_QUERY },
      response: RestApiShape,
      status: 200,
      handle: (request) => apis.put(request.params.restapi_id!, documentText(request), request.query),
    }),
    route({
      operationId: "UpdateRestApi",
      method: "PATCH",
      path: "/restapis/{restapi_id}",
      summary:
        "Update a REST API with patch operations (/name, /description, /apiKeySource, /minimumCompressionSize, /disableExecuteApiEndpoint, /policy, /corsConfiguration, /binaryMediaTypes/{type})",
      body: PatchOperations,
      response: RestApiShape,
      status: 200,
      handle: ({ params, body }) => apis.update(params.restapi_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteRestApi",
      method: "DELETE",
      path: "/restapis/{restapi_id}",
      summary: "Delete a REST API with its resources, deployments and stages",
      status: 202,
      handle: ({ params }) => apis.delete(params.restapi_id!),
    }),
    route({
      operationId: "GetResources",
      method: "GET",
      path: "/restapis/{restapi_id}/resources",
      summary: "List an API's resources; embed=methods includes the methods in full",
      query: { ...PAGING, embed: "methods: include each resource's methods" },
      response: collection(ResourceShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await apis.resources(params.restapi_id!, embedsMethods(query)), query.limit, query.position),
    }),
    route({
      operationId: "GetResource",
      method: "GET",
      path: RESOURCE,
      summary: "Get a resource; embed=methods includes its methods in full",
      query: { embed: "methods: include the resource's methods" },
      response: ResourceShape,
      status: 200,
      handle: ({ params, query }) =>
        apis.resource(params.restapi_id!, params.resource_id!, embedsMethods(query)),
    }),
    route({
      operationId: "CreateResource",
      method: "POST",
      path: "/restapis/{restapi_id}/resources/{parent_id}",
      summary: "Create a child resource ({name} and a last {proxy+} are path variables)",
      body: CreateResource,
      response: ResourceShape,
      status: 201,
      handle: ({ params, body }) => apis.createResource(params.restapi_id!, params.parent_id!, body.pathPart),
    }),
    route({
      operationId: "UpdateResource",
      method: "PATCH",
      path: RESOURCE,
      summary: "Rename (/pathPart) or move (/parentId) a resource",
      body: PatchOperations,
      response: ResourceShape,
      status: 200,
      handle: ({ params, body }) =>
        apis.updateResource(params.restapi_id!, params.resource_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteResource",
      method: "DELETE",
      path: RESOURCE,
      summary: "Delete a resource and everything below it",
      status: 202,
      handle: ({ params }) => apis.deleteResource(params.restapi_id!, params.resource_id!),
    }),
    route({
      operationId: "PutMethod",
      method: "PUT",
      path: METHOD,
      summary: "Add a method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY) to a resource",
      body: PutMethod,
      response: MethodShape,
      status: 201,
      handle: ({ params, body }) =>
        apis.putMethod(params.restapi_id!, params.resource_id!, params.http_method!, body),
    }),
    route({
      operationId: "GetMethod",
      method: "GET",
      path: METHOD,
      summary: "Get a method with its integration",
      response: MethodShape,
      status: 200,
      handle: ({ params }) => apis.method(params.restapi_id!, params.resource_id!, params.http_method!),
    }),
    route({
      operationId: "UpdateMethod",
      method: "PATCH",
      path: METHOD,
      summary:
        "Update a method with patch operations (/apiKeyRequired, /operationName, /requestParameters/{name}, ...)",
      body: PatchOperations,
      response: MethodShape,
      status: 200,
      handle: ({ params, body }) =>
        apis.updateMethod(params.restapi_id!, params.resource_id!, params.http_method!, body.patchOperations),
    }),
    route({
      operationId: "DeleteMethod",
      method: "DELETE",
      path: METHOD,
      summary: "Delete a method",
      status: 204,
      handle: ({ params }) => apis.deleteMethod(params.restapi_id!, params.resource_id!, params.http_method!),
    }),
    route({
      operationId: "PutIntegration",
      method: "PUT",
      path: `${METHOD}/integration`,
      summary: "Set a method's integration: HTTP, HTTP_PROXY or MOCK",
      body: PutIntegration,
      response: IntegrationShape,
      status: 201,
      handle: ({ params, body }) =>
        apis.putIntegration(params.restapi_id!, params.resource_id!, params.http_method!, body),
    }),
    route({
      operationId: "GetIntegration",
      method: "GET",
      path: `${METHOD}/integration`,
      summary: "Get a method's integration",
      response: IntegrationShape,
      status: 200,
      handle: ({ params }) => apis.integration(params.restapi_id!, params.resource_id!, params.http_method!),
    }),
    route({
      operationId: "UpdateIntegration",
      method: "PATCH",
      path: `${METHOD}/integration`,
      summary: "Update a method's integration with patch operations (/uri, /timeoutInMillis, ...)",
      body: PatchOperations,
      response: IntegrationShape,
      status: 200,
      handle: ({ params, body }) =>
        apis.updateIntegration(
          params.restapi_id!,
          params.resource_id!,
          params.http_method!,
          body.patchOperations,
        ),
    }),
    route({
      operationId: "DeleteIntegration",
      method: "DELETE",
      path: `${METHOD}/integration`,
      summary: "Delete a method's integration",
      status: 204,
      handle: ({ params }) =>
        apis.deleteIntegration(params.restapi_id!, params.resource_id!, params.http_method!),
    }),
    route({
      operationId: "GetExport",
      method: "GET",
      path: "/restapis/{restapi_id}/stages/{stage_name}/exports/{export_type}",
      summary:
        "Export what a stage serves as OpenAPI 3.0 (oas30) or Swagger 2.0 (swagger), JSON or YAML by Accept",
      query: { extensions: "integrations or apigateway: include x-amazon-apigateway-integration" },
      status: 200,
      handle: async ({ params, query, headers }) => {
        const exported = await apis.exportApi(params.restapi_id!, params.stage_name!, params.export_type!, {
          accept: headers.accept,
          extensions: query.extensions,
        });
        // A Buffer keeps the media type exactly as given (Fastify appends a charset to JSON strings).
        return new RawResponse(exported.contentType, Buffer.from(exported.body), {
          "content-disposition": `attachment; filename="${exported.fileName}"`,
        });
      },
    }),
  ];
}
