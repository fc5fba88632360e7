import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, DomainError, NotFoundError } from "../core/errors.js";
import { newApiKeyValue, newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchBoolean,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import type { SecretBox } from "../core/secrets.js";
import { PLATFORM_EVENT_TYPES, recordPlatformEvent } from "../events/index.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import {
  type ApiStage,
  checkKeyStagesUnique,
  checkTags,
  keyStageConflict,
  parseApiStages,
  sharedStage,
  sortByName,
  stageExists,
  usagePlanRow,
} from "./usage-plans.js";

/** An API key, field for field as API Gateway returns it; `value` only when asked for. */
export interface ApiKey {
  id: string;
  value?: string;
  name?: string;
  /** The id of the tenant that owns the key. */
  customerId?: string;
  description?: string;
  enabled: boolean;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
  /** `restApiId/stageName`. */
  stageKeys: string[];
  tags?: Record<string, string>;
  /** Epoch seconds when the key stops working (rotated out or revoked); Tollgate's extension. */
  expiresDate?: number;
}

/** A rotation's outcome: the new key (with its value, shown once) and the old one, expiring. */
export interface RotatedApiKey {
  key: ApiKey;
  previous: ApiKey;
}

/** Longest grace period of a rotation: 30 days. */
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 3600;

export interface CreateApiKeyInput {
  name?: string;
  description?: string;
  /** False when absent, as in AWS. */
  enabled?: boolean;
  /** Accepted for compatibility; every key has a distinct id anyway. */
  generateDistinctId?: boolean;
  /** 20 to 128 printable ASCII characters; generated (40 characters) when absent. */
  value?: string;
  stageKeys?: Array<{ restApiId?: string; stageName?: string }>;
  customerId?: string;
  tags?: Record<string, string>;
}

export interface ListApiKeysFilter {
  /** Name prefix. */
  nameQuery?: string;
  customerId?: string;
  includeValues?: boolean;
}

/** A key as a member of a usage plan (AWS's UsagePlanKey): `value` is the key's value. */
export interface UsagePlanKey {
  id: string;
  type: "API_KEY";
  value: string;
  name?: string;
}

/** ImportApiKeys' answer: the ids imported and what was skipped, and why. */
export interface ApiKeyIds {
  ids: string[];
  warnings: string[];
}

/** What the gateway needs to admit a request by key. */
export interface KeyIdentity {
  id: string;
  enabled: boolean;
  customerId: string | undefined;
}

const MIN_VALUE_LENGTH = 20;
const MAX_VALUE_LENGTH = 128;
const MAX_NAME_LENGTH = 1024;
/** Values travel in the `x-api-key` header: printable ASCII, no spaces. */
const VALUE_CHARACTERS = /^[\x21-\x7e]+$/;
const PATCH_PATHS = ["/name", "/description", "/enabled", "/customerId", "/stages"];

type KeyRow = Awaited<ReturnType<typeof apiKeyRow>>;

/** One data row of an import file, with the line it starts on. */
interface ImportRow {
  line: number;
  name: string;
  value: string;
  description: string;
  enabled: string;
  usagePlanIds: string[];
}

/**
 * API keys and their membership of usage plans. Values are stored only as a keyed hash (for
 * lookup) and sealed (for `includeValue`); the plain value is never written or logged.
 */
export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
  ) {}

  async create(input: CreateApiKeyInput): Promise<ApiKey> {
    const value = input.value ?? newApiKeyValue();
    checkValue(value);
    checkName(input.name);
    checkTags(input.tags ?? {});
    const now = this.clock.now();
    try {
      const row = await this.store.transaction(async (trx) => {
        if (input.customerId !== undefined) await checkCustomer(trx, input.customerId);
        const stageKeys = (input.stageKeys ?? []).map((k) => `${k.restApiId ?? ""}/${k.stageName ?? ""}`);
        for (const stageKey of stageKeys) await checkStageKey(trx, stageKey);
        const row = {
          id: newId(),
          name: input.name ?? null,
          description: input.description ?? null,
          enabled: input.enabled ? 1 : 0,
          customer_id: input.customerId ?? null,
          value_hash: this.secrets.hash(value),
          value_sealed: this.secrets.seal(value),
          stage_keys: toJson([...new Set(stageKeys)]),
          tags: toJson(input.tags ?? {}),
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto("api_keys").values(row).execute();
        await keyEvent(trx, "created", row, now);
        await this.store.bumpRevision(trx);
        return row;
      });
      return toApiKey(row, value);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("API Key already exists");
      throw error;
    }
  }

  async get(id: string, options: { includeValue?: boolean } = {}): Promise<ApiKey> {
    const row = await apiKeyRow(this.store.db, id);
    return toApiKey(row, options.includeValue ? this.secrets.open(row.value_sealed) : undefined);
  }

  /** Keys ordered by name, filtered by name prefix and owner. */
  async list(filter: ListApiKeysFilter = {}): Promise<ApiKey[]> {
    let query = this.store.db.selectFrom("api_keys").selectAll();
    if (filter.customerId) query = query.where("customer_id", "=", filter.customerId);
    const rows = sortByName(await query.execute()).filter((r) =>
      (r.name ?? "").startsWith(filter.nameQuery ?? ""),
    );
    return rows.map((r) => toApiKey(r, filter.includeValues ? this.secrets.open(r.value_sealed) : undefined));
  }

  /** UpdateApiKey: /name, /description, /enabled, /customerId, add or remove /stages; all or nothing. */
  async update(id: string, operations: PatchOperation[]): Promise<ApiKey> {
    const row = await this.store.transaction(async (trx) => {
      const current = await apiKeyRow(trx, id);
      const next = { ...current, updated_at: this.clock.now() };
      const stageKeys = fromJson<string[]>(current.stage_keys, []);
      for (const op of operations) await applyKeyOperation(trx, next, stageKeys, op);
      next.stage_keys = toJson(stageKeys);
      await trx.updateTable("api_keys").set(next).where("id", "=", id).execute();
      if (current.enabled === 1 && next.enabled === 0)
        await keyEvent(trx, "disabled", next, next.updated_at, "disabled");
      await this.store.bumpRevision(trx);
      return next;
    });
    return toApiKey(row);
  }

  /** Deletes a key; it leaves every usage plan it was on. */
  async delete(id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await apiKeyRow(trx, id);
      await trx.deleteFrom("usage_plan_keys").where("key_id", "=", id).execute();
      await trx.deleteFrom("api_keys").where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  /**
   * Rotates a key: a new key with a new value takes the old one's name, owner, stage keys, tags
   * and usage plans; the old key keeps working for `graceSeconds` (0: it stops now), then the
   * expiry sweep (`expireDue`) disables it. A key already expiring cannot be rotated again.
   */
  async rotate(id: string, input: { graceSeconds: number; value?: string }): Promise<RotatedApiKey> {
    const grace = input.graceSeconds;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_ROTATION_GRACE_SECONDS) {
      throw new BadRequestError(
        `Invalid graceSeconds '${grace}': expected a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS} (30 days)`,
      );
    }
    const value = input.value ?? newApiKeyValue();
    checkValue(value);
    const now = this.clock.now();
    try {
      const [next, previous] = await this.store.transaction(async (trx) => {
        const current = await apiKeyRow(trx, id);
        if (current.expires_at != null) {
          throw new ConflictError(
            `API Key ${id} was already rotated or revoked: it expires at ${new Date(current.expires_at).toISOString()}`,
          );
        }
        const next = {
          ...current,
          id: newId(),
          value_hash: this.secrets.hash(value),
          value_sealed: this.secrets.seal(value),
          created_at: now,
          updated_at: now,
          expires_at: null,
        };
        await trx.insertInto("api_keys").values(next).execute();
        await keyEvent(trx, "created", next, now);
        const plans = await trx
          .selectFrom("usage_plan_keys")
          .select("usage_plan_id")
          .where("key_id", "=", id)
          .execute();
        for (const { usage_plan_id } of plans) {
          await trx
            .insertInto("usage_plan_keys")
            .values({ usage_plan_id, key_id: next.id, created_at: now })
            .execute();
        }
        const previous = {
          ...current,
          expires_at: now + grace * 1000,
          enabled: grace === 0 ? 0 : current.enabled,
          updated_at: now,
        };
        await trx
          .updateTable("api_keys")
          .set({ expires_at: previous.expires_at, enabled: previous.enabled, updated_at: now })
          .where("id", "=", id)
          .execute();
        if (current.enabled === 1 && previous.enabled === 0)
          await keyEvent(trx, "disabled", previous, now, "rotated");
        await this.store.bumpRevision(trx);
        return [next, previous];
      });
      return { key: toApiKey(next, value), previous: toApiKey(previous) };
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("API Key already exists");
      throw error;
    }
  }

  /** Revokes a key: disabled now and marked expired, for good (an admin's disable can be undone, this cannot). */
  async revoke(id: string): Promise<ApiKey> {
    const now = this.clock.now();
    const row = await this.store.transaction(async (trx) => {
      const current = await apiKeyRow(trx, id);
      const expires = current.expires_at != null && current.expires_at < now ? current.expires_at : now;
      await trx
        .updateTable("api_keys")
        .set({ enabled: 0, expires_at: expires, updated_at: now })
        .where("id", "=", id)
        .execute();
      if (current.enabled === 1) await keyEvent(trx, "disabled", current, now, "revoked");
      await this.store.bumpRevision(trx);
      return { ...current, enabled: 0, expires_at: expires, updated_at: now };
    });
    return toApiKey(row);
  }

  /**
   * Disables every enabled key whose expiry has passed, in one revision bump, so gateways reload
   * and answer 403 for them. Returns the ids disabled. Run periodically (`KeyExpirySweep`).
   */
  async expireDue(): Promise<string[]> {
    const now = this.clock.now();
    return this.store.transaction(async (trx) => {
      const due = await trx
        .selectFrom("api_keys")
        .select(["id", "name", "customer_id"])
        .where("enabled", "=", 1)
        .where("expires_at", "is not", null)
        .where("expires_at", "<=", now)
        .execute();
      if (!due.length) return [];
      const ids = due.map((r) => r.id);
      await trx.updateTable("api_keys").set({ enabled: 0, updated_at: now }).where("id", "in", ids).execute();
      for (const key of due) await keyEvent(trx, "disabled", key, now, "expired");
      await this.store.bumpRevision(trx);
      return ids;
    });
  }

  /** The key whose value this is, looked up by its hash (the gateway's question). */
  async findByValue(value: string): Promise<KeyIdentity | undefined> {
    const row = await this.store.db
      .selectFrom("api_keys")
      .select(["id", "enabled", "customer_id"])
      .where("value_hash", "=", this.secrets.hash(value))
      .executeTakeFirst();
    return row && { id: row.id, enabled: row.enabled === 1, customerId: row.customer_id ?? undefined };
  }

  /**
   * ImportApiKeys from AWS's CSV format: a header with Name and Key (any case, any order) and
   * optionally Description, Enabled (default true) and UsagePlanIds. A row that breaks a rule is
   * skipped with a warning; with `failOnWarnings` any warning fails the import and nothing changes.
   * A value that already exists is overwritten, as AWS does.
   */
  async importCsv(
    document: string,
    options: { format?: string; failOnWarnings?: boolean },
  ): Promise<ApiKeyIds> {
    if (options.format?.toLowerCase() !== "csv") {
      throw new BadRequestError(
        `Invalid format '${options.format ?? ""}': ImportApiKeys supports only 'csv'`,
      );
    }
    const rows = readImportRows(document);
    return this.store.transaction(async (trx) => {
      const result: ApiKeyIds = { ids: [], warnings: [] };
      for (const row of rows) {
        try {
          const id = await this.importRow(trx, row);
          // A value listed twice is one key, overwritten by its later row.
          if (!result.ids.includes(id)) result.ids.push(id);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          result.warnings.push(`Line ${row.line}: ${error.message}; row skipped`);
        }
      }
      if (options.failOnWarnings && result.warnings.length) {
        throw new BadRequestError(
          `Import failed on warnings, nothing was imported: ${result.warnings.join(" | ")}`,
        );
      }
      if (result.ids.length) await this.store.bumpRevision(trx);
      return result;
    });
  }

  /** CreateUsagePlanKey: puts an existing key on a plan. */
  async addToPlan(planId: string, input: { keyId: string; keyType: string }): Promise<UsagePlanKey> {
    if (input.keyType !== "API_KEY") {
      throw new BadRequestError(`Invalid keyType '${input.keyType}': the only key type is API_KEY`);
    }
    const key = await this.store.transaction(async (trx) => {
      const plan = await usagePlanRow(trx, planId);
      const key = await apiKeyRow(trx, input.keyId);
      if (await membership(trx, planId, key.id)) {
        throw new ConflictError(`API Key ${key.id} is already on Usage Plan ${planId}`);
      }
      await checkKeyStagesUnique(trx, key.id, planId, parseApiStages(plan));
      await trx
        .insertInto("usage_plan_keys")
        .values({ usage_plan_id: planId, key_id: key.id, created_at: this.clock.now() })
        .execute();
      await this.store.bumpRevision(trx);
      return key;
    });
    return this.toUsagePlanKey(key);
  }

  /** GetUsagePlanKeys: the plan's keys by name, optionally those whose name starts with `nameQuery`. */
  async listOnPlan(planId: string, nameQuery = ""): Promise<UsagePlanKey[]> {
    await usagePlanRow(this.store.db, planId);
    const rows = await this.store.db
      .selectFrom("api_keys")
      .innerJoin("usage_plan_keys", "usage_plan_keys.key_id", "api_keys.id")
      .selectAll("api_keys")
      .where("usage_plan_keys.usage_plan_id", "=", planId)
      .execute();
    return sortByName(rows)
      .filter((r) => (r.name ?? "").startsWith(nameQuery))
      .map((r) => this.toUsagePlanKey(r));
  }

  async getOnPlan(planId: string, keyId: string): Promise<UsagePlanKey> {
    await usagePlanRow(this.store.db, planId);
    await requireMembership(this.store.db, planId, keyId);
    return this.toUsagePlanKey(await apiKeyRow(this.store.db, keyId));
  }

  /** DeleteUsagePlanKey: takes the key off the plan; the key itself stays. */
  async removeFromPlan(planId: string, keyId: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await usagePlanRow(trx, planId);
      await requireMembership(trx, planId, keyId);
      await trx
        .deleteFrom("usage_plan_keys")
        .where("usage_plan_id", "=", planId)
        .where("key_id", "=", keyId)
        .execute();
      await this.store.bumpRevision(trx);
    });
  }

  /** Imports one row: every check runs before the first write, so a skipped row writes nothing. */
  private async importRow(trx: Tx, row: ImportRow): Promise<string> {
    checkValue(row.value);
    checkName(row.name);
    const enabled = parseEnabled(row.enabled);
    const existing = await trx
      .selectFrom("api_keys")
      .selectAll()
      .where("value_hash", "=", this.secrets.hash(row.value))
      .executeTakeFirst();
    const id = existing?.id ?? newId();
    const planIds = await this.plansToJoin(trx, id, row.usagePlanIds);
    const now = this.clock.now();
    const fields = { name: row.name || null, description: row.description || null, enabled, updated_at: now };
    if (existing) await trx.updateTable("api_keys").set(fields).where("id", "=", id).execute();
    else {
      await trx
        .insertInto("api_keys")
        .values({
          id,
          ...fields,
          customer_id: null,
          value_hash: this.secrets.hash(row.value),
          value_sealed: this.secrets.seal(row.value),
          stage_keys: "[]",
          tags: "{}",
          created_at: now,
        })
        .execute();
    }
    for (const planId of planIds) {
      await trx
        .insertInto("usage_plan_keys")
        .values({ usage_plan_id: planId, key_id: id, created_at: now })
        .execute();
    }
    return id;
  }

  /** The plans of `planIds` the key is not on yet, after checking they exist and share no stage. */
  private async plansToJoin(trx: Tx, keyId: string, planIds: string[]): Promise<string[]> {
    const current = await trx
      .selectFrom("usage_plans")
      .innerJoin("usage_plan_keys", "usage_plan_keys.usage_plan_id", "usage_plans.id")
      .select(["usage_plans.id", "usage_plans.api_stages"])
      .where("usage_plan_keys.key_id", "=", keyId)
      .execute();
    const held: ApiStage[][] = current.map(parseApiStages);
    const joining: string[] = [];
    for (const planId of new Set(planIds)) {
      if (current.some((p) => p.id === planId)) continue;
      const stages = parseApiStages(await usagePlanRow(trx, planId));
      const shared = sharedStage(held, stages);
      if (shared) throw keyStageConflict(keyId, planId, shared);
      held.push(stages);
      joining.push(planId);
    }
    return joining;
  }

  private toUsagePlanKey(row: KeyRow): UsagePlanKey {
    return {
      id: row.id,
      type: "API_KEY",
      value: this.secrets.open(row.value_sealed),
      ...(row.name !== null ? { name: row.name } : {}),
    };
  }
}

/**
 * Records "API Key Created" or "API Key Disabled" for the event bus, in the transaction of the
 * change (`reason`: disabled, revoked, rotated or expired).
 */
async function keyEvent(
  trx: Tx,
  kind: "created" | "disabled",
  key: { id: string; name: string | null; customer_id: string | null; enabled?: number },
  now: number,
  reason?: string,
): Promise<void> {
  await recordPlatformEvent(trx, {
    source: "tollgate.apikeys",
    detailType: kind === "created" ? PLATFORM_EVENT_TYPES.apiKeyCreated : PLATFORM_EVENT_TYPES.apiKeyDisabled,
    detail: {
      keyId: key.id,
      ...(key.name !== null ? { name: key.name } : {}),
      ...(key.customer_id !== null ? { tenantId: key.customer_id } : {}),
      ...(kind === "created" ? { enabled: key.enabled === 1 } : { reason }),
    },
    resources: [`apikeys/${key.id}`],
    time: now,
  });
}

async function apiKeyRow(db: Tx, id: string) {
  const row = await db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API Key identifier specified: ${id}`);
  return row;
}

async function membership(db: Tx, planId: string, keyId: string): Promise<boolean> {
  const row = await db
    .selectFrom("usage_plan_keys")
    .select("key_id")
    .where("usage_plan_id", "=", planId)
    .where("key_id", "=", keyId)
    .executeTakeFirst();
  return row !== undefined;
}

async function requireMembership(db: Tx, planId: string, keyId: string): Promise<void> {
  if (!(await membership(db, planId, keyId))) {
    throw new NotFoundError(
      `Invalid Usage Plan Key identifier specified: API Key ${keyId} is not on Usage Plan ${planId}`,
    );
  }
}

async function checkCustomer(db: Tx, customerId: string): Promise<void> {
  const tenant = await db.selectFrom("tenants").select("id").where("id", "=", customerId).executeTakeFirst();
  if (!tenant) {
    throw new BadRequestError(
      `Invalid customerId '${customerId}': it must be the id of an existing tenant (see GET /tenants)`,
    );
  }
}

async function checkStageKey(db: Tx, stageKey: string): Promise<void> {
  const cut = stageKey.indexOf("/");
  const [apiId, stage] = [stageKey.slice(0, cut), stageKey.slice(cut + 1)];
  if (!apiId || !stage || !(await stageExists(db, apiId, stage))) {
    throw new BadRequestError(
      `Invalid stage key '${stageKey}': expected 'restApiId/stageName' of an existing stage (Invalid stage identifier specified)`,
    );
  }
}

/** AWS's rules for a key value, with AWS's messages. */
function checkValue(value: string): void {
  if (value.length < MIN_VALUE_LENGTH) {
    throw new BadRequestError(`API Key value should be at least ${MIN_VALUE_LENGTH} characters`);
  }
  if (value.length > MAX_VALUE_LENGTH) {
    throw new BadRequestError(`API Key value exceeds maximum size of ${MAX_VALUE_LENGTH} characters`);
  }
  if (!VALUE_CHARACTERS.test(value)) {
    throw new BadRequestError("API Key value may contain only printable ASCII characters and no spaces");
  }
}

function checkName(name: string | undefined): void {
  if (name !== undefined && name.length > MAX_NAME_LENGTH) {
    throw new BadRequestError(`Invalid name: an API key name has at most ${MAX_NAME_LENGTH} characters`);
  }
}

async function applyKeyOperation(
  trx: Tx,
  row: KeyRow,
  stageKeys: string[],
  op: PatchOperation,
): Promise<void> {
  const [field, ...rest] = patchSegments(op.path);
  if (rest.length) throw unsupportedPatch(op, PATCH_PATHS);
  if (op.op === "replace" && field === "name") {
    row.name = patchValue(op);
    checkName(row.name);
  } else if (op.op === "replace" && field === "description") row.description = op.value ?? null;
  else if (op.op === "replace" && field === "enabled") row.enabled = patchBoolean(op) ? 1 : 0;
  else if (op.op === "replace" && field === "customerId") {
    // An empty value detaches the key from its tenant.
    if (op.value) await checkCustomer(trx, op.value);
    row.customer_id = op.value || null;
  } else if (op.op === "add" && field === "stages") {
    const stageKey = patchValue(op);
    await checkStageKey(trx, stageKey);
    if (!stageKeys.includes(stageKey)) stageKeys.push(stageKey);
  } else if (op.op === "remove" && field === "stages") {
    const index = stageKeys.indexOf(patchValue(op));
    if (index < 0)
      throw new BadRequestError(`Invalid stage key '${op.value}': the key has no such stage key`);
    stageKeys.splice(index, 1);
  } else throw unsupportedPatch(op, PATCH_PATHS);
}

function parseEnabled(raw: string): number {
  const value = raw.trim().toLowerCase();
  if (value === "" || value === "true") return 1;
  if (value === "false") return 0;
  throw new BadRequestError(`Invalid Enabled value '${raw}': expected true or false`);
}

function toApiKey(row: Omit<KeyRow, "expires_at"> & { expires_at?: number | null }, value?: string): ApiKey {
  const tags = fromJson<Record<string, string>>(row.tags, {});
  return {
    id: row.id,
    ...(value !== undefined ? { value } : {}),
    ...(row.name !== null ? { name: row.name } : {}),
    ...(row.customer_id !== null ? { customerId: row.customer_id } : {}),
    ...(row.description !== null ? { description: row.description } : {}),
    enabled: row.enabled === 1,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
    stageKeys: fromJson<string[]>(row.stage_keys, []),
    ...(Object.keys(tags).length ? { tags } : {}),
    ...(row.expires_at != null ? { expiresDate: Math.floor(row.expires_at / 1000) } : {}),
  };
}

/** Reads an import file's data rows, mapping AWS's case-insensitive column names. */
function readImportRows(document: string): ImportRow[] {
  const [header, ...records] = parseCsv(document);
  if (!header) throw new BadRequestError("Invalid CSV: the file is empty");
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  const column = (name: string) => columns.indexOf(name);
  if (column("name") < 0 || column("key") < 0) {
    throw new BadRequestError(
      `Invalid CSV: the header row must have the columns Name and Key (found: ${header.cells.join(", ")})`,
    );
  }
  const cell = (cells: string[], name: string) => cells[column(name)] ?? "";
  return records.map(({ line, cells }) => ({
    line,
    name: cell(cells, "name"),
    value: cell(cells, "key"),
    description: cell(cells, "description"),
    enabled: cell(cells, "enabled"),
    usagePlanIds: cell(cells, "usageplanids")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean),
  }));
}

/**
 * A small RFC 4180 reader: comma-separated fields, quoted with `"` or (as AWS's key files allow)
 * `'`, a doubled quote inside quotes being a literal one. Blank lines are skipped; each record
 * keeps the line it starts on, for warnings.
 */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const input = text.replace(/^\uFEFF/, "");
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let field = "";
  let quote: string | null = null;
  let quoted = false;
  let line = 1;
  let start = 1;
  const endField = () => {
    cells.push(quoted ? field : field.trim());
    field = "";
    quoted = false;
  };
  const endRecord = () => {
    if (cells.length > 1 || cells[0] !== "") records.push({ line: start, cells });
    cells = [];
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote) {
      if (c === quote && input[i + 1] === quote) i++;
      else if (c === quote) {
        quote = null;
        continue;
      }
      if (c === "\n") line++;
      field += c;
    } else if ((c === '"' || c === "'") && !quoted && field.trim() === "") {
      quote = c;
      quoted = true;
      field = "";
    } else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && input[i + 1] === "\n") i++;
      endField();
      endRecord();
      start = ++line;
    } else field += c;
  }
  if (quote) throw new BadRequestError(`Invalid CSV: a quoted field opened on line ${start} is never closed`);
  endField();
  endRecord();
  return records;
}
