/**
 * Swagger 2.0 and OpenAPI 3 side by side: imports convert Swagger 2.0 up so that one dialect is
 * stored, and `swagger` exports convert back down. The conversions cover what API definitions
 * use (servers, schemas, parameters, bodies, responses, security schemes) and keep every `x-`
 * extension where it was; they are not a general-purpose converter.
 */
import {
  ANY_METHOD_KEY,
  deref,
  extensionsOf,
  isObject,
  type JsonObject,
  OPERATION_KEYS,
  objectOf,
  omit,
  rewriteRefs,
} from "./openapi-json.js";

const UP_REFS: Array<[string, string]> = [
  ["#/definitions/", "#/components/schemas/"],
  ["#/parameters/", "#/components/parameters/"],
  ["#/responses/", "#/components/responses/"],
  ["#/securityDefinitions/", "#/components/securitySchemes/"],
];
const DOWN_REFS = UP_REFS.map(([a, b]) => [b, a] as [string, string]);

// Parameter fields that describe the value; OpenAPI 3 moves them into `schema`.
const SCHEMA_FIELDS = [
  "type",
  "format",
  "items",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "enum",
  "multipleOf",
];

const JSON_TYPES = ["application/json"];

/** Converts a Swagger 2.0 document to OpenAPI 3.0.3. `$ref`s are kept, re-pointed at `components`. */
export function swaggerToOpenApi3(swagger: JsonObject): JsonObject {
  const consumes = (swagger.consumes as string[] | undefined) ?? JSON_TYPES;
  const produces = (swagger.produces as string[] | undefined) ?? JSON_TYPES;
  const paths: JsonObject = {};
  for (const [path, rawItem] of Object.entries(objectOf(swagger.paths))) {
    if (path.startsWith("x-")) {
      paths[path] = rawItem;
      continue;
    }
    const item = objectOf(deref(swagger, rawItem));
    const shared = (item.parameters as unknown[] | undefined) ?? [];
    const out: JsonObject = { ...extensionsOf(item) };
    const nonBody = shared.filter((p) => !isBodyParameter(swagger, p));
    if (nonBody.length) out.parameters = nonBody.map(parameterUp);
    for (const key of OPERATION_KEYS) {
      if (isObject(item[key])) {
        const bodyShared = shared.filter((p) => isBodyParameter(swagger, p));
        out[key] = operationUp(swagger, item[key], bodyShared, consumes, produces);
      }
    }
    paths[path] = out;
  }
  const components: JsonObject = {};
  if (isObject(swagger.definitions)) components.schemas = swagger.definitions;
  const parameters = Object.entries(objectOf(swagger.parameters)).filter(
    ([, p]) => !isBodyParameter(swagger, p),
  );
  if (parameters.length)
    components.parameters = Object.fromEntries(parameters.map(([k, p]) => [k, parameterUp(p)]));
  if (isObject(swagger.responses)) {
    components.responses = Object.fromEntries(
      Object.entries(swagger.responses).map(([k, r]) => [k, responseUp(r, produces)]),
    );
  }
  if (isObject(swagger.securityDefinitions)) {
    components.securitySchemes = Object.fromEntries(
      Object.entries(swagger.securityDefinitions).map(([k, s]) => [k, securitySchemeUp(objectOf(s))]),
    );
  }
  const document: JsonObject = {
    openapi: "3.0.3",
    info: swagger.info,
    ...serversOf(swagger),
    ...(swagger.tags ? { tags: swagger.tags } : {}),
    ...(swagger.security ? { security: swagger.security } : {}),
    ...(swagger.externalDocs ? { externalDocs: swagger.externalDocs } : {}),
    ...extensionsOf(swagger),
    paths,
    ...(Object.keys(components).length ? { components } : {}),
  };
  return rewriteRefs(document, UP_REFS);
}

function serversOf(swagger: JsonObject): JsonObject {
  const basePath = typeof swagger.basePath === "string" ? swagger.basePath : "";
  if (typeof swagger.host === "string") {
    const schemes = (swagger.schemes as string[] | undefined) ?? ["https"];
    return { servers: schemes.map((s) => ({ url: `${s}://${swagger.host}${basePath}` })) };
  }
  return basePath ? { servers: [{ url: basePath }] } : {};
}

function isBodyParameter(swagger: JsonObject, parameter: unknown): boolean {
  const p = objectOf(deref(swagger, parameter));
  return p.in === "body" || p.in === "formData";
}

function parameterUp(parameter: unknown): unknown {
  if (!isObject(parameter) || typeof parameter.$ref === "string") return parameter;
  const schema = Object.fromEntries(
    SCHEMA_FIELDS.filter((f) => f in parameter).map((f) => [f, parameter[f]]),
  );
  return {
    ...omit(parameter, [...SCHEMA_FIELDS, "collectionFormat", "x-example"]),
    schema,
    ...("x-example" in parameter ? { example: parameter["x-example"] } : {}),
  };
}

function operationUp(
  swagger: JsonObject,
  operation: JsonObject,
  sharedBody: unknown[],
  consumes: string[],
  produces: string[],
): JsonObject {
  const own = (operation.parameters as unknown[] | undefined) ?? [];
  const opConsumes = (operation.consumes as string[] | undefined) ?? consumes;
  const opProduces = (operation.produces as string[] | undefined) ?? produces;
  const bodies = [...sharedBody, ...own.filter((p) => isBodyParameter(swagger, p))].map((p) =>
    objectOf(deref(swagger, p)),
  );
  const others = own.filter((p) => !isBodyParameter(swagger, p));
  const out: JsonObject = omit(operation, ["parameters", "consumes", "produces", "responses", "schemes"]);
  if (others.length) out.parameters = others.map(parameterUp);
  const requestBody = requestBodyUp(bodies, opConsumes);
  if (requestBody) out.requestBody = requestBody;
  out.responses = Object.fromEntries(
    Object.entries(objectOf(operation.responses)).map(([code, r]) => [code, responseUp(r, opProduces)]),
  );
  return out;
}

function requestBodyUp(parameters: JsonObject[], consumes: string[]): JsonObject | undefined {
  const body = parameters.find((p) => p.in === "body");
  if (body) {
    return {
      ...(body.description ? { description: body.description } : {}),
      required: body.required === true,
      content: Object.fromEntries(consumes.map((type) => [type, { schema: body.schema ?? {} }])),
    };
  }
  const fields = parameters.filter((p) => p.in === "formData");
  if (!fields.length) return undefined;
  const type = fields.some((f) => f.type === "file")
    ? "multipart/form-data"
    : "application/x-www-form-urlencoded";
  const properties = Object.fromEntries(
    fields.map((f) => [
      String(f.name),
      f.type === "file"
        ? { type: "string", format: "binary" }
        : Object.fromEntries(SCHEMA_FIELDS.filter((k) => k in f).map((k) => [k, f[k]])),
    ]),
  );
  const required = fields.filter((f) => f.required === true).map((f) => String(f.name));
  return {
    content: { [type]: { schema: { type: "object", properties, ...(required.length ? { required } : {}) } } },
  };
}

function responseUp(response: unknown, produces: string[]): unknown {
  if (!isObject(response) || typeof response.$ref === "string") return response;
  const examples = objectOf(response.examples);
  const out: JsonObject = omit(response, ["schema", "examples", "headers"]);
  if (isObject(response.headers)) {
    out.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, h]) => {
        const header = objectOf(h);
        const schema = Object.fromEntries(
          SCHEMA_FIELDS.filter((f) => f in header).map((f) => [f, header[f]]),
        );
        return [name, { ...omit(header, [...SCHEMA_FIELDS, "collectionFormat"]), schema }];
      }),
    );
  }
  if (response.schema !== undefined || Object.keys(examples).length) {
    const types = [...new Set([...produces, ...Object.keys(examples)])];
    out.content = Object.fromEntries(
      types.map((type) => [
        type,
        {
          ...(response.schema !== undefined ? { schema: response.schema } : {}),
          ...(type in examples ? { example: examples[type] } : {}),
        },
      ]),
    );
  }
  return out;
}

function securitySchemeUp(scheme: JsonObject): JsonObject {
  const extensions = extensionsOf(scheme);
  const description = scheme.description ? { description: scheme.description } : {};
  if (scheme.type === "basic") return { type: "http", scheme: "basic", ...description, ...extensions };
  if (scheme.type !== "oauth2") return scheme;
  const flowName = {
    implicit: "implicit",
    password: "password",
    application: "clientCredentials",
    accessCode: "authorizationCode",
  }[String(scheme.flow)];
  const flow = {
    ...(scheme.authorizationUrl ? { authorizationUrl: scheme.authorizationUrl } : {}),
    ...(scheme.tokenUrl ? { tokenUrl: scheme.tokenUrl } : {}),
    scopes: scheme.scopes ?? {},
  };
  return { type: "oauth2", ...description, flows: flowName ? { [flowName]: flow } : {}, ...extensions };
}

/** Converts an OpenAPI 3 document (as exports build it) to Swagger 2.0 with the given base path. */
export function openApi3ToSwagger(document: JsonObject, basePath: string): JsonObject {
  const components = objectOf(document.components);
  const paths: JsonObject = {};
  for (const [path, rawItem] of Object.entries(objectOf(document.paths))) {
    const item = objectOf(rawItem);
    const out: JsonObject = { ...extensionsOf(omit(item, [ANY_METHOD_KEY])) };
    if (Array.isArray(item.parameters)) out.parameters = item.parameters.map(parameterDown);
    for (const key of OPERATION_KEYS) {
      if (isObject(item[key])) out[key] = operationDown(item[key]);
    }
    paths[path] = out;
  }
  const swagger: JsonObject = {
    swagger: "2.0",
    info: document.info,
    basePath,
    schemes: ["https"],
    ...(document.tags ? { tags: document.tags } : {}),
    ...(document.security ? { security: document.security } : {}),
    ...extensionsOf(document),
    paths,
    ...(isObject(components.schemas) ? { definitions: components.schemas } : {}),
    ...(isObject(components.parameters)
      ? {
          parameters: Object.fromEntries(
            Object.entries(components.parameters).map(([k, p]) => [k, parameterDown(p)]),
          ),
        }
      : {}),
    ...(isObject(components.securitySchemes)
      ? {
          securityDefinitions: Object.fromEntries(
            Object.entries(components.securitySchemes).flatMap(([k, s]) => {
              const down = securitySchemeDown(objectOf(s));
              return down ? [[k, down]] : [];
            }),
          ),
        }
      : {}),
  };
  return rewriteRefs(swagger, DOWN_REFS);
}

function parameterDown(parameter: unknown): unknown {
  if (!isObject(parameter) || typeof parameter.$ref === "string") return parameter;
  const schema = objectOf(parameter.schema);
  const flat = Object.fromEntries(SCHEMA_FIELDS.filter((f) => f in schema).map((f) => [f, schema[f]]));
  return {
    ...omit(parameter, ["schema", "style", "explode", "example", "examples", "content"]),
    type: "string",
    ...flat,
  };
}

function operationDown(operation: JsonObject): JsonObject {
  const out: JsonObject = omit(operation, ["parameters", "requestBody", "responses", "callbacks", "servers"]);
  const parameters = Array.isArray(operation.parameters) ? operation.parameters.map(parameterDown) : [];
  const body = objectOf(operation.requestBody);
  const bodyContent = objectOf(body.content);
  const consumes = Object.keys(bodyContent);
  if (consumes.length) {
    out.consumes = consumes;
    parameters.push({
      in: "body",
      name: "body",
      required: body.required === true,
      schema: objectOf(bodyContent[consumes[0]!]).schema ?? {},
    });
  }
  if (parameters.length) out.parameters = parameters;
  const produces = new Set<string>();
  out.responses = Object.fromEntries(
    Object.entries(objectOf(operation.responses)).map(([code, r]) => {
      const response = objectOf(r);
      if (typeof response.$ref === "string") return [code, response];
      const content = objectOf(response.content);
      for (const type of Object.keys(content)) produces.add(type);
      const first = objectOf(Object.values(content)[0]);
      const headers = Object.entries(objectOf(response.headers)).map(([name, h]) => {
        const header = objectOf(h);
        return [name, { ...omit(header, ["schema"]), type: "string", ...objectOf(header.schema) }];
      });
      return [
        code,
        {
          description: response.description ?? `${code} response`,
          ...(first.schema !== undefined ? { schema: first.schema } : {}),
          ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
        },
      ];
    }),
  );
  if (produces.size) out.produces = [...produces];
  return out;
}

function securitySchemeDown(scheme: JsonObject): JsonObject | undefined {
  const extensions = extensionsOf(scheme);
  if (scheme.type === "apiKey") return scheme;
  if (scheme.type === "http" && scheme.scheme === "basic") return { type: "basic", ...extensions };
  if (scheme.type === "oauth2") {
    const [name, flow] = Object.entries(objectOf(scheme.flows))[0] ?? [];
    const down = { clientCredentials: "application", authorizationCode: "accessCode" }[String(name)] ?? name;
    return name ? { type: "oauth2", flow: down, ...objectOf(flow), ...extensions } : undefined;
  }
  // A scheme that Swagger 2.0 cannot express survives only if API Gateway reads it (an authorizer).
  return Object.keys(extensions).length
    ? { type: "apiKey", name: "Authorization", in: "header", ...extensions }
    : undefined;
}
