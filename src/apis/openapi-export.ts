/**
 * GetExport: the OpenAPI document of what a stage serves. Paths and operations come from the
 * deployment's resources (so hand-made methods appear and removed ones do not); info, schemas
 * and the wording of operations come from the document the API was imported from, when there
 * is one. `extensions=integrations|apigateway` adds `x-amazon-apigateway-integration` as AWS does.
 */
import { stringify as toYaml } from "yaml";
import type { ApiSnapshot, Integration, Method } from "./model.js";
import { isApiKeyHeader } from "./openapi-import.js";
import {
  ANY_METHOD_KEY,
  deref,
  isObject,
  type JsonObject,
  objectOf,
  omit,
  stringOf,
} from "./openapi-json.js";
import { openApi3ToSwagger } from "./openapi-swagger2.js";
import { dropUndefined } from "./resources.js";

export type ExportType = "oas30" | "swagger";
export type ExportFormat = "json" | "yaml";

export interface ExportOptions {
  exportType: ExportType;
  stageName: string;
  /** Values of the `extensions` parameter: `integrations`, `apigateway`, `authorizers`, `postman`. */
  extensions: string[];
  /** Current API settings the snapshot does not hold. */
  api: { version?: string; description?: string; createdDate: number; binaryMediaTypes?: string[] };
}

const API_KEY_SCHEME = "api_key";

/** Builds the export document (OpenAPI 3.0.1 or Swagger 2.0) of a deployment snapshot. */
export function exportDocument(snapshot: ApiSnapshot, options: ExportOptions): JsonObject {
  const definition = snapshot.definition ?? {};
  const withIntegrations = options.extensions.some((e) => e === "integrations" || e === "apigateway");
  const components = structuredClone(objectOf(definition.components));
  const context = { definition, components, withIntegrations };
  const paths: JsonObject = {};
  for (const resource of [...snapshot.resources].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const methods = Object.entries(resource.resourceMethods ?? {});
    if (!methods.length) continue;
    const documented = objectOf(deref(definition, objectOf(definition.paths)[resource.path]));
    const item: JsonObject = Array.isArray(documented.parameters)
      ? { parameters: documented.parameters }
      : {};
    for (const [verb, method] of methods) {
      const key = verb === "ANY" ? ANY_METHOD_KEY : verb.toLowerCase();
      item[key] = operationOf(method, documented[key], resource.path, item, context);
    }
    paths[resource.path] = item;
  }
  const info = omit(objectOf(definition.info), ["summary"]);
  const document: JsonObject = {
    openapi: "3.0.1",
    info: dropUndefined({
      ...info,
      title: snapshot.name,
      description: stringOf(info.description) ?? options.api.description,
      version: stringOf(info.version) ?? options.api.version ?? isoSeconds(options.api.createdDate),
    }),
    servers: [{ url: "/{basePath}", variables: { basePath: { default: options.stageName } } }],
    ...(Array.isArray(definition.tags) ? { tags: definition.tags } : {}),
    // Operations that rely on the document-wide requirement keep it (the API key among them).
    ...(Array.isArray(definition.security) ? { security: definition.security } : {}),
    paths,
    ...(Object.keys(components).length ? { components } : {}),
    ...(options.extensions.includes("apigateway") ? apiExtensions(snapshot, options) : {}),
  };
  const oas30 = String(definition.openapi ?? "").startsWith("3.1") ? downgradeSchemas(document) : document;
  if (options.exportType === "swagger")
    return openApi3ToSwagger(omit(oas30, ["servers"]), `/${options.stageName}`);
  return oas30;
}

/**
 * An export is OpenAPI 3.0, so the 3.1 idioms a document may carry are rewritten: type lists
 * with "null" become `nullable`, and the license's SPDX `identifier` goes.
 */
function downgradeSchemas(document: JsonObject): JsonObject {
  const info = objectOf(document.info);
  const license = isObject(info.license) ? { license: omit(info.license, ["identifier"]) } : {};
  return {
    ...document,
    info: { ...info, ...license },
    paths: nullableTypes(document.paths),
    ...(document.components ? { components: nullableTypes(document.components) } : {}),
  };
}

function nullableTypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableTypes);
  if (!isObject(value)) return value;
  const out: JsonObject = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nullableTypes(v)]));
  if (Array.isArray(value.type)) {
    const types = value.type.filter((t) => t !== "null");
    delete out.type;
    if (types.length === 1) out.type = types[0];
    else if (types.length > 1) out.anyOf = types.map((type) => ({ type }));
    if (types.length < value.type.length) out.nullable = true;
  }
  return out;
}

/** The document as text, with the media type AWS answers for it. */
export function serializeExport(document: JsonObject, format: ExportFormat): string {
  return format === "yaml" ? toYaml(document) : JSON.stringify(document, null, 2);
}

interface ExportContext {
  definition: JsonObject;
  components: JsonObject;
  withIntegrations: boolean;
}

function operationOf(
  method: Method,
  documented: unknown,
  path: string,
  pathItem: JsonObject,
  context: ExportContext,
): JsonObject {
  const operation = isObject(documented)
    ? Object.fromEntries(Object.entries(documented).filter(([k]) => !k.startsWith("x-amazon-apigateway-")))
    : synthesizedOperation(method);
  addMissingPathParameters(operation, path, pathItem, context.definition);
  applyApiKeySecurity(operation, method, isObject(documented), context);
  if (context.withIntegrations && method.methodIntegration) {
    operation["x-amazon-apigateway-integration"] = integrationExtension(method.methodIntegration);
  }
  return operation;
}

/** An operation for a method made by hand: its parameters and responses as the method states them. */
function synthesizedOperation(method: Method): JsonObject {
  const locations: Record<string, string> = { path: "path", querystring: "query", header: "header" };
  const parameters = Object.entries(method.requestParameters ?? {}).flatMap(([key, required]) => {
    const [, , where, ...name] = key.split(".");
    const location = locations[where ?? ""];
    return location
      ? [
          {
            name: name.join("."),
            in: location,
            required: location === "path" || required,
            schema: { type: "string" },
          },
        ]
      : [];
  });
  const codes = Object.values(method.methodResponses ?? {});
  const responses = codes.length
    ? Object.fromEntries(
        codes.map((r) => {
          const headers = Object.keys(r.responseParameters ?? {})
            .filter((k) => k.startsWith("method.response.header."))
            .map((k) => [k.slice("method.response.header.".length), { schema: { type: "string" } }]);
          return [
            r.statusCode,
            {
              description: `${r.statusCode} response`,
              ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
            },
          ];
        }),
      )
    : { "200": { description: "200 response" } };
  return dropUndefined({
    operationId: method.operationName,
    parameters: parameters.length ? parameters : undefined,
    responses,
  });
}

// Every `{name}` of the path needs a path parameter for the document to be valid; greedy `{name+}` is `name`.
function addMissingPathParameters(
  operation: JsonObject,
  path: string,
  pathItem: JsonObject,
  definition: JsonObject,
): void {
  const declared = [...asArray(pathItem.parameters), ...asArray(operation.parameters)]
    .map((p) => objectOf(deref(definition, p)))
    .filter((p) => p.in === "path")
    .map((p) => String(p.name));
  const missing = [...path.matchAll(/\{([^}+]+)\+?\}/g)]
    .map((m) => m[1]!)
    .filter((n) => !declared.includes(n));
  if (!missing.length) return;
  operation.parameters = [
    ...asArray(operation.parameters),
    ...missing.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
  ];
}

/** Keeps the document's security when it agrees with the method; otherwise states the method's. */
function applyApiKeySecurity(
  operation: JsonObject,
  method: Method,
  documented: boolean,
  context: ExportContext,
): void {
  const schemes = objectOf(context.components.securitySchemes);
  const requirements = Array.isArray(operation.security)
    ? operation.security
    : asArray(context.definition.security);
  const documentedKey = requirements.some((r) =>
    Object.keys(objectOf(r)).some((name) =>
      isApiKeyHeader(objectOf(deref(context.definition, schemes[name]))),
    ),
  );
  if (documented && documentedKey === method.apiKeyRequired) return;
  if (method.apiKeyRequired) {
    context.components.securitySchemes = {
      ...schemes,
      [API_KEY_SCHEME]: { type: "apiKey", name: "x-api-key", in: "header" },
    };
    operation.security = [{ [API_KEY_SCHEME]: [] }];
  } else if (documentedKey) {
    operation.security = [];
  }
}

/** `x-amazon-apigateway-integration` as AWS exports it (lower-case type and passthrough behaviour). */
function integrationExtension(integration: Integration): JsonObject {
  const responses = Object.values(integration.integrationResponses ?? {});
  return dropUndefined({
    type: integration.type.toLowerCase(),
    httpMethod: integration.httpMethod,
    uri: integration.uri,
    credentials: (integration as { credentials?: string }).credentials,
    requestParameters: integration.requestParameters,
    requestTemplates: integration.requestTemplates,
    passthroughBehavior: integration.passthroughBehavior?.toLowerCase(),
    contentHandling: integration.contentHandling,
    timeoutInMillis: integration.timeoutInMillis,
    cacheNamespace: integration.cacheNamespace,
    cacheKeyParameters: integration.cacheKeyParameters,
    responses: responses.length
      ? Object.fromEntries(
          responses.map((r) => [
            r.selectionPattern ?? "default",
            dropUndefined({
              statusCode: r.statusCode,
              responseParameters: r.responseParameters,
              responseTemplates: r.responseTemplates,
              contentHandling: r.contentHandling,
            }),
          ]),
        )
      : undefined,
  });
}

function apiExtensions(snapshot: ApiSnapshot, options: ExportOptions): JsonObject {
  return {
    "x-amazon-apigateway-api-key-source": snapshot.apiKeySource,
    ...(options.api.binaryMediaTypes?.length
      ? { "x-amazon-apigateway-binary-media-types": options.api.binaryMediaTypes }
      : {}),
  };
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
