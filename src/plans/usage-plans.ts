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
import { fromJson, type Store, type Tx, toJson } from "../store/index.js";

/** Token-bucket limits: `rateLimit` in requests per second, `burstLimit` the bucket size in requests. */
export interface ThrottleSettings {
  burstLimit?: number;
  rateLimit?: number;
}

export type QuotaPeriod = "DAY" | "WEEK" | "MONTH";

/** Admitted requests per calendar period (UTC); `offset` moves the period's first day. */
export interface QuotaSettings {
  limit: number;
  offset: number;
  period: QuotaPeriod;
}

/** A stage a plan covers; `throttle` keys are `/{resourcePath}/{HTTP_METHOD}` (`/pets/{petId}/GET`). */
export interface ApiStage {
  apiId: string;
  stage: string;
  throttle?: Record<string, ThrottleSettings>;
}

/** A usage plan, field for field as API Gateway returns it. */
export interface UsagePlan {
  id: string;
  name: string;
  description?: string;
  apiStages: ApiStage[];
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
  productCode?: string;
  tags?: Record<string, string>;
}

/** CreateUsagePlan's input. Loosely typed on purpose: the domain checks every rule itself. */
export interface CreateUsagePlanInput {
  name: string;
  description?: string;
  apiStages?: Array<{ apiId?: string; stage?: string; throttle?: Record<string, ThrottleSettings> }>;
  throttle?: ThrottleSettings;
  quota?: { limit?: number; offset?: number; period?: string };
  productCode?: string;
  tags?: Record<string, string>;
}

const QUOTA_PERIODS: QuotaPeriod[] = ["DAY", "WEEK", "MONTH"];
/** Highest quota offset per period, as AWS enforces it (WEEK: day of week, MONTH: day of month). */
const MAX_OFFSET: Record<QuotaPeriod, number> = { DAY: 0, WEEK: 6, MONTH: 27 };
/** API Gateway's integers are 32-bit. */
const MAX_INT = 2_147_483_647;

const REMOVE_PATHS = [
  "/apiStages",
  "/quota",
  "/throttle",
  "/productCode",
  "/apiStages/<apiId:stageName>/throttle/<resourcePath>/<httpMethod>",
  "/apiStages/<apiId:stageName>/throttle",
];
const REPLACE_PATHS = [
  "/name",
  "/description",
  "/productCode",
  "/throttle/rateLimit",
  "/throttle/burstLimit",
  "/quota/limit",
  "/quota/offset",
  "/quota/period",
  "/apiStages/<apiId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit",
  "/apiStages/<apiId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit",
];
const ADD_PATHS = ["/apiStages", ...REPLACE_PATHS];

type PlanRow = Awaited<ReturnType<typeof usagePlanRow>>;

/** What a patch edits; it is validated as a whole before anything is written. */
interface PlanDraft {
  name: string;
  description: string | null;
  apiStages: ApiStage[];
  throttle: ThrottleSettings | null;
  quota: Partial<QuotaSettings> | null;
  productCode: string | null;
  tags: Record<string, string>;
}

/** Usage plans: which API stages a key may call, and at what rate and quota. */
export class UsagePlanService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateUsagePlanInput): Promise<UsagePlan> {
    const draft: PlanDraft = {
      name: input.name,
      description: input.description ?? null,
      apiStages: (input.apiStages ?? []).map((s) => ({
        apiId: s.apiId ?? "",
        stage: s.stage ?? "",
        ...(s.throttle ? { throttle: s.throttle } : {}),
      })),
      throttle: input.throttle ?? null,
      quota: input.quota ? { ...input.quota, period: input.quota.period as QuotaPeriod } : null,
      productCode: input.productCode ?? null,
      tags: input.tags ?? {},
    };
    checkTags(draft.tags);
    const id = newId();
    const row = await this.store.transaction(async (trx) => {
      await checkDraft(trx, draft, []);
      const row = { id, ...draftColumns(draft), created_at: this.clock.now() };
      await trx.insertInto("usage_plans").values(row).execute();
      await this.store.bumpRevision(trx);
      return row;
    });
    return toUsagePlan(row);
  }

  async get(id: string): Promise<UsagePlan> {
    return toUsagePlan(await usagePlanRow(this.store.db, id));
  }

  /** All plans by name, or only those that hold the key `keyId` (GetUsagePlans' `keyId`). */
  async list(filter: { keyId?: string } = {}): Promise<UsagePlan[]> {
    let query = this.store.db.selectFrom("usage_plans").selectAll("usage_plans");
    if (filter.keyId) {
      query = query
        .innerJoin("usage_plan_keys", "usage_plan_keys.usage_plan_id", "usage_plans.id")
        .where("usage_plan_keys.key_id", "=", filter.keyId);
    }
    return sortByName(await query.execute()).map(toUsagePlan);
  }

  /** Applies UpdateUsagePlan's patch operations: all of them, or none when one is invalid. */
  async update(id: string, operations: PatchOperation[]): Promise<UsagePlan> {
    const row = await this.store.transaction(async (trx) => {
      const current = await usagePlanRow(trx, id);
      const before = toDraft(current);
      const draft = structuredClone(before);
      for (const op of operations) applyOperation(draft, op);
      await checkDraft(trx, draft, before.apiStages);
      await checkKeysStayUnique(trx, id, draft.apiStages);
      const columns = draftColumns(draft);
      await trx.updateTable("usage_plans").set(columns).where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
      return { ...current, ...columns };
    });
    return toUsagePlan(row);
  }

  /** Deletes a plan that covers no API stage any more (AWS refuses otherwise); its keys leave it. */
  async delete(id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const stages = parseApiStages(await usagePlanRow(trx, id));
      const first = stages[0];
      if (first) {
        throw new BadRequestError(
          `Cannot delete Usage Plan ${id} because there are API Stages associated with it, including ${stageId(first)}`,
        );
      }
      await trx.deleteFrom("usage_plan_keys").where("usage_plan_id", "=", id).execute();
      await trx.deleteFrom("usage_plans").where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }
}

/** The plan's row, or AWS's NotFoundException. */
export async function usagePlanRow(db: Tx, id: string) {
  const row = await db.selectFrom("usage_plans").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid Usage Plan ID specified: ${id}`);
  return row;
}

/** The API stages of a plan row. */
export function parseApiStages(row: { api_stages: string }): ApiStage[] {
  return fromJson<ApiStage[]>(row.api_stages, []);
}

/** `apiId:stage`, the form patch values and messages use. */
export function stageId(stage: { apiId: string; stage: string }): string {
  return `${stage.apiId}:${stage.stage}`;
}

/** True when the REST API `apiId` has a stage `stageName` (read straight from the apis tables). */
export async function stageExists(db: Tx, apiId: string, stageName: string): Promise<boolean> {
  const row = await db
    .selectFrom("stages")
    .select("stage_name")
    .where("rest_api_id", "=", apiId)
    .where("stage_name", "=", stageName)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Enforces AWS's rule that one key cannot be on two plans that share an API stage: `keyId` is
 * about to be on plan `planId` with `stages`; any other plan holding the key must share none.
 */
export async function checkKeyStagesUnique(
  db: Tx,
  keyId: string,
  planId: string,
  stages: ApiStage[],
): Promise<void> {
  const others = await db
    .selectFrom("usage_plans")
    .innerJoin("usage_plan_keys", "usage_plan_keys.usage_plan_id", "usage_plans.id")
    .select(["usage_plans.id", "usage_plans.api_stages"])
    .where("usage_plan_keys.key_id", "=", keyId)
    .where("usage_plans.id", "!=", planId)
    .execute();
  const shared = sharedStage(others.map(parseApiStages), stages);
  if (shared) throw keyStageConflict(keyId, planId, shared);
}

/** The first API stage (`apiId:stage`) that `stages` shares with any of `plans`' stage lists. */
export function sharedStage(plans: ApiStage[][], stages: ApiStage[]): string | undefined {
  const wanted = new Set(stages.map(stageId));
  return plans
    .flat()
    .map(stageId)
    .find((id) => wanted.has(id));
}

/** AWS's ConflictException for a key that would reach one API stage through two plans. */
export function keyStageConflict(keyId: string, planId: string, stage: string): ConflictError {
  return new ConflictError(
    `Usage Plan ${planId} cannot be added because API Key ${keyId} cannot reference multiple Usage Plans with the same API Stage: ${stage}`,
  );
}

/** Rows sorted by name (unnamed first), then id: one order on both store adapters, whatever their collation. */
export function sortByName<R extends { name: string | null; id: string }>(rows: R[]): R[] {
  return rows.sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "") || a.id.localeCompare(b.id));
}

/** Tag rules of AWS: keys of 1 to 128 characters not starting with `aws:`, values up to 256. */
export function checkTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128) {
      throw new BadRequestError(`Invalid tag key '${key}': must have 1 to 128 characters`);
    }
    if (key.toLowerCase().startsWith("aws:")) {
      throw new BadRequestError(`Invalid tag key '${key}': the prefix 'aws:' is reserved`);
    }
    if (value.length > 256)
      throw new BadRequestError(`Invalid value of tag '${key}': must have at most 256 characters`);
  }
}

async function checkKeysStayUnique(trx: Tx, planId: string, stages: ApiStage[]): Promise<void> {
  const keys = await trx
    .selectFrom("usage_plan_keys")
    .select("key_id")
    .where("usage_plan_id", "=", planId)
    .execute();
  for (const { key_id } of keys) await checkKeyStagesUnique(trx, key_id, planId, stages);
}

/**
 * Checks a plan as it would be stored. References (stages, methods) are checked only where they
 * are new relative to `before`, so a plan whose stage was deleted meanwhile can still be edited.
 */
async function checkDraft(db: Tx, draft: PlanDraft, before: ApiStage[]): Promise<void> {
  if (!draft.name.trim()) throw new BadRequestError("Invalid name: a usage plan needs a non-empty name");
  if (draft.throttle) checkThrottle(draft.throttle, "throttle");
  if (draft.quota) checkQuota(draft.quota);
  const seen = new Set<string>();
  for (const [i, apiStage] of draft.apiStages.entries()) {
    if (!apiStage.apiId || !apiStage.stage) {
      throw new BadRequestError(
        `Invalid API Stage {api: ${apiStage.apiId}, stage: ${apiStage.stage}} specified for usageplan ${draft.name}: apiStages[${i}] needs both apiId and stage`,
      );
    }
    if (seen.has(stageId(apiStage))) {
      throw new BadRequestError(
        `API Stage ${stageId(apiStage)} is listed more than once: a usage plan may cover each API stage once`,
      );
    }
    seen.add(stageId(apiStage));
    for (const [key, limits] of Object.entries(apiStage.throttle ?? {})) {
      checkThrottle(limits, `apiStages[${i}].throttle['${key}']`);
    }
    const old = before.find((s) => stageId(s) === stageId(apiStage));
    await checkReferences(db, apiStage, old, draft.name);
  }
}

async function checkReferences(db: Tx, apiStage: ApiStage, old: ApiStage | undefined, planName: string) {
  if (!old && !(await stageExists(db, apiStage.apiId, apiStage.stage))) {
    throw new BadRequestError(
      `Invalid API Stage {api: ${apiStage.apiId}, stage: ${apiStage.stage}} specified for usageplan ${planName}: Invalid stage identifier specified (REST API '${apiStage.apiId}' has no stage '${apiStage.stage}')`,
    );
  }
  const newKeys = Object.keys(apiStage.throttle ?? {}).filter((k) => !old?.throttle?.[k]);
  if (newKeys.length === 0) return;
  const resources = await db
    .selectFrom("resources")
    .select(["path", "methods"])
    .where("rest_api_id", "=", apiStage.apiId)
    .execute();
  const methods = new Map(resources.map((r) => [r.path, fromJson<Record<string, unknown>>(r.methods, {})]));
  for (const key of newKeys) {
    const { resourcePath, httpMethod } = splitMethodKey(key);
    if (!methods.get(resourcePath)?.[httpMethod]) {
      throw new NotFoundError(
        `Invalid method identifier specified: throttle key '${key}' of API Stage ${stageId(apiStage)} names no method (REST API '${apiStage.apiId}' has no ${httpMethod} on '${resourcePath}')`,
      );
    }
  }
}

/** Splits `/pets/{petId}/GET` into the resource path and the HTTP method; `/GET` and `//GET` are the root. */
function splitMethodKey(key: string): { resourcePath: string; httpMethod: string } {
  const cut = key.lastIndexOf("/");
  const httpMethod = key.slice(cut + 1);
  if (!key.startsWith("/") || cut < 0 || !httpMethod) {
    throw new BadRequestError(
      `Invalid throttle key '${key}': expected '/{resourcePath}/{httpMethod}', e.g. '/pets/{petId}/GET'`,
    );
  }
  const path = key.slice(0, cut);
  return { resourcePath: path === "" || path === "/" ? "/" : path, httpMethod };
}

function checkThrottle(throttle: ThrottleSettings, where: string): void {
  const { burstLimit, rateLimit } = throttle;
  if (
    burstLimit !== undefined &&
    !(Number.isInteger(burstLimit) && burstLimit >= 0 && burstLimit <= MAX_INT)
  ) {
    throw new BadRequestError(
      `Invalid ${where}.burstLimit '${burstLimit}': must be a whole number from 0 to ${MAX_INT}`,
    );
  }
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit >= 0)) {
    throw new BadRequestError(`Invalid ${where}.rateLimit '${rateLimit}': must be a number of at least 0`);
  }
}

function checkQuota(quota: Partial<QuotaSettings>): void {
  const { limit, offset = 0, period } = quota;
  if (limit === undefined || !(Number.isInteger(limit) && limit >= 0 && limit <= MAX_INT)) {
    throw new BadRequestError(`Invalid quota.limit '${limit}': must be a whole number from 0 to ${MAX_INT}`);
  }
  if (!period || !QUOTA_PERIODS.includes(period)) {
    throw new BadRequestError(`Invalid quota.period '${period}': must be one of ${QUOTA_PERIODS.join(", ")}`);
  }
  const max = MAX_OFFSET[period];
  if (!Number.isInteger(offset) || offset < 0 || offset > max) {
    throw new BadRequestError(
      max === 0
        ? `Invalid quota.offset '${offset}': Usage Plan quota offset must be zero in the DAY period`
        : `Invalid quota.offset '${offset}': Usage Plan quota offset must be between 0 and ${max} inclusive in the ${period} period`,
    );
  }
}

function applyOperation(draft: PlanDraft, op: PatchOperation): void {
  if (op.path.startsWith("/apiStages/")) {
    applyApiStageThrottleOperation(draft, op);
    return;
  }
  const segments = patchSegments(op.path);
  if (segments.length > 2) throw unsupportedPatch(op, allowedPaths(op));
  const [field, sub] = segments as [string, string | undefined];
  // add and replace mean the same on these paths (Terraform uses add for a first value).
  const verb = op.op === "add" && field !== "apiStages" ? "replace" : op.op;
  switch (`${verb} ${segments.join("/")}`) {
    case "replace name":
      draft.name = patchValue(op);
      break;
    case "replace description":
      draft.description = op.value ?? null;
      break;
    case "replace productCode":
      draft.productCode = patchValue(op);
      break;
    case "remove productCode":
      draft.productCode = null;
      break;
    case "replace throttle/rateLimit":
    case "replace throttle/burstLimit":
      draft.throttle = {
        ...draft.throttle,
        [sub!]: patchNumber(op, { integer: sub === "burstLimit", min: 0 }),
      };
      break;
    case "remove throttle":
      draft.throttle = null;
      break;
    case "replace quota/limit":
    case "replace quota/offset":
      draft.quota = { offset: 0, ...draft.quota, [sub!]: patchNumber(op, { integer: true, min: 0 }) };
      break;
    case "replace quota/period":
      draft.quota = { offset: 0, ...draft.quota, period: patchValue(op) as QuotaPeriod };
      break;
    case "remove quota":
      draft.quota = null;
      break;
    case "add apiStages":
      addApiStage(draft, op);
      break;
    case "remove apiStages":
      removeApiStage(draft, op);
      break;
    default:
      throw unsupportedPatch(op, allowedPaths(op));
  }
}

/** The paths UpdateUsagePlan accepts for the operation's verb, for AWS's error message. */
function allowedPaths(op: PatchOperation): string[] {
  return op.op === "remove" ? REMOVE_PATHS : op.op === "add" ? ADD_PATHS : REPLACE_PATHS;
}

function parseStageValue(op: PatchOperation): { apiId: string; stage: string } {
  const value = patchValue(op);
  const cut = value.indexOf(":");
  if (cut <= 0 || cut === value.length - 1) {
    throw new BadRequestError(
      `Invalid API Stage '${value}' for path '${op.path}': expected 'apiId:stageName'`,
    );
  }
  return { apiId: value.slice(0, cut), stage: value.slice(cut + 1) };
}

function addApiStage(draft: PlanDraft, op: PatchOperation): void {
  const added = parseStageValue(op);
  if (draft.apiStages.some((s) => stageId(s) === stageId(added))) {
    throw new ConflictError(`API Stage ${stageId(added)} is already in usage plan '${draft.name}'`);
  }
  draft.apiStages.push(added);
}

function removeApiStage(draft: PlanDraft, op: PatchOperation): void {
  const removed = stageId(parseStageValue(op));
  const index = draft.apiStages.findIndex((s) => stageId(s) === removed);
  if (index < 0)
    throw new BadRequestError(`Invalid API Stage specified: ${removed} is not in usage plan '${draft.name}'`);
  draft.apiStages.splice(index, 1);
}

/**
 * `/apiStages/{apiId}:{stage}/throttle[/{resourcePath}/{httpMethod}[/rateLimit|/burstLimit]]`.
 * The resource path may come escaped (`~1pets/GET`) or raw (`/pets/GET`, as Terraform sends it).
 */
function applyApiStageThrottleOperation(draft: PlanDraft, op: PatchOperation): void {
  const match = /^\/apiStages\/([^/]+)\/throttle(?:\/(.+))?$/.exec(op.path);
  if (!match) throw unsupportedPatch(op, allowedPaths(op));
  const id = unescapePointer(match[1]!);
  const apiStage = draft.apiStages.find((s) => stageId(s) === id);
  if (!apiStage)
    throw new BadRequestError(`Invalid API Stage specified: ${id} is not in usage plan '${draft.name}'`);
  const rest = match[2];
  if (op.op === "remove") {
    if (rest === undefined) delete apiStage.throttle;
    else removeMethodThrottle(apiStage, methodKey(rest), op);
    return;
  }
  const limit = rest ? /^(.+)\/(rateLimit|burstLimit)$/.exec(rest) : null;
  if ((op.op !== "add" && op.op !== "replace") || !limit) {
    throw unsupportedPatch(op, allowedPaths(op));
  }
  const key = methodKey(limit[1]!);
  const field = limit[2] as "rateLimit" | "burstLimit";
  const value = patchNumber(op, { integer: field === "burstLimit", min: 0 });
  apiStage.throttle = { ...apiStage.throttle, [key]: { ...apiStage.throttle?.[key], [field]: value } };
}

function removeMethodThrottle(apiStage: ApiStage, key: string, op: PatchOperation): void {
  if (!apiStage.throttle?.[key]) {
    throw new BadRequestError(
      `Invalid patch path '${op.path}': API Stage ${stageId(apiStage)} has no throttle for '${key}'`,
    );
  }
  delete apiStage.throttle[key];
  if (Object.keys(apiStage.throttle).length === 0) delete apiStage.throttle;
}

/** The throttle key a patch path names: JSON Pointer escapes undone, leading slash ensured. */
function methodKey(raw: string): string {
  const key = unescapePointer(raw);
  return key.startsWith("/") ? key : `/${key}`;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function toDraft(row: PlanRow): PlanDraft {
  const tags = fromJson<Record<string, string>>(row.tags, {});
  const productCode = row.product_code;
  return {
    name: row.name,
    description: row.description,
    apiStages: parseApiStages(row),
    throttle: fromJson<ThrottleSettings | null>(row.throttle, null),
    quota: fromJson<QuotaSettings | null>(row.quota, null),
    productCode,
    tags,
  };
}

function draftColumns(draft: PlanDraft) {
  return {
    name: draft.name,
    description: draft.description,
    throttle: draft.throttle ? toJson(draft.throttle) : null,
    quota: draft.quota
      ? toJson({ limit: draft.quota.limit, offset: draft.quota.offset ?? 0, period: draft.quota.period })
      : null,
    api_stages: toJson(draft.apiStages),
    product_code: draft.productCode,
    tags: toJson(draft.tags),
  };
}

function toUsagePlan(row: PlanRow): UsagePlan {
  const draft = toDraft(row);
  return {
    id: row.id,
    name: draft.name,
    ...(draft.description !== null ? { description: draft.description } : {}),
    apiStages: draft.apiStages,
    ...(draft.throttle ? { throttle: draft.throttle } : {}),
    ...(draft.quota ? { quota: draft.quota as QuotaSettings } : {}),
    ...(draft.productCode !== null ? { productCode: draft.productCode } : {}),
    ...(Object.keys(draft.tags).length ? { tags: draft.tags } : {}),
  };
}
