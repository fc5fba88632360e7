/**
 * From an OpenAPI 3 document to what an API holds: its settings, a method per operation on a
 * resource per path (base path applied as AWS's `basepath` parameter says), integrations from
 * `x-amazon-apigateway-integration`, and the warnings AWS would give. Pure: the service writes
 * the plan in one transaction, or nothing when planning throws.
 */
import { BadRequestError } from "../core/errors.js";
import type { CorsConfiguration, IntegrationResponse, Method, MethodResponse } from "./model.js";
import {
  ANY_METHOD_KEY,
  deref,
  isObject,
  type JsonObject,
  OPERATION_KEYS,
  objectOf,
  stringMap,
  stringOf,
} from "./openapi-json.js";
import { type DocumentPolicies, PolicyReader } from "./openapi-policies.js";
import { parseResourcePolicy } from "./resource-policy.js";
import {
  buildIntegration,
  buildMethod,
  dropUndefined,
  type IntegrationInput,
  pathSegments,
  validatePathPart,
} from "./resources.js";

/** Import options from the query string, as AWS's `parameters` map. */
export interface ImportParameters {
  /** How the document's base path becomes resources: `ignore` (default), `prepend` or `split`. */
  basepath?: string;
}

/** The settings of a RestApi a document states; absent members are not stated. */
export interface ApiSettings {
  name: string;
  description?: string;
  version?: string;
  apiKeySource?: "HEADER" | "AUTHORIZER";
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  policy?: string;
  disableExecuteApiEndpoint?: boolean;
  corsConfiguration?: CorsConfiguration;
}

export interface ImportPlan {
  settings: ApiSettings;
  /** Resource path to the methods the document defines there (integrations without a cacheNamespace yet). */
  routes: Map<string, Record<string, Method>>;
  /** The document with `paths` keyed by resource path, so export and mocks find operations by resource. */
  definition: JsonObject;
  warnings: string[];
  /**
   * Authorizers, request validators, models and CORS the document declares. Methods' `authorizerId`
   * and `requestValidatorId` hold names until the service stores these and swaps in their ids.
   */
  policies: DocumentPolicies;
}

const INTEGRATION_KEY = "x-amazon-apigateway-integration";
const MAX_COMPRESSION_SIZE = 10_485_760;

/** Plans an import of a validated OpenAPI 3 document. Throws BadRequestError on anything API Gateway refuses. */
export function planImport(document: JsonObject, parameters: ImportParameters = {}): ImportPlan {
  const warnings: string[] = [];
  const base = basePathFor(document, parameters.basepath);
  const routes = new Map<string, Record<string, Method>>();
  const paths: JsonObject = {};
  const policies = new PolicyReader(document, warnings);
  const security = new SecurityReader(document, warnings, policies);
  for (const [docPath, rawItem] of Object.entries(objectOf(document.paths))) {
    if (docPath.startsWith("x-")) continue;
    const resourcePath = resourcePathOf(base, docPath);
    const item = objectOf(deref(document, rawItem));
    const methods = routes.get(resourcePath) ?? {};
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const key of OPERATION_KEYS) {
      const operation = item[key];
      if (!isObject(operation)) continue;
      if (key === "trace") {
        warnings.push(`TRACE ${resourcePath} was skipped: API Gateway has no TRACE methods`);
        continue;
      }
      const httpMethod = key === ANY_METHOD_KEY ? "ANY" : key.toUpperCase();
      const where = `${httpMethod} ${resourcePath}`;
      if (methods[httpMethod])
        throw new BadRequestError(`Invalid OpenAPI definition: ${where} is defined twice`);
      methods[httpMethod] = planMethod(
        document,
        operation,
        shared,
        httpMethod,
        where,
        security,
        policies,
        warnings,
      );
    }
    routes.set(resourcePath, methods);
    paths[resourcePath] = { ...objectOf(paths[resourcePath]), ...item };
  }
  const settings = settingsOf(document);
  if (policies.policies.corsConfiguration) settings.corsConfiguration = policies.policies.corsConfiguration;
  return { settings, routes, definition: { ...document, paths }, warnings, policies: policies.policies };
}

function planMethod(
  document: JsonObject,
  operation: JsonObject,
  sharedParameters: unknown[],
  httpMethod: string,
  where: string,
  security: SecurityReader,
  policies: PolicyReader,
  warnings: string[],
): Method {
  const auth = security.methodAuth(operation);
  const operationName = stringOf(operation.operationId);
  const method = buildMethod(
    httpMethod,
    {
      ...auth,
      requestValidatorId: policies.operationValidator(operation, where),
      requestModels: policies.requestModels(operation, where, operationName),
      operationName,
      requestParameters: requestParametersOf(document, [
        ...sharedParameters,
        ...asArray(operation.parameters),
      ]),
      methodResponses: methodResponsesOf(document, operation),
    },
    where,
  );
  const extension = deref(document, operation[INTEGRATION_KEY]);
  if (extension === undefined) {
    warnings.push(`${where} has no ${INTEGRATION_KEY}: the method was imported without an integration`);
    return method;
  }
  if (!isObject(extension)) throw new BadRequestError(`${INTEGRATION_KEY} must be an object (at ${where})`);
  return { ...method, methodIntegration: buildIntegration(integrationInput(extension, where), { where }) };
}

/** `method.request.{path|querystring|header}.{name}`: path parameters are always required. */
function requestParametersOf(document: JsonObject, parameters: unknown[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const raw of parameters) {
    const p = objectOf(deref(document, raw));
    const location = { path: "path", query: "querystring", header: "header" }[String(p.in)];
    if (!location || typeof p.name !== "string") continue;
    out[`method.request.${location}.${p.name}`] = location === "path" || p.required === true;
  }
  return out;
}

function methodResponsesOf(document: JsonObject, operation: JsonObject): Record<string, MethodResponse> {
  const out: Record<string, MethodResponse> = {};
  for (const [code, raw] of Object.entries(objectOf(operation.responses))) {
    if (!/^\d{3}$/.test(code)) continue;
    const headers = Object.entries(objectOf(objectOf(deref(document, raw)).headers));
    out[code] = {
      statusCode: code,
      ...(headers.length
        ? {
            responseParameters: Object.fromEntries(
              headers.map(([name, h]) => [`method.response.header.${name}`, objectOf(h).required === true]),
            ),
          }
        : {}),
    };
  }
  return out;
}

function integrationInput(extension: JsonObject, where: string): IntegrationInput {
  const timeout = extension.timeoutInMillis;
  return {
    type: stringOf(extension.type),
    httpMethod: stringOf(extension.httpMethod),
    uri: stringOf(extension.uri),
    connectionType: stringOf(extension.connectionType),
    connectionId: stringOf(extension.connectionId),
    credentials: stringOf(extension.credentials),
    requestParameters: stringMap(extension.requestParameters),
    requestTemplates: stringMap(extension.requestTemplates),
    passthroughBehavior: stringOf(extension.passthroughBehavior),
    contentHandling: stringOf(extension.contentHandling),
    timeoutInMillis:
      typeof timeout === "number" || typeof timeout === "string"
        ? timeout
        : timeout === undefined
          ? undefined
          : String(timeout),
    cacheNamespace: stringOf(extension.cacheNamespace),
    cacheKeyParameters: Array.isArray(extension.cacheKeyParameters)
      ? extension.cacheKeyParameters.map(String)
      : undefined,
    tlsConfig: isObject(extension.tlsConfig)
      ? { insecureSkipVerification: extension.tlsConfig.insecureSkipVerification === true }
      : undefined,
    integrationResponses: integrationResponsesOf(extension.responses, where),
  };
}

/** `responses` are keyed by selection pattern (`default` for none); the shape keys them by status code. */
function integrationResponsesOf(
  responses: unknown,
  where: string,
): Record<string, IntegrationResponse> | undefined {
  if (!isObject(responses)) return undefined;
  const out: Record<string, IntegrationResponse> = {};
  for (const [pattern, raw] of Object.entries(responses)) {
    const response = objectOf(raw);
    const statusCode = stringOf(response.statusCode);
    if (!statusCode || !/^[1-5]\d\d$/.test(statusCode)) {
      throw new BadRequestError(
        `${INTEGRATION_KEY}.responses['${pattern}'] needs a statusCode such as "200" (at ${where})`,
      );
    }
    out[statusCode] = dropUndefined({
      statusCode,
      selectionPattern: pattern === "default" ? undefined : pattern,
      responseParameters: stringMap(response.responseParameters),
      responseTemplates: stringMap(response.responseTemplates),
      contentHandling: stringOf(response.contentHandling),
    });
  }
  return out;
}

/**
 * Reads the security an operation is under (its own `security`, else the document's): an apiKey
 * scheme in the `x-api-key` header makes the API key required; a scheme carrying an
 * `x-amazon-apigateway-authorizer` makes its authorizer the method's (by the scheme's name).
 */
class SecurityReader {
  private readonly schemes: JsonObject;
  private readonly warned = new Set<string>();

  constructor(
    private readonly document: JsonObject,
    private readonly warnings: string[],
    private readonly policies: PolicyReader,
  ) {
    this.schemes = objectOf(objectOf(document.components).securitySchemes);
  }

  methodAuth(operation: JsonObject) {
    const requirements = Array.isArray(operation.security)
      ? operation.security
      : asArray(this.document.security);
    let apiKeyRequired = false;
    let authorizationType = "NONE";
    let authorizationScopes: string[] | undefined;
    let authorizerId: string | undefined;
    for (const requirement of requirements) {
      for (const [name, scopes] of Object.entries(objectOf(requirement))) {
        const scheme = objectOf(deref(this.document, this.schemes[name]));
        if (!Object.keys(scheme).length)
          this.warnOnce(name, `Security scheme '${name}' is referenced but not defined`);
        if (isApiKeyHeader(scheme)) apiKeyRequired = true;
        const type = this.authorizationTypeOf(name, scheme);
        if (type) {
          authorizationType = type;
          if (type !== "AWS_IAM") authorizerId = name;
          if (type === "COGNITO_USER_POOLS" && Array.isArray(scopes) && scopes.length) {
            authorizationScopes = scopes.map(String);
          }
        }
      }
    }
    return { apiKeyRequired, authorizationType, authorizationScopes, authorizerId };
  }

  private authorizationTypeOf(name: string, scheme: JsonObject): string | undefined {
    const authorizer = this.policies.authorizer(name, scheme);
    if (authorizer) {
      return authorizer.type === "COGNITO_USER_POOLS" || authorizer.type === "JWT"
        ? "COGNITO_USER_POOLS"
        : "CUSTOM";
    }
    if (String(scheme["x-amazon-apigateway-authtype"]).toLowerCase() === "awssigv4") return "AWS_IAM";
    return undefined;
  }

  private warnOnce(name: string, message: string): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.warnings.push(message);
  }
}

/** Whether a security scheme is API Gateway's API key: type apiKey, in header, named x-api-key. */
export function isApiKeyHeader(scheme: JsonObject): boolean {
  return (
    scheme.type === "apiKey" && scheme.in === "header" && String(scheme.name).toLowerCase() === "x-api-key"
  );
}

function settingsOf(document: JsonObject): ApiSettings {
  const info = objectOf(document.info);
  const keySource = document["x-amazon-apigateway-api-key-source"];
  const binary = document["x-amazon-apigateway-binary-media-types"];
  const compression = document["x-amazon-apigateway-minimum-compression-size"];
  const policy = document["x-amazon-apigateway-policy"];
  const endpoint = objectOf(document["x-amazon-apigateway-endpoint-configuration"]);
  const settings: ApiSettings = {
    name: String(info.title),
    description: stringOf(info.description),
    version: stringOf(info.version),
  };
  if (keySource !== undefined) {
    const value = String(keySource).toUpperCase();
    if (value !== "HEADER" && value !== "AUTHORIZER") {
      throw new BadRequestError(
        `Invalid x-amazon-apigateway-api-key-source '${keySource}': expected HEADER or AUTHORIZER`,
      );
    }
    settings.apiKeySource = value;
  }
  if (binary !== undefined) {
    if (!Array.isArray(binary))
      throw new BadRequestError("x-amazon-apigateway-binary-media-types must be a list of media types");
    settings.binaryMediaTypes = binary.map(String);
  }
  if (compression !== undefined) {
    const n = Number(compression);
    if (!Number.isInteger(n) || n < 0 || n > MAX_COMPRESSION_SIZE) {
      throw new BadRequestError(
        `Invalid x-amazon-apigateway-minimum-compression-size '${compression}': must be between 0 and ${MAX_COMPRESSION_SIZE}`,
      );
    }
    settings.minimumCompressionSize = n;
  }
  if (policy !== undefined) {
    settings.policy = typeof policy === "string" ? policy : JSON.stringify(policy);
    parseResourcePolicy(settings.policy);
  }
  if (typeof endpoint.disableExecuteApiEndpoint === "boolean") {
    settings.disableExecuteApiEndpoint = endpoint.disableExecuteApiEndpoint;
  }
  return settings;
}

/**
 * The base path AWS reads from a document: the first server's `basePath` variable, else the
 * path of the first server URL (Swagger 2.0's `basePath` arrives here as a server).
 */
function documentBasePath(document: JsonObject): string {
  const servers = asArray(document.servers).map(objectOf);
  for (const server of servers) {
    const variable = objectOf(objectOf(server.variables).basePath);
    if (variable.default !== undefined) return String(variable.default);
  }
  const first = servers[0];
  if (!first || typeof first.url !== "string") return "";
  const variables = objectOf(first.variables);
  const url = first.url.replace(/\{([^}]+)\}/g, (_, name: string) =>
    String(objectOf(variables[name]).default ?? ""),
  );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.startsWith("//")) {
    try {
      return new URL(url.startsWith("//") ? `http:${url}` : url).pathname;
    } catch {
      return "";
    }
  }
  return url.split("?")[0] ?? "";
}

function basePathFor(document: JsonObject, mode = "ignore"): string[] {
  const segments = pathSegments(documentBasePath(document));
  switch (mode.toLowerCase()) {
    case "ignore":
      return [];
    case "prepend":
      return segments;
    // The first segment names a stage; the rest prefixes every path.
    case "split":
      return segments.slice(1);
    default:
      throw new BadRequestError(`Invalid basepath '${mode}': expected ignore, prepend or split`);
  }
}

function resourcePathOf(base: string[], docPath: string): string {
  if (!docPath.startsWith("/")) {
    throw new BadRequestError(`Invalid OpenAPI definition: path '${docPath}' must start with '/'`);
  }
  const segments = [...base, ...pathSegments(docPath)];
  segments.forEach((part, i) => {
    validatePathPart(part, docPath);
    if (part.endsWith("+}") && i < segments.length - 1) {
      throw new BadRequestError(
        `Invalid path '${docPath}': the greedy path variable ${part} must be the last part of a path`,
      );
    }
  });
  return `/${segments.join("/")}`;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * The stored document after a merge: the new document's info and settings, every path of both
 * (operations of the new one replacing the old ones), and components merged entry by entry.
 */
export function mergeDefinitions(previous: JsonObject, next: JsonObject): JsonObject {
  const paths: JsonObject = { ...objectOf(previous.paths) };
  for (const [path, item] of Object.entries(objectOf(next.paths))) {
    paths[path] = { ...objectOf(paths[path]), ...objectOf(item) };
  }
  const components: JsonObject = { ...objectOf(previous.components) };
  for (const [section, entries] of Object.entries(objectOf(next.components))) {
    components[section] = { ...objectOf(components[section]), ...objectOf(entries) };
  }
  return { ...previous, ...next, paths, ...(Object.keys(components).length ? { components } : {}) };
}
