import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import {
  type PatchOperation,
  patchBoolean,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import { checkAccessLogFormat } from "./access-log-variables.js";

/** Execution settings of one method of a stage (or of every method, under `"*∕*"`). */
export interface MethodSetting {
  metricsEnabled?: boolean;
  loggingLevel?: string;
  dataTraceEnabled?: boolean;
  /** Capacity of the method's token bucket, in requests. */
  throttlingBurstLimit?: number;
  /** Refill rate of the method's token bucket, in requests per second. */
  throttlingRateLimit?: number;
  cachingEnabled?: boolean;
  cacheTtlInSeconds?: number;
  cacheDataEncrypted?: boolean;
  requireAuthorizationForCacheControl?: boolean;
  unauthorizedCacheControlHeaderStrategy?: string;
}

/** A canary on a stage: `percentTraffic` percent of requests go to `deploymentId`. */
export interface CanarySettings {
  percentTraffic?: number;
  deploymentId?: string;
  stageVariableOverrides?: Record<string, string>;
  useStageCache?: boolean;
}

export interface AccessLogSettings {
  format?: string;
  destinationArn?: string;
}

/**
 * A stage: a named pointer to a deployment, with its variables and method settings.
 * `methodSettings` is keyed as AWS keys it: `"*∕*"`, or the JSON-Pointer-escaped resource
 * path and the method (`"~1pets~1{petId}/GET"` for GET /pets/{petId}).
 */
export interface Stage {
  deploymentId: string;
  stageName: string;
  description?: string;
  cacheClusterEnabled: boolean;
  cacheClusterSize?: string;
  cacheClusterStatus: "AVAILABLE" | "NOT_AVAILABLE";
  methodSettings: Record<string, MethodSetting>;
  variables?: Record<string, string>;
  documentationVersion?: string;
  accessLogSettings?: AccessLogSettings;
  canarySettings?: CanarySettings;
  tracingEnabled: boolean;
  clientCertificateId?: string;
  tags?: Record<string, string>;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
}

/** Settings a stage takes both from CreateStage and from CreateDeployment. */
interface StageOptions {
  description?: string;
  cacheClusterEnabled?: boolean;
  cacheClusterSize?: string;
  variables?: Record<string, string>;
  tracingEnabled?: boolean;
}

export interface CreateStageInput extends StageOptions {
  stageName: string;
  deploymentId: string;
  documentationVersion?: string;
  canarySettings?: CanarySettings;
  tags?: Record<string, string>;
}

/** What CreateDeployment asks of the stage it names. */
export interface StageDeployment extends StageOptions {
  stageName: string;
  /** Deploy as a canary of an existing stage instead of repointing it. */
  canary?: Omit<CanarySettings, "deploymentId">;
}

/** The `attributes` column: everything of a Stage but its keys, deployment and description. */
interface StageAttributes {
  variables: Record<string, string>;
  methodSettings: Record<string, MethodSetting>;
  cacheClusterEnabled: boolean;
  cacheClusterSize?: string;
  tracingEnabled: boolean;
  canarySettings?: CanarySettings;
  documentationVersion?: string;
  accessLogSettings?: AccessLogSettings;
  clientCertificateId?: string;
  tags: Record<string, string>;
  /** Epoch ms of the last FlushStageCache: gateways start a new cache generation (Tollgate's). */
  cacheFlushedAt?: number;
  /** Epoch ms of the last FlushStageAuthorizersCache (Tollgate's). */
  authorizersFlushedAt?: number;
}

/** A stage being changed; written only once every patch operation has applied. */
interface StageDraft {
  deploymentId: string;
  description: string | null;
  attributes: StageAttributes;
}

type StageRow = Awaited<ReturnType<StageService["row"]>>;

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
// AWS's documented value alphabet: [A-Za-z0-9-._~:/?#&=,]+, at most 512 characters.
const VARIABLE_VALUE = /^[A-Za-z0-9\-._~:/?#&=,]{1,512}$/;
const CACHE_CLUSTER_SIZES = ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];
const HTTP_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]);

/** What AWS fills in when a patch creates a method setting (as `aws apigateway update-stage` shows). */
const METHOD_SETTING_DEFAULTS: MethodSetting = {
  metricsEnabled: false,
  dataTraceEnabled: false,
  throttlingBurstLimit: 5000,
  throttlingRateLimit: 10000,
  cachingEnabled: false,
  cacheTtlInSeconds: 300,
  cacheDataEncrypted: false,
  requireAuthorizationForCacheControl: true,
  unauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
};

/** `/{resourcePath}/{httpMethod}/<suffix>` → the MethodSetting field it sets and its parser. */
const METHOD_SETTING_PATHS: Record<
  string,
  { field: keyof MethodSetting; parse: (op: PatchOperation) => unknown }
> = {
  "metrics/enabled": { field: "metricsEnabled", parse: patchBoolean },
  "logging/loglevel": { field: "loggingLevel", parse: (op) => patchEnum(op, ["OFF", "ERROR", "INFO"]) },
  "logging/dataTrace": { field: "dataTraceEnabled", parse: patchBoolean },
  "throttling/burstLimit": {
    field: "throttlingBurstLimit",
    parse: (op) => patchNumber(op, { integer: true, min: 0 }),
  },
  "throttling/rateLimit": { field: "throttlingRateLimit", parse: (op) => patchNumber(op, { min: 0 }) },
  "caching/enabled": { field: "cachingEnabled", parse: patchBoolean },
  "caching/ttlInSeconds": { field: "cacheTtlInSeconds", parse: parseTtl },
  "caching/dataEncrypted": { field: "cacheDataEncrypted", parse: patchBoolean },
  "caching/requireAuthorizationForCacheControl": {
    field: "requireAuthorizationForCacheControl",
    parse: patchBoolean,
  },
  "caching/unauthorizedCacheControlHeaderStrategy": {
    field: "unauthorizedCacheControlHeaderStrategy",
    parse: (op) =>
      patchEnum(op, ["FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"]),
  },
};

const STAGE_PATCH_PATHS = [
  "/deploymentId",
  "/description",
  "/cacheClusterEnabled",
  "/cacheClusterSize",
  "/clientCertificateId",
  "/tracingEnabled",
  "/variables/{variable_name}",
  "/accessLogSettings",
  "/accessLogSettings/destinationArn",
  "/accessLogSettings/format",
  "/canarySettings",
  "/canarySettings/percentTraffic",
  "/canarySettings/deploymentId",
  "/canarySettings/stageVariableOverrides/{variable_name}",
  "/canarySettings/useStageCache",
  "/{resourcePath}/{httpMethod}",
  ...Object.keys(METHOD_SETTING_PATHS).map((suffix) => `/{resourcePath}/{httpMethod}/${suffix}`),
];

/** Stages of a REST API. Each names one deployment; the gateway serves it at `/{stageName}/...`. */
export class StageService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(restApiId: string, input: CreateStageInput): Promise<Stage> {
    validateStageName(input.stageName);
    const attributes = applyOptions(emptyAttributes(), input);
    if (input.documentationVersion !== undefined)
      attributes.documentationVersion = input.documentationVersion;
    attributes.tags = validTags(input.tags ?? {});
    if (input.canarySettings) {
      attributes.canarySettings = validCanary({
        ...input.canarySettings,
        deploymentId: input.canarySettings.deploymentId ?? input.deploymentId,
      });
    }
    const now = this.clock.now();
    const row = {
      rest_api_id: restApiId,
      stage_name: input.stageName,
      deployment_id: input.deploymentId,
      description: input.description ?? null,
      attributes: toJson(attributes),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.transaction(async (trx) => {
        await requireRestApi(trx, restApiId);
        await requireDeployment(trx, restApiId, input.deploymentId);
        const canaryDeployment = attributes.canarySettings?.deploymentId;
        if (canaryDeployment) await requireDeployment(trx, restApiId, canaryDeployment);
        await trx.insertInto("stages").values(row).execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("Stage already exists");
      throw error;
    }
    return toStage(row);
  }

  async get(restApiId: string, stageName: string): Promise<Stage> {
    return toStage(await this.row(this.store.db, restApiId, stageName));
  }

  /** All stages of an API by name, or only those pointing at `deploymentId`. Not paged, as AWS. */
  async list(restApiId: string, deploymentId?: string): Promise<Stage[]> {
    await requireRestApi(this.store.db, restApiId);
    let query = this.store.db.selectFrom("stages").selectAll().where("rest_api_id", "=", restApiId);
    if (deploymentId) query = query.where("deployment_id", "=", deploymentId);
    return (await query.orderBy("stage_name").execute()).map(toStage);
  }

  /** Applies AWS's stage patch operations; a bad operation anywhere changes nothing. */
  async update(restApiId: string, stageName: string, operations: PatchOperation[]): Promise<Stage> {
    const row = await this.row(this.store.db, restApiId, stageName);
    const deployments = await deploymentIds(this.store.db, restApiId);
    const draft: StageDraft = {
      deploymentId: row.deployment_id,
      description: row.description,
      attributes: readAttributes(row.attributes),
    };
    for (const op of operations) applyStagePatch(draft, op, deployments);
    const updated = {
      ...row,
      deployment_id: draft.deploymentId,
      description: draft.description,
      attributes: toJson(draft.attributes),
      updated_at: this.clock.now(),
    };
    await this.store.transaction(async (trx) => {
      await trx
        .updateTable("stages")
        .set(updated)
        .where("rest_api_id", "=", restApiId)
        .where("stage_name", "=", stageName)
        .execute();
      await this.store.bumpRevision(trx);
    });
    return toStage(updated);
  }

  /**
   * FlushStageCache: every gateway process stops answering from the stage's cache within a
   * second (a new generation begins; what the old one held expires by its TTL).
   */
  async flushCache(restApiId: string, stageName: string): Promise<void> {
    await this.stamp(restApiId, stageName, "cacheFlushedAt");
  }

  /** FlushStageAuthorizersCache: the API's authorizers forget their cached answers on every gateway. */
  async flushAuthorizersCache(restApiId: string, stageName: string): Promise<void> {
    await this.stamp(restApiId, stageName, "authorizersFlushedAt");
  }

  private async stamp(
    restApiId: string,
    stageName: string,
    field: "cacheFlushedAt" | "authorizersFlushedAt",
  ): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await this.row(trx, restApiId, stageName);
      const attributes = readAttributes(row.attributes);
      // Moves forward even when two flushes fall in the same millisecond.
      attributes[field] = Math.max(this.clock.now(), (attributes[field] ?? 0) + 1);
      await trx
        .updateTable("stages")
        .set({ attributes: toJson(attributes) })
        .where("rest_api_id", "=", restApiId)
        .where("stage_name", "=", stageName)
        .execute();
      await this.store.bumpRevision(trx);
    });
  }

  /** Deletes a stage and the base path mappings that route to it (they would lead nowhere). */
  async delete(restApiId: string, stageName: string): Promise<void> {
    await this.row(this.store.db, restApiId, stageName);
    await this.store.transaction(async (trx) => {
      await trx
        .deleteFrom("base_path_mappings")
        .where("rest_api_id", "=", restApiId)
        .where("stage", "=", stageName)
        .execute();
      await trx
        .deleteFrom("stages")
        .where("rest_api_id", "=", restApiId)
        .where("stage_name", "=", stageName)
        .execute();
      await this.store.bumpRevision(trx);
    });
  }

  /**
   * CreateDeployment's effect on its stage, inside the caller's transaction: creates the stage
   * or repoints it (or, with `canary`, makes the deployment the existing stage's canary).
   */
  async deploy(trx: Tx, restApiId: string, deploymentId: string, input: StageDeployment): Promise<void> {
    validateStageName(input.stageName);
    const existing = await trx
      .selectFrom("stages")
      .selectAll()
      .where("rest_api_id", "=", restApiId)
      .where("stage_name", "=", input.stageName)
      .executeTakeFirst();
    if (input.canary && !existing) {
      throw new BadRequestError(
        `Invalid stage identifier specified: a canary deployment needs an existing stage, and '${input.stageName}' does not exist`,
      );
    }
    const attributes = applyOptions(
      existing ? readAttributes(existing.attributes) : emptyAttributes(),
      input,
    );
    if (input.canary) attributes.canarySettings = validCanary({ ...input.canary, deploymentId });
    const now = this.clock.now();
    const row = {
      rest_api_id: restApiId,
      stage_name: input.stageName,
      deployment_id: input.canary && existing ? existing.deployment_id : deploymentId,
      description: input.description ?? existing?.description ?? null,
      attributes: toJson(attributes),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    if (existing) {
      await trx
        .updateTable("stages")
        .set(row)
        .where("rest_api_id", "=", restApiId)
        .where("stage_name", "=", input.stageName)
        .execute();
    } else {
      await trx.insertInto("stages").values(row).execute();
    }
  }

  private async row(db: Tx, restApiId: string, stageName: string) {
    await requireRestApi(db, restApiId);
    const row = await db
      .selectFrom("stages")
      .selectAll()
      .where("rest_api_id", "=", restApiId)
      .where("stage_name", "=", stageName)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid Stage identifier specified: ${stageName}`);
    return row;
  }
}

/** Throws NotFoundException unless the REST API exists (AWS's wording). */
export async function requireRestApi(db: Tx, restApiId: string): Promise<void> {
  const row = await db.selectFrom("rest_apis").select("id").where("id", "=", restApiId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API identifier specified: ${restApiId}`);
}

async function requireDeployment(db: Tx, restApiId: string, deploymentId: string): Promise<void> {
  const row = await db
    .selectFrom("deployments")
    .select("id")
    .where("rest_api_id", "=", restApiId)
    .where("id", "=", deploymentId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid Deployment identifier specified: ${deploymentId}`);
}

/** The ids of an API's deployments, which `/deploymentId` patches may name. */
async function deploymentIds(db: Tx, restApiId: string): Promise<Set<string>> {
  const rows = await db.selectFrom("deployments").select("id").where("rest_api_id", "=", restApiId).execute();
  return new Set(rows.map((d) => d.id));
}

/** Stage names: letters, digits, hyphens and underscores, 1 to 128 characters. */
export function validateStageName(name: string): void {
  if (!STAGE_NAME.test(name)) {
    throw new BadRequestError(
      `Invalid stage name '${name}': stage names may contain only letters, digits, hyphens and underscores, 1 to 128 characters`,
    );
  }
}

function validateVariable(field: string, name: string, value: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new BadRequestError(
      `Invalid ${field} name '${name}': names may contain only letters, digits and underscores, 1 to 64 characters`,
    );
  }
  if (!VARIABLE_VALUE.test(value)) {
    throw new BadRequestError(
      `Invalid value '${value}' for ${field} '${name}': values must be 1 to 512 characters from A-Z a-z 0-9 and -._~:/?#&=,`,
    );
  }
}

function validVariables(field: string, variables: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(variables)) validateVariable(field, name, value);
  return variables;
}

function validCacheSize(size: string): string {
  if (!CACHE_CLUSTER_SIZES.includes(size)) {
    throw new BadRequestError(
      `Invalid cacheClusterSize '${size}': must be one of ${CACHE_CLUSTER_SIZES.join(", ")}`,
    );
  }
  return size;
}

function validPercent(percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new BadRequestError(
      `Invalid canary percentTraffic '${percent}': must be a number from 0.0 to 100.0`,
    );
  }
  return percent;
}

/** Checks AWS's tag rules: keys 1 to 128 characters, not `aws:`-prefixed; values at most 256. */
export function validTags(tags: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128 || key.startsWith("aws:") || value.length > 256) {
      throw new BadRequestError(
        `Invalid tag '${key}': keys are 1 to 128 characters and may not start with 'aws:'; values at most 256 characters`,
      );
    }
  }
  return tags;
}

function validCanary(canary: CanarySettings): CanarySettings {
  return {
    percentTraffic: validPercent(canary.percentTraffic ?? 0),
    ...(canary.deploymentId !== undefined ? { deploymentId: canary.deploymentId } : {}),
    ...(canary.stageVariableOverrides
      ? { stageVariableOverrides: validVariables("stage variable override", canary.stageVariableOverrides) }
      : {}),
    useStageCache: canary.useStageCache ?? false,
  };
}

function emptyAttributes(): StageAttributes {
  return { variables: {}, methodSettings: {}, cacheClusterEnabled: false, tracingEnabled: false, tags: {} };
}

/** Applies what CreateStage and CreateDeployment both set; variables merge into existing ones. */
function applyOptions(attributes: StageAttributes, options: StageOptions): StageAttributes {
  if (options.cacheClusterEnabled !== undefined) attributes.cacheClusterEnabled = options.cacheClusterEnabled;
  if (options.cacheClusterSize !== undefined)
    attributes.cacheClusterSize = validCacheSize(options.cacheClusterSize);
  if (options.tracingEnabled !== undefined) attributes.tracingEnabled = options.tracingEnabled;
  Object.assign(attributes.variables, validVariables("stage variable", options.variables ?? {}));
  return attributes;
}

function readAttributes(json: string): StageAttributes {
  return { ...emptyAttributes(), ...fromJson<Partial<StageAttributes>>(json, {}) };
}

function toStage(row: StageRow): Stage {
  const a = readAttributes(row.attributes);
  // AWS reports the default size 0.5 GB once a cache cluster is on.
  const cacheClusterSize = a.cacheClusterSize ?? (a.cacheClusterEnabled ? "0.5" : undefined);
  return {
    deploymentId: row.deployment_id,
    stageName: row.stage_name,
    ...(row.description !== null ? { description: row.description } : {}),
    cacheClusterEnabled: a.cacheClusterEnabled,
    ...(cacheClusterSize ? { cacheClusterSize } : {}),
    cacheClusterStatus: a.cacheClusterEnabled ? "AVAILABLE" : "NOT_AVAILABLE",
    methodSettings: a.methodSettings,
    ...(Object.keys(a.variables).length ? { variables: a.variables } : {}),
    ...(a.documentationVersion !== undefined ? { documentationVersion: a.documentationVersion } : {}),
    ...(a.accessLogSettings ? { accessLogSettings: a.accessLogSettings } : {}),
    ...(a.canarySettings ? { canarySettings: a.canarySettings } : {}),
    tracingEnabled: a.tracingEnabled,
    ...(a.clientCertificateId !== undefined ? { clientCertificateId: a.clientCertificateId } : {}),
    ...(Object.keys(a.tags).length ? { tags: a.tags } : {}),
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
  };
}

function applyStagePatch(draft: StageDraft, op: PatchOperation, deployments: ReadonlySet<string>): void {
  if (!applyStageOperation(draft, op, deployments)) throw unsupportedPatch(op, STAGE_PATCH_PATHS);
}

/** Applies one operation to the draft; false when the stage has no such path for that op. */
function applyStageOperation(
  draft: StageDraft,
  op: PatchOperation,
  deployments: ReadonlySet<string>,
): boolean {
  if (op.op === "copy") return applyCopy(draft, op);
  const segments = patchSegments(op.path);
  const [head, ...rest] = segments;
  if (head === "variables")
    return rest.length === 1 && applyMapEntry(draft.attributes.variables, op, rest[0]!, "stage variable");
  if (head === "accessLogSettings") return applyAccessLog(draft.attributes, op, rest);
  if (head === "canarySettings") return applyCanary(draft, op, rest, deployments);
  if (rest.length === 0) return applyScalar(draft, op, head!, deployments);
  return applyMethodSetting(draft.attributes.methodSettings, op, segments);
}

function applyScalar(draft: StageDraft, op: PatchOperation, field: string, deployments: ReadonlySet<string>) {
  if (op.op !== "replace") return false;
  const a = draft.attributes;
  if (field === "description") draft.description = op.value || null;
  else if (field === "deploymentId") draft.deploymentId = knownDeployment(op, deployments);
  else if (field === "cacheClusterEnabled") a.cacheClusterEnabled = patchBoolean(op);
  else if (field === "cacheClusterSize") a.cacheClusterSize = validCacheSize(patchValue(op));
  else if (field === "tracingEnabled") a.tracingEnabled = patchBoolean(op);
  else if (field === "clientCertificateId") a.clientCertificateId = op.value || undefined;
  else return false;
  return true;
}

/** `add`/`replace`/`remove` of one entry of a variables map. */
function applyMapEntry(
  map: Record<string, string>,
  op: PatchOperation,
  name: string,
  field: string,
): boolean {
  if (op.op === "remove") delete map[name];
  else if (op.op === "add" || op.op === "replace") {
    const value = patchValue(op);
    validateVariable(field, name, value);
    map[name] = value;
  } else return false;
  return true;
}

function applyAccessLog(a: StageAttributes, op: PatchOperation, rest: string[]): boolean {
  const [field] = rest;
  if (rest.length === 0 && op.op === "remove") delete a.accessLogSettings;
  else if (rest.length === 1 && op.op === "replace" && (field === "destinationArn" || field === "format")) {
    const value = patchValue(op);
    a.accessLogSettings = {
      ...a.accessLogSettings,
      [field]: field === "format" ? checkAccessLogFormat(value) : value,
    };
  } else return false;
  return true;
}

function applyCanary(
  draft: StageDraft,
  op: PatchOperation,
  rest: string[],
  deployments: ReadonlySet<string>,
) {
  const a = draft.attributes;
  if (rest.length === 0) {
    if (op.op !== "remove") return false;
    delete a.canarySettings;
    return true;
  }
  // A canary created by a patch starts as a copy of the stage's own deployment, taking no traffic.
  const canary = a.canarySettings ?? {
    deploymentId: draft.deploymentId,
    percentTraffic: 0,
    useStageCache: false,
  };
  const [field, name] = rest;
  let handled = true;
  if (rest.length === 2 && field === "stageVariableOverrides") {
    canary.stageVariableOverrides = { ...canary.stageVariableOverrides };
    handled = applyMapEntry(canary.stageVariableOverrides, op, name!, "stage variable override");
  } else if (rest.length !== 1 || op.op !== "replace") handled = false;
  else if (field === "percentTraffic") canary.percentTraffic = validPercent(patchNumber(op));
  else if (field === "deploymentId") canary.deploymentId = knownDeployment(op, deployments);
  else if (field === "useStageCache") canary.useStageCache = patchBoolean(op);
  else handled = false;
  if (handled) a.canarySettings = canary;
  return handled;
}

/** Promotes a canary: `copy` from its deployment id or its variable overrides. */
function applyCopy(draft: StageDraft, op: PatchOperation): boolean {
  const canary = draft.attributes.canarySettings;
  if (op.from === "/canarySettings/deploymentId" && op.path === "/deploymentId") {
    if (!canary?.deploymentId) throw new BadRequestError("The stage has no canary deployment to promote");
    draft.deploymentId = canary.deploymentId;
  } else if (op.from === "/canarySettings/stageVariableOverrides" && op.path === "/variables") {
    Object.assign(draft.attributes.variables, canary?.stageVariableOverrides ?? {});
  } else return false;
  return true;
}

/** `/{resourcePath}/{httpMethod}/<setting>` sets one field; `remove /{resourcePath}/{httpMethod}` drops the entry. */
function applyMethodSetting(settings: Record<string, MethodSetting>, op: PatchOperation, segments: string[]) {
  if (op.op === "remove") {
    const method = segments.at(-1)!;
    if (segments.length < 2 || (method !== "*" && !HTTP_METHODS.has(method))) return false;
    const key = methodSettingsKey(op, segments.slice(0, -1), method);
    if (!settings[key]) {
      throw new BadRequestError(
        `Cannot remove method setting ${key} because there is no method setting for this method`,
      );
    }
    delete settings[key];
    return true;
  }
  const spec = METHOD_SETTING_PATHS[segments.slice(-2).join("/")];
  if (!spec || segments.length < 4 || (op.op !== "replace" && op.op !== "add")) return false;
  const key = methodSettingsKey(op, segments.slice(0, -3), segments.at(-3)!);
  const value = spec.parse(op);
  settings[key] = { ...(settings[key] ?? METHOD_SETTING_DEFAULTS), [spec.field]: value };
  return true;
}

/**
 * AWS's methodSettings key: `*∕*`, or the resource path JSON-Pointer-escaped and the method
 * (`~1pets~1{petId}/GET`). The path may come escaped (`/~1pets~1{petId}/GET/...`) or, as AWS
 * also accepts, in plain segments (`/pets/{petId}/GET/...`); both give the same key.
 */
function methodSettingsKey(op: PatchOperation, resourceSegments: string[], method: string): string {
  const resource = resourceSegments.join("/");
  if (resource === "*" || method === "*") {
    if (resource === "*" && method === "*") return "*/*";
    throw new BadRequestError(
      `Invalid method setting path '${op.path}': '*' stands for every resource and method together, as in /*/*/...`,
    );
  }
  if (!HTTP_METHODS.has(method)) {
    throw new BadRequestError(
      `Invalid method setting path '${op.path}': '${method}' is not an HTTP method (${[...HTTP_METHODS].join(", ")}) or '*'`,
    );
  }
  if (resource === "")
    throw new BadRequestError(`Invalid method setting path '${op.path}': no resource path`);
  const path = resource.startsWith("/") ? resource : `/${resource}`;
  return `${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method}`;
}

function knownDeployment(op: PatchOperation, deployments: ReadonlySet<string>): string {
  const id = patchValue(op);
  if (!deployments.has(id)) {
    throw new BadRequestError(
      `Invalid deployment identifier specified for '${op.path}': ${id} does not exist`,
    );
  }
  return id;
}

function patchEnum(op: PatchOperation, values: string[]): string {
  const value = patchValue(op);
  if (!values.includes(value)) {
    throw new BadRequestError(
      `Invalid value '${value}' for path '${op.path}': must be one of ${values.join(", ")}`,
    );
  }
  return value;
}

function parseTtl(op: PatchOperation): number {
  const ttl = patchNumber(op, { integer: true, min: 0 });
  if (ttl > 3600)
    throw new BadRequestError(`Invalid value '${ttl}' for path '${op.path}': at most 3600 seconds`);
  return ttl;
}
