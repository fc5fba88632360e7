/**
 * Authorizers of a REST API (API Gateway's Authorizer resource): their rules, shared by
 * CreateAuthorizer, UpdateAuthorizer and OpenAPI import, and the service that stores them.
 * Methods name an authorizer by id; a deployment freezes the API's authorizers with its methods.
 */
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import type { Authorizer, AuthorizerType, JwtConfiguration, Method } from "./model.js";
import { syncByName } from "./sync-by-name.js";

/** What CreateAuthorizer and `x-amazon-apigateway-authorizer` give; checked by `checkAuthorizer`. */
export interface AuthorizerInput {
  name: string;
  type: string;
  providerARNs?: string[];
  authType?: string;
  authorizerUri?: string;
  authorizerCredentials?: string;
  identitySource?: string;
  identityValidationExpression?: string;
  authorizerResultTtlInSeconds?: number;
  jwtConfiguration?: JwtConfiguration;
}

/** TestInvokeAuthorizer's simulated request (API Gateway's TestInvokeAuthorizerRequest body). */
export interface AuthorizerTestRequest {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  /** The path below the stage with its query string, from `/`. */
  pathWithQueryString?: string;
  body?: string;
  stageVariables?: Record<string, string>;
  additionalContext?: Record<string, string>;
}

/** What TestInvokeAuthorizer answers (API Gateway's TestInvokeAuthorizerResponse). */
export interface AuthorizerTestResult {
  /** The status a client would have got: 200 allowed, 401, 403 or 500. */
  clientStatus: number;
  log: string;
  /** Milliseconds the authorizer took. */
  latency: number;
  principalId?: string;
  /** The policy document the authorizer returned, as JSON text. */
  policy?: string;
  authorization?: Record<string, string[]>;
  /** A JWT's verified claims. */
  claims?: Record<string, string>;
}

/**
 * Runs an authorizer once on a simulated request, past any answer cache. The gateway provides it
 * (its own evaluation), so that this part never imports an edge.
 */
export type AuthorizerTester = (
  restApiId: string,
  authorizer: Authorizer,
  request: AuthorizerTestRequest,
) => Promise<AuthorizerTestResult>;

/** One identity source: where a request carries (part of) its identity. */
export interface IdentitySourcePart {
  in: "header" | "querystring" | "stageVariable";
  /** Header names lower-cased; query and stage variable names as written. */
  name: string;
}

const TYPES: AuthorizerType[] = ["TOKEN", "REQUEST", "COGNITO_USER_POOLS", "JWT"];
const DEFAULT_TTL_S = 300;
const MAX_TTL_S = 3600;
const DEFAULT_TOKEN_SOURCE = "method.request.header.Authorization";
const LAMBDA_URI = /^arn:aws[\w-]*:apigateway:/;
const COGNITO_ARN = /^arn:aws[\w-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool\/([\w-]+)$/;
const SOURCE = /^(?:method\.request\.(header|querystring)\.([^\s,]+)|stageVariables\.([A-Za-z0-9_]+))$/;
// The HTTP API's form, which OpenAPI documents for JWT authorizers use.
const HTTP_API_SOURCE = /^\$request\.(header|querystring)\.([^\s,]+)$/;

/** Which authorizer types a method's authorizationType may name. */
export const AUTHORIZER_TYPES_FOR: Record<string, AuthorizerType[]> = {
  CUSTOM: ["TOKEN", "REQUEST"],
  COGNITO_USER_POOLS: ["COGNITO_USER_POOLS", "JWT"],
};

/** A URL of http or https, or undefined when `value` is not one. */
function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Parses an identity source list; throws BadRequestError naming the bad entry. */
export function parseIdentitySource(text: string, where = "identitySource"): IdentitySourcePart[] {
  const parts: IdentitySourcePart[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    const http = HTTP_API_SOURCE.exec(entry);
    const m = SOURCE.exec(entry);
    if (http) parts.push(sourcePart(http[1]!, http[2]!));
    else if (m?.[3]) parts.push({ in: "stageVariable", name: m[3] });
    else if (m) parts.push(sourcePart(m[1]!, m[2]!));
    else {
      throw new BadRequestError(
        `Invalid ${where} '${entry}': expected method.request.header.<name>, method.request.querystring.<name> or stageVariables.<name>, separated by commas`,
      );
    }
  }
  return parts;
}

function sourcePart(location: string, name: string): IdentitySourcePart {
  return location === "header" ? { in: "header", name: name.toLowerCase() } : { in: "querystring", name };
}

/**
 * The issuer a COGNITO_USER_POOLS provider stands for: a user pool ARN gives Cognito's issuer
 * URL; an http(s) URL (Tollgate's extension) is the issuer itself.
 */
export function providerIssuer(provider: string): string | undefined {
  const cognito = COGNITO_ARN.exec(provider);
  if (cognito) return `https://cognito-idp.${cognito[1]}.amazonaws.com/${cognito[2]}`;
  return httpUrl(provider) ? provider.replace(/\/+$/, "") : undefined;
}

/**
 * Checks an authorizer and fills AWS's defaults. `lenient` (OpenAPI import) lets an
 * `authorizerUri` that names a Lambda function through: AWS documents carry them, the gateway
 * answers 500 for its methods until the URI is an http(s) URL. Throws BadRequestError.
 */
export function checkAuthorizer(input: AuthorizerInput, lenient = false): Omit<Authorizer, "id"> {
  const where = `authorizer '${input.name}'`;
  if (!input.name?.trim()) throw new BadRequestError("Invalid authorizer name: it cannot be empty");
  const type = String(input.type ?? "").toUpperCase() as AuthorizerType;
  if (!TYPES.includes(type)) {
    throw new BadRequestError(
      `Invalid type '${input.type}' of ${where}: expected one of ${TYPES.join(", ")}`,
    );
  }
  const ttl = input.authorizerResultTtlInSeconds ?? DEFAULT_TTL_S;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_S) {
    throw new BadRequestError(
      `Invalid authorizerResultTtlInSeconds ${input.authorizerResultTtlInSeconds} of ${where}: expected a whole number of seconds from 0 to ${MAX_TTL_S}`,
    );
  }
  const out: Omit<Authorizer, "id"> = { name: input.name, type, authorizerResultTtlInSeconds: ttl };
  if (input.authType) out.authType = input.authType;
  if (input.authorizerCredentials) out.authorizerCredentials = input.authorizerCredentials;

  let identitySource = input.identitySource?.trim() || undefined;
  if (!identitySource && type !== "REQUEST") identitySource = DEFAULT_TOKEN_SOURCE;
  if (identitySource) {
    const parts = parseIdentitySource(identitySource, `identitySource of ${where}`);
    if (type !== "REQUEST" && (parts.length !== 1 || parts[0]!.in !== "header")) {
      throw new BadRequestError(
        `Invalid identitySource '${identitySource}' of ${where}: a ${type} authorizer reads one header, like ${DEFAULT_TOKEN_SOURCE}`,
      );
    }
    out.identitySource = identitySource;
  } else if (ttl > 0) {
    throw new BadRequestError(
      `A REQUEST authorizer with caching (authorizerResultTtlInSeconds ${ttl}) needs an identitySource: the cache is keyed by it (${where})`,
    );
  }
  if (input.identityValidationExpression) {
    if (type !== "TOKEN") {
      throw new BadRequestError(`identityValidationExpression applies to TOKEN authorizers only (${where})`);
    }
    try {
      new RegExp(input.identityValidationExpression);
    } catch (error) {
      throw new BadRequestError(
        `Invalid identityValidationExpression of ${where}: ${(error as Error).message}`,
      );
    }
    out.identityValidationExpression = input.identityValidationExpression;
  }

  if (type === "TOKEN" || type === "REQUEST") {
    const uri = input.authorizerUri?.trim();
    if (!uri) throw new BadRequestError(`A ${type} authorizer needs an authorizerUri (${where})`);
    if (!httpUrl(uri) && !(lenient && LAMBDA_URI.test(uri))) {
      throw new BadRequestError(
        LAMBDA_URI.test(uri)
          ? `Invalid authorizerUri of ${where}: Tollgate cannot invoke Lambda functions; give the http(s) URL of an endpoint that answers as a Lambda authorizer does`
          : `Invalid authorizerUri '${uri}' of ${where}: expected an http or https URL`,
      );
    }
    out.authorizerUri = uri;
  } else if (input.authorizerUri) {
    throw new BadRequestError(`authorizerUri applies to TOKEN and REQUEST authorizers only (${where})`);
  }

  if (type === "COGNITO_USER_POOLS") {
    const providers = input.providerARNs ?? [];
    if (!providers.length) {
      throw new BadRequestError(
        `A COGNITO_USER_POOLS authorizer needs providerARNs: user pool ARNs or issuer URLs (${where})`,
      );
    }
    for (const provider of providers) {
      if (!providerIssuer(provider)) {
        throw new BadRequestError(
          `Invalid provider '${provider}' of ${where}: expected arn:aws:cognito-idp:<region>:<account>:userpool/<id> or an issuer's http(s) URL`,
        );
      }
    }
    out.providerARNs = providers;
  } else if (input.providerARNs?.length) {
    throw new BadRequestError(`providerARNs apply to COGNITO_USER_POOLS authorizers only (${where})`);
  }

  if (input.jwtConfiguration !== undefined) {
    if (type !== "JWT" && type !== "COGNITO_USER_POOLS") {
      throw new BadRequestError(
        `jwtConfiguration applies to JWT and COGNITO_USER_POOLS authorizers (${where})`,
      );
    }
    out.jwtConfiguration = checkJwtConfiguration(input.jwtConfiguration, type, where);
  } else if (type === "JWT") {
    throw new BadRequestError(`A JWT authorizer needs a jwtConfiguration with its issuer (${where})`);
  }
  return out;
}

function checkJwtConfiguration(
  config: JwtConfiguration,
  type: AuthorizerType,
  where: string,
): JwtConfiguration {
  const out: JwtConfiguration = {};
  if (config.issuer !== undefined) {
    if (!httpUrl(config.issuer))
      throw new BadRequestError(
        `Invalid jwtConfiguration.issuer '${config.issuer}' of ${where}: expected a URL`,
      );
    out.issuer = config.issuer;
  } else if (type === "JWT") {
    throw new BadRequestError(`A JWT authorizer needs jwtConfiguration.issuer (${where})`);
  }
  if (config.audience !== undefined) {
    if (!Array.isArray(config.audience) || config.audience.some((a) => typeof a !== "string" || !a)) {
      throw new BadRequestError(`Invalid jwtConfiguration.audience of ${where}: expected a list of strings`);
    }
    if (config.audience.length) out.audience = config.audience;
  }
  if (config.jwksUri !== undefined) {
    if (!httpUrl(config.jwksUri))
      throw new BadRequestError(
        `Invalid jwtConfiguration.jwksUri '${config.jwksUri}' of ${where}: expected a URL`,
      );
    out.jwksUri = config.jwksUri;
  }
  if (config.jwks !== undefined) {
    const keys = (config.jwks as { keys?: unknown } | null)?.keys;
    if (
      !Array.isArray(keys) ||
      !keys.length ||
      keys.some((k) => typeof k !== "object" || !k || !("kty" in k))
    ) {
      throw new BadRequestError(
        `Invalid jwtConfiguration.jwks of ${where}: expected {"keys": [JWK, ...]}, each key with its kty`,
      );
    }
    if (keys.some((k) => "d" in (k as object))) {
      throw new BadRequestError(
        `jwtConfiguration.jwks of ${where} holds a private key: give public keys only`,
      );
    }
    if (out.jwksUri) throw new BadRequestError(`Give jwksUri or jwks, not both (${where})`);
    out.jwks = { keys: keys as Array<Record<string, unknown>> };
  }
  if (config.tenantClaim !== undefined) {
    if (typeof config.tenantClaim !== "string" || !config.tenantClaim)
      throw new BadRequestError(`Invalid jwtConfiguration.tenantClaim of ${where}: expected a claim name`);
    out.tenantClaim = config.tenantClaim;
  }
  return out;
}

/**
 * Checks what a method says about its authorizer against the API's authorizers: CUSTOM needs
 * a TOKEN or REQUEST authorizer, COGNITO_USER_POOLS one of its own type (or JWT). AWS's wording.
 */
export function checkMethodAuthorizer(method: Method, authorizers: Map<string, AuthorizerType>): void {
  const allowed = AUTHORIZER_TYPES_FOR[method.authorizationType];
  if (!allowed) {
    if (method.authorizerId)
      throw new BadRequestError(
        `Invalid authorizer ID specified: authorizationType ${method.authorizationType} takes no authorizer`,
      );
    return;
  }
  const type = method.authorizerId ? authorizers.get(method.authorizerId) : undefined;
  if (!method.authorizerId || !type) {
    throw new BadRequestError(
      `Invalid authorizer ID specified. Setting the authorization type to ${method.authorizationType} requires a valid authorizer${method.authorizerId ? ` (no authorizer '${method.authorizerId}' in this API)` : ""}`,
    );
  }
  if (!allowed.includes(type)) {
    throw new BadRequestError(
      `Authorizer ${method.authorizerId} is a ${type} authorizer: authorizationType ${method.authorizationType} takes ${allowed.join(" or ")}`,
    );
  }
}

type AuthorizerRow = {
  id: string;
  rest_api_id: string;
  name: string;
  attributes: string;
  created_at: number;
};

export function toAuthorizer(row: AuthorizerRow): Authorizer {
  return {
    id: row.id,
    name: row.name,
    ...fromJson<Omit<Authorizer, "id" | "name">>(row.attributes, { type: "TOKEN" }),
  };
}

function toRow(
  apiId: string,
  id: string,
  authorizer: Omit<Authorizer, "id">,
  createdAt: number,
): AuthorizerRow {
  const { name, ...attributes } = authorizer;
  return { id, rest_api_id: apiId, name, attributes: toJson(attributes), created_at: createdAt };
}

/** The API's authorizers, ordered by name; read inside a transaction when given one. */
export async function loadAuthorizers(db: Tx, apiId: string): Promise<Authorizer[]> {
  const rows = await db
    .selectFrom("authorizers")
    .selectAll()
    .where("rest_api_id", "=", apiId)
    .orderBy("name")
    .execute();
  return rows.map(toAuthorizer);
}

/**
 * Writes the authorizers an OpenAPI import declares, by name: an existing one keeps its id and
 * takes the document's settings; `overwrite` deletes the API's others. Returns name → id.
 */
export async function syncAuthorizers(
  trx: Tx,
  apiId: string,
  declared: Map<string, Omit<Authorizer, "id">>,
  overwrite: boolean,
  now: number,
): Promise<Map<string, string>> {
  return syncByName(await loadAuthorizers(trx, apiId), declared, overwrite, {
    update: (id, { name: _, ...attributes }) =>
      trx
        .updateTable("authorizers")
        .set({ attributes: toJson(attributes) })
        .where("id", "=", id)
        .execute(),
    insert: async (_name, authorizer) => {
      const row = toRow(apiId, newId(), authorizer, now);
      await trx.insertInto("authorizers").values(row).execute();
      return row.id;
    },
    remove: (ids) => trx.deleteFrom("authorizers").where("id", "in", ids).execute(),
  });
}

/** CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer, DeleteAuthorizer, TestInvokeAuthorizer. */
export class AuthorizerService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tester?: AuthorizerTester,
  ) {}

  async create(apiId: string, input: AuthorizerInput): Promise<Authorizer> {
    const checked = checkAuthorizer(input);
    await requireApi(this.store.db, apiId);
    const row = toRow(apiId, newId(), checked, this.clock.now());
    await this.write(checked.name, async (trx) => {
      await trx.insertInto("authorizers").values(row).execute();
    });
    return toAuthorizer(row);
  }

  async list(apiId: string): Promise<Authorizer[]> {
    await requireApi(this.store.db, apiId);
    return loadAuthorizers(this.store.db, apiId);
  }

  async get(apiId: string, id: string): Promise<Authorizer> {
    return toAuthorizer(await this.row(apiId, id));
  }

  async update(apiId: string, id: string, operations: PatchOperation[]): Promise<Authorizer> {
    const row = await this.row(apiId, id);
    const current = toAuthorizer(row);
    const next = checkAuthorizer(patchAuthorizer(current, operations));
    // A method that names this authorizer must still be able to.
    if (next.type !== current.type) {
      const users = await methodsUsing(this.store.db, apiId, id);
      const bad = users.find((u) => !AUTHORIZER_TYPES_FOR[u.method.authorizationType]?.includes(next.type));
      if (bad) {
        throw new ConflictError(
          `Cannot change authorizer ${id} to type ${next.type}: method ${bad.label} (${bad.method.authorizationType}) uses it`,
        );
      }
    }
    const updated = toRow(apiId, id, next, row.created_at);
    await this.write(next.name, async (trx) => {
      await trx.updateTable("authorizers").set(updated).where("id", "=", id).execute();
    });
    return toAuthorizer(updated);
  }

  /** TestInvokeAuthorizer: calls the authorizer as stored now (not as deployed); writes nothing. */
  async testInvoke(apiId: string, id: string, request: AuthorizerTestRequest): Promise<AuthorizerTestResult> {
    const authorizer = await this.get(apiId, id);
    if (!this.tester) throw new Error("no authorizer tester was given to the AuthorizerService");
    return this.tester(apiId, authorizer, request);
  }

  /** Refused while a method uses the authorizer (as AWS does). */
  async delete(apiId: string, id: string): Promise<void> {
    await this.row(apiId, id);
    const users = await methodsUsing(this.store.db, apiId, id);
    if (users.length) {
      throw new ConflictError(
        `Cannot delete authorizer ${id}: it is used by ${users.map((u) => u.label).join(", ")}`,
      );
    }
    await this.store.transaction(async (trx) => {
      await trx.deleteFrom("authorizers").where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  private async row(apiId: string, id: string): Promise<AuthorizerRow> {
    await requireApi(this.store.db, apiId);
    const row = await this.store.db
      .selectFrom("authorizers")
      .selectAll()
      .where("rest_api_id", "=", apiId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid authorizer identifier specified: ${id}`);
    return row;
  }

  private async write(name: string, fn: (trx: Tx) => Promise<void>): Promise<void> {
    try {
      await this.store.transaction(async (trx) => {
        await fn(trx);
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`An authorizer named '${name}' already exists in this API`);
      throw error;
    }
  }
}

function patchAuthorizer(current: Authorizer, operations: PatchOperation[]): AuthorizerInput {
  const next: AuthorizerInput = structuredClone(current);
  for (const op of operations) {
    const [field, ...rest] = patchSegments(op.path);
    const replace = op.op === "replace" && !rest.length;
    if (replace && field === "name") next.name = patchValue(op);
    else if (replace && field === "type") next.type = patchValue(op);
    else if (replace && field === "authorizerUri") next.authorizerUri = op.value || undefined;
    else if (replace && field === "identitySource") next.identitySource = op.value || undefined;
    else if (replace && field === "identityValidationExpression")
      next.identityValidationExpression = op.value || undefined;
    else if (replace && field === "authType") next.authType = op.value || undefined;
    else if (replace && field === "authorizerCredentials") next.authorizerCredentials = op.value || undefined;
    else if (replace && field === "authorizerResultTtlInSeconds")
      next.authorizerResultTtlInSeconds = patchNumber(op, { integer: true, min: 0 });
    else if (field === "providerARNs" && !rest.length && (op.op === "add" || op.op === "remove")) {
      const value = patchValue(op);
      const others = (next.providerARNs ?? []).filter((p) => p !== value);
      next.providerARNs = op.op === "add" ? [...others, value] : others;
    } else if (
      field === "jwtConfiguration" &&
      rest.length === 1 &&
      (op.op === "replace" || op.op === "remove")
    ) {
      const config: JwtConfiguration = { ...next.jwtConfiguration };
      const member = rest[0]!;
      const value = op.op === "remove" ? undefined : patchValue(op);
      if (member === "issuer") config.issuer = value;
      else if (member === "jwksUri") config.jwksUri = value;
      else if (member === "tenantClaim") config.tenantClaim = value;
      else if (member === "audience")
        config.audience =
          value === undefined
            ? undefined
            : value
                .split(",")
                .map((a) => a.trim())
                .filter(Boolean);
      else if (member === "jwks") config.jwks = value === undefined ? undefined : parseJson(value, op.path);
      else throw unsupportedPatch(op, PATCH_PATHS);
      next.jwtConfiguration = config;
    } else throw unsupportedPatch(op, PATCH_PATHS);
  }
  return next;
}

const PATCH_PATHS = [
  "/name",
  "/type",
  "/authorizerUri",
  "/identitySource",
  "/identityValidationExpression",
  "/authorizerResultTtlInSeconds",
  "/authType",
  "/authorizerCredentials",
  "/providerARNs",
  "/jwtConfiguration/{issuer|audience|jwksUri|jwks|tenantClaim}",
];

function parseJson<T>(text: string, path: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new BadRequestError(`Invalid value for ${path}: not JSON (${(error as Error).message})`);
  }
}

async function requireApi(db: Tx, apiId: string): Promise<void> {
  const row = await db.selectFrom("rest_apis").select("id").where("id", "=", apiId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API identifier specified: ${apiId}`);
}

/** The methods of an API that name an authorizer, as `GET /pets`. */
async function methodsUsing(db: Tx, apiId: string, authorizerId: string) {
  const rows = await db
    .selectFrom("resources")
    .select(["path", "methods"])
    .where("rest_api_id", "=", apiId)
    .execute();
  const users: Array<{ label: string; method: Method }> = [];
  for (const row of rows) {
    for (const method of Object.values(fromJson<Record<string, Method>>(row.methods, {}))) {
      if (method.authorizerId === authorizerId)
        users.push({ label: `${method.httpMethod} ${row.path}`, method });
    }
  }
  return users;
}
