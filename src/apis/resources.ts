/**
 * The rules of an API's resource tree, methods and integrations, shared by the hand-made
 * operations (CreateResource, PutMethod, PutIntegration, their updates) and OpenAPI import, so
 * that a document and a CLI call are held to the same checks and produce the same shapes.
 */
import { BadRequestError, ConflictError } from "../core/errors.js";
import {
  type PatchOperation,
  patchBoolean,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import type { Integration, IntegrationResponse, Method, MethodResponse, Resource } from "./model.js";

/** Verbs a method can have; ANY matches every verb. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"] as const;

/** Integration types the gateway can run (AWS and AWS_PROXY call AWS services, which Tollgate does not). */
export const INTEGRATION_TYPES = ["HTTP", "HTTP_PROXY", "MOCK"] as const;

const AUTHORIZATION_TYPES = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];
const PASSTHROUGH_BEHAVIORS = ["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"];
const CONTENT_HANDLINGS = ["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"];
export const DEFAULT_TIMEOUT_MS = 29_000;
const MIN_TIMEOUT_MS = 50;

/** A resource as the service holds it in memory: the row's fields, methods parsed. */
export interface ResourceNode {
  id: string;
  parentId: string | null;
  pathPart: string | null;
  path: string;
  methods: Record<string, Method>;
}

// AWS's rule: letters, digits, `._-`, or one `{name}` / `{name+}` variable filling the whole part.
const PATH_PART = /^(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\+?\})$/;

export const isVariablePart = (part: string | null): boolean => !!part && part.startsWith("{");
export const isGreedyPart = (part: string | null): boolean => !!part && part.endsWith("+}");

/** Checks a path part (`pets`, `{petId}`, `{proxy+}`); `where` names the path in import messages. */
export function validatePathPart(part: string, where?: string): void {
  if (!PATH_PART.test(part)) {
    throw new BadRequestError(
      `Invalid path part '${part}'${where ? ` in path '${where}'` : ""}: a resource's path part only allows a-zA-Z0-9._- and curly braces at the beginning and the end, with an optional plus sign before the closing brace`,
    );
  }
}

/** The path segments of a resource path: `/pets/{id}/` gives `["pets", "{id}"]`. */
export function pathSegments(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

export function joinPath(parentPath: string, part: string): string {
  return parentPath === "/" ? `/${part}` : `${parentPath}/${part}`;
}

/**
 * An API's resources indexed by path and id. Adding children applies AWS's rules: no child
 * under a greedy `{x+}` part, at most one variable part among siblings, unique names (409).
 */
export class ResourceTree {
  private readonly byPath = new Map<string, ResourceNode>();
  private readonly byId = new Map<string, ResourceNode>();

  constructor(nodes: ResourceNode[]) {
    for (const node of nodes) this.put(node);
  }

  all(): ResourceNode[] {
    return [...this.byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  get(id: string): ResourceNode | undefined {
    return this.byId.get(id);
  }

  children(id: string): ResourceNode[] {
    return [...this.byId.values()].filter((n) => n.parentId === id);
  }

  /** The node and everything below it. */
  subtree(id: string): ResourceNode[] {
    const root = this.byId.get(id);
    if (!root) return [];
    return this.all().filter(
      (n) => n.id === id || n.path.startsWith(root.path === "/" ? "/" : `${root.path}/`),
    );
  }

  /** Adds a child after checking AWS's rules against the parent and its current children. */
  addChild(parent: ResourceNode, part: string, id: string, where?: string): ResourceNode {
    this.checkChild(parent, part, where);
    const node = { id, parentId: parent.id, pathPart: part, path: joinPath(parent.path, part), methods: {} };
    this.put(node);
    return node;
  }

  /** The resource at `path`, creating it and any missing ancestors (import: every prefix is a resource). */
  ensurePath(path: string, newId: () => string): ResourceNode {
    let node = this.byPath.get("/");
    if (!node) throw new Error("resource tree has no root");
    for (const part of pathSegments(path)) {
      node = this.byPath.get(joinPath(node.path, part)) ?? this.addChild(node, part, newId(), path);
    }
    return node;
  }

  /** Checks that `part` may be added under `parent` (or that `self` may be renamed/moved there). */
  checkChild(parent: ResourceNode, part: string, where?: string, self?: ResourceNode): void {
    validatePathPart(part, where);
    const context = where ? ` (path '${where}')` : "";
    if (isGreedyPart(parent.pathPart)) {
      throw new BadRequestError(
        `Cannot create a child of a resource with a greedy path variable: ${parent.pathPart}${context}`,
      );
    }
    const siblings = this.children(parent.id).filter((s) => s.id !== self?.id);
    if (siblings.some((s) => s.pathPart === part)) {
      throw new ConflictError(
        `Another resource with the same parent already has this name: ${part}${context}`,
      );
    }
    if (self && isGreedyPart(part) && this.children(self.id).length) {
      throw new BadRequestError(`A resource with children cannot take the greedy path variable ${part}`);
    }
    const variable = siblings.find((s) => isVariablePart(s.pathPart));
    if (isVariablePart(part) && variable) {
      throw new BadRequestError(
        `A sibling (${variable.pathPart}) of this resource already has a variable path part -- only one is allowed${context}`,
      );
    }
  }

  /** Moves or renames a node, rewriting the paths of everything below it. */
  relocate(node: ResourceNode, parent: ResourceNode, part: string): void {
    const moved = this.subtree(node.id);
    const oldPath = node.path;
    const newPath = joinPath(parent.path, part);
    for (const n of moved) this.byPath.delete(n.path);
    node.parentId = parent.id;
    node.pathPart = part;
    for (const n of moved) {
      n.path = newPath + n.path.slice(oldPath.length);
      this.put(n);
    }
  }

  remove(nodes: ResourceNode[]): void {
    for (const n of nodes) {
      this.byPath.delete(n.path);
      this.byId.delete(n.id);
    }
  }

  private put(node: ResourceNode): void {
    this.byPath.set(node.path, node);
    this.byId.set(node.id, node);
  }
}

/** A Resource in API Gateway's shape; without `embed` the methods are listed by verb only, as AWS does. */
export function toResource(node: ResourceNode, embedMethods: boolean): Resource {
  const verbs = Object.keys(node.methods).sort();
  return {
    id: node.id,
    ...(node.parentId !== null ? { parentId: node.parentId } : {}),
    ...(node.pathPart !== null ? { pathPart: node.pathPart } : {}),
    path: node.path,
    ...(verbs.length
      ? {
          resourceMethods: Object.fromEntries(
            verbs.map((v) => [v, embedMethods ? node.methods[v]! : ({} as Method)]),
          ),
        }
      : {}),
  };
}

/** What PutMethod and an OpenAPI operation say about a method. */
export interface MethodInput {
  authorizationType?: string;
  authorizerId?: string;
  apiKeyRequired?: boolean;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  requestValidatorId?: string;
  authorizationScopes?: string[];
  methodResponses?: Record<string, MethodResponse>;
}

/** Normalizes the verb of a path or document (`get`, `x-amazon-apigateway-any-method`). */
export function httpMethodOf(verb: string): string {
  const upper = verb.toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(upper)) {
    throw new BadRequestError(
      `Invalid HttpMethod specified: '${verb}'. Valid options are ${HTTP_METHODS.join(",")}`,
    );
  }
  return upper;
}

const REQUEST_PARAMETER =
  /^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/;

/** Builds a Method after checking its fields; `where` (`GET /pets`) prefixes messages from import. */
export function buildMethod(httpMethod: string, input: MethodInput, where?: string): Method {
  const authorizationType = (input.authorizationType ?? "NONE").toUpperCase();
  if (!AUTHORIZATION_TYPES.includes(authorizationType)) {
    throw invalid(
      where,
      `Invalid authorizationType '${input.authorizationType}': expected one of ${AUTHORIZATION_TYPES.join(", ")}`,
    );
  }
  const names = new Set<string>();
  for (const key of Object.keys(input.requestParameters ?? {})) {
    const match = REQUEST_PARAMETER.exec(key);
    if (!match) {
      throw invalid(
        where,
        `Invalid request parameter '${key}': expected method.request.{path|querystring|header}.{name}`,
      );
    }
    if (names.has(match[2]!)) {
      throw invalid(
        where,
        `Parameter names must be unique across querystring, header and path: '${match[2]}'`,
      );
    }
    names.add(match[2]!);
  }
  return dropUndefined({
    httpMethod,
    authorizationType,
    authorizerId: input.authorizerId,
    apiKeyRequired: input.apiKeyRequired ?? false,
    requestValidatorId: input.requestValidatorId,
    operationName: input.operationName,
    requestParameters: nonEmpty(input.requestParameters),
    requestModels: nonEmpty(input.requestModels),
    methodResponses: nonEmpty(input.methodResponses),
    authorizationScopes: input.authorizationScopes?.length ? input.authorizationScopes : undefined,
  }) as Method;
}

/** What PutIntegration and `x-amazon-apigateway-integration` say about an integration. */
export interface IntegrationInput {
  type?: string;
  httpMethod?: string;
  uri?: string;
  connectionType?: string;
  connectionId?: string;
  credentials?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior?: string;
  contentHandling?: string;
  timeoutInMillis?: number | string;
  cacheNamespace?: string;
  cacheKeyParameters?: string[];
  tlsConfig?: { insecureSkipVerification?: boolean };
  integrationResponses?: Record<string, IntegrationResponse>;
}

const INTEGRATION_PARAMETER =
  /^integration\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/;

/**
 * Builds an Integration after checking it: type HTTP, HTTP_PROXY or MOCK; an absolute http(s)
 * `uri` for HTTP types (it may hold `{param}` and `${stageVariables.name}`); a timeout of 50 to
 * 29,000 ms (29,000 by default). Values are kept verbatim; the gateway substitutes them per call.
 */
export function buildIntegration(
  input: IntegrationInput,
  context: { resourceId?: string; where?: string } = {},
): Integration {
  const { resourceId, where } = context;
  const type = integrationType(input.type, where);
  const http = type !== "MOCK";
  const httpMethod = input.httpMethod === undefined || input.httpMethod === "" ? undefined : input.httpMethod;
  if (http && !httpMethod) {
    throw invalid(
      where,
      `Enumeration value for HttpMethod must be non-empty: integration type ${type} needs httpMethod`,
    );
  }
  if (http) checkUri(input.uri, where);
  if (input.connectionType !== undefined && input.connectionType.toUpperCase() !== "INTERNET") {
    throw invalid(
      where,
      `Invalid connectionType '${input.connectionType}': Tollgate supports INTERNET only (no VPC links)`,
    );
  }
  for (const key of Object.keys(input.requestParameters ?? {})) {
    if (!INTEGRATION_PARAMETER.test(key)) {
      throw invalid(
        where,
        `Invalid integration request parameter '${key}': expected integration.request.{path|querystring|header}.{name}`,
      );
    }
  }
  return dropUndefined({
    type,
    httpMethod: httpMethod === undefined ? undefined : checkVerb(httpMethod, where),
    uri: http ? input.uri : undefined,
    connectionType: http ? "INTERNET" : undefined,
    credentials: input.credentials,
    requestParameters: nonEmpty(input.requestParameters),
    requestTemplates: nonEmpty(input.requestTemplates),
    passthroughBehavior: oneOf(
      "passthroughBehavior",
      input.passthroughBehavior ?? "WHEN_NO_MATCH",
      PASSTHROUGH_BEHAVIORS,
      where,
    ),
    contentHandling:
      input.contentHandling === undefined
        ? undefined
        : oneOf("contentHandling", input.contentHandling, CONTENT_HANDLINGS, where),
    timeoutInMillis: timeout(input.timeoutInMillis, where),
    // AWS answers with the resource id as the cache namespace and an empty key list when unset.
    cacheNamespace: input.cacheNamespace || resourceId || undefined,
    cacheKeyParameters: input.cacheKeyParameters ?? [],
    tlsConfig: input.tlsConfig,
    integrationResponses: nonEmpty(input.integrationResponses),
  }) as Integration;
}

function integrationType(raw: string | undefined, where?: string): Integration["type"] {
  const type = (raw ?? "").toUpperCase();
  if (type === "AWS" || type === "AWS_PROXY") {
    throw invalid(
      where,
      `Integration type ${type} is not supported by Tollgate: it calls AWS services; use HTTP, HTTP_PROXY or MOCK`,
    );
  }
  if (!(INTEGRATION_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      where,
      `Invalid integration type '${raw ?? ""}': expected one of ${INTEGRATION_TYPES.join(", ")}`,
    );
  }
  return type as Integration["type"];
}

function checkVerb(verb: string, where?: string): string {
  try {
    return httpMethodOf(verb);
  } catch (error) {
    throw invalid(where, (error as Error).message.replace("HttpMethod", "integration httpMethod"));
  }
}

function checkUri(uri: string | undefined, where?: string): void {
  if (!uri) throw invalid(where, "An integration of type HTTP or HTTP_PROXY needs a uri");
  // Placeholders stand for values known only per request or per stage.
  const concrete = uri
    .replace(/\$\{stageVariables\.[A-Za-z0-9_]+\}/g, "stagevar")
    .replace(/\{[^{}]+\}/g, "param");
  let url: URL | undefined;
  try {
    url = new URL(concrete);
  } catch {}
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || concrete.includes("$")) {
    throw invalid(
      where,
      `Invalid integration uri '${uri}': expected an absolute http(s) URL such as https://backend.example.com/pets/{id}`,
    );
  }
}

function timeout(raw: number | string | undefined, where?: string): number {
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_TIMEOUT_MS || n > DEFAULT_TIMEOUT_MS) {
    throw invalid(
      where,
      `Invalid timeoutInMillis ${JSON.stringify(raw)}: must be an integer from ${MIN_TIMEOUT_MS} to ${DEFAULT_TIMEOUT_MS}`,
    );
  }
  return n;
}

function oneOf(field: string, raw: string, allowed: string[], where?: string): string {
  const value = raw.toUpperCase();
  if (!allowed.includes(value)) {
    throw invalid(where, `Invalid ${field} '${raw}': expected one of ${allowed.join(", ")}`);
  }
  return value;
}

/** Applies UpdateMethod's patch operations; the result is checked like a PutMethod. */
export function patchMethod(method: Method, operations: PatchOperation[]): Method {
  const next: MethodInput = structuredClone(method);
  for (const op of operations) {
    const [field, ...rest] = patchSegments(op.path);
    const key = rest.join("/");
    const setting = op.op === "add" || op.op === "replace";
    if (op.op === "replace" && !rest.length && field === "authorizationType")
      next.authorizationType = patchValue(op);
    else if (op.op === "replace" && !rest.length && field === "authorizerId")
      next.authorizerId = op.value || undefined;
    else if (op.op === "replace" && !rest.length && field === "apiKeyRequired")
      next.apiKeyRequired = patchBoolean(op);
    else if (op.op === "replace" && !rest.length && field === "operationName")
      next.operationName = op.value || undefined;
    else if (op.op === "replace" && !rest.length && field === "requestValidatorId")
      next.requestValidatorId = op.value || undefined;
    else if (key && field === "requestParameters")
      next.requestParameters = patchMap(next.requestParameters, key, setting ? patchBoolean(op) : undefined);
    else if (key && field === "requestModels")
      next.requestModels = patchMap(next.requestModels, key, setting ? patchValue(op) : undefined);
    else if (key && field === "authorizationScopes" && (op.op === "add" || op.op === "remove"))
      next.authorizationScopes = patchList(
        next.authorizationScopes,
        op.op === "add" ? patchValue(op) : key,
        op.op,
      );
    else
      throw unsupportedPatch(op, [
        "/authorizationType",
        "/authorizerId",
        "/apiKeyRequired",
        "/operationName",
        "/requestValidatorId",
        "/requestParameters/{name}",
        "/requestModels/{contentType}",
        "/authorizationScopes/{scope}",
      ]);
  }
  return buildMethod(method.httpMethod, next);
}

/** Applies UpdateIntegration's patch operations; the result is checked like a PutIntegration. */
export function patchIntegration(
  integration: Integration,
  operations: PatchOperation[],
  resourceId: string,
): Integration {
  const next: IntegrationInput = structuredClone(integration);
  for (const op of operations) {
    const [field, ...rest] = patchSegments(op.path);
    const key = rest.join("/");
    const setting = op.op === "add" || op.op === "replace";
    const scalar = op.op === "replace" && !rest.length;
    if (scalar && (field === "type" || field === "httpMethod" || field === "uri"))
      next[field] = patchValue(op);
    else if (
      scalar &&
      (field === "passthroughBehavior" || field === "contentHandling" || field === "cacheNamespace")
    )
      next[field] = op.value || undefined;
    else if (scalar && field === "connectionType") next.connectionType = patchValue(op);
    else if (scalar && field === "timeoutInMillis") next.timeoutInMillis = patchNumber(op, { integer: true });
    else if (field === "tlsConfig" && key === "insecureSkipVerification" && setting)
      next.tlsConfig = { insecureSkipVerification: patchBoolean(op) };
    else if (key && field === "requestParameters")
      next.requestParameters = patchMap(next.requestParameters, key, setting ? patchValue(op) : undefined);
    else if (key && field === "requestTemplates")
      next.requestTemplates = patchMap(next.requestTemplates, key, setting ? (op.value ?? "") : undefined);
    else if (key && field === "cacheKeyParameters" && (op.op === "add" || op.op === "remove"))
      next.cacheKeyParameters = patchList(next.cacheKeyParameters, key, op.op) ?? [];
    else
      throw unsupportedPatch(op, [
        "/type",
        "/httpMethod",
        "/uri",
        "/connectionType",
        "/passthroughBehavior",
        "/contentHandling",
        "/cacheNamespace",
        "/timeoutInMillis",
        "/tlsConfig/insecureSkipVerification",
        "/requestParameters/{name}",
        "/requestTemplates/{contentType}",
        "/cacheKeyParameters/{name}",
      ]);
  }
  return buildIntegration(next, { resourceId });
}

function patchMap<T>(
  map: Record<string, T> | undefined,
  key: string,
  value: T | undefined,
): Record<string, T> {
  const next = { ...(map ?? {}) };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

function patchList(list: string[] | undefined, item: string, op: "add" | "remove"): string[] | undefined {
  const rest = (list ?? []).filter((x) => x !== item);
  return op === "add" ? [...rest, item] : rest;
}

function invalid(where: string | undefined, message: string): BadRequestError {
  return new BadRequestError(where ? `${message} (at ${where})` : message);
}

function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value && Object.keys(value).length ? value : undefined;
}

/** Drops undefined members so stored and returned shapes carry only what is set, as AWS's do. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
