import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { PatchOperation } from "../core/patch.js";
import { patchBoolean, patchSegments, patchValue, unsupportedPatch } from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, toJson } from "../store/index.js";

/** A tenant: one customer of the provider. It owns API keys (a key's `customerId` is its tenant id). */
export interface Tenant {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  /** Epoch seconds, as API Gateway's timestamps. */
  createdDate: number;
  lastUpdatedDate: number;
  tags: Record<string, string>;
  /** Blocked: every request of the tenant's keys (or authorizer identities) gets 403 at once. */
  blocked: boolean;
  /** Why, shown in the 403 (optional). */
  blockReason?: string;
  /**
   * API resources the tenant may call, as `{restApiId}/{stage}/{METHOD}/{path}` with `*`
   * wildcards (`a1b2c3d4e5/prod/GET/*`); absent or empty: every resource its plans cover.
   */
  allowedResources?: string[];
  /** Resources the tenant may not call, in the same form; a match wins over an allow. */
  deniedResources?: string[];
}

/** What the gateway lets a tenant call; the `gateway_access` column. */
export interface TenantAccess {
  blocked?: boolean;
  blockReason?: string;
  allow?: string[];
  deny?: string[];
}

export interface CreateTenantInput {
  name: string;
  description?: string;
  enabled?: boolean;
  tags?: Record<string, string>;
  blocked?: boolean;
  blockReason?: string;
  allowedResources?: string[];
  deniedResources?: string[];
}

// `{api}/{stage}/{METHOD}/{path}`: at least the API, each part wildcards or the characters paths use.
const RESOURCE_PATTERN = /^[A-Za-z0-9*?]+(?:\/[A-Za-z0-9_*?-]+(?:\/(?:[A-Z*?]+)(?:\/[^\s]*)?)?)?$/;

/** Checks access patterns; throws BadRequestError naming the bad one. */
export function checkResourcePatterns(patterns: unknown, field: string): string[] {
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== "string")) {
    throw new BadRequestError(`Invalid ${field}: expected a list of resource patterns`);
  }
  for (const pattern of patterns as string[]) {
    if (!RESOURCE_PATTERN.test(pattern)) {
      throw new BadRequestError(
        `Invalid ${field} entry '${pattern}': expected {restApiId}/{stage}/{METHOD}/{path} with * wildcards, like a1b2c3d4e5/prod/GET/pets/*`,
      );
    }
  }
  return [...new Set(patterns as string[])];
}

function accessOf(
  input: Pick<CreateTenantInput, "blocked" | "blockReason" | "allowedResources" | "deniedResources">,
): TenantAccess {
  const access: TenantAccess = {};
  if (input.blocked) access.blocked = true;
  if (input.blockReason) access.blockReason = input.blockReason;
  if (input.allowedResources?.length)
    access.allow = checkResourcePatterns(input.allowedResources, "allowedResources");
  if (input.deniedResources?.length)
    access.deny = checkResourcePatterns(input.deniedResources, "deniedResources");
  return access;
}

type TenantRow = Awaited<ReturnType<TenantService["row"]>>;

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateTenantInput): Promise<Tenant> {
    const now = this.clock.now();
    const row = {
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled === false ? 0 : 1,
      tags: toJson(input.tags ?? {}),
      created_at: now,
      updated_at: now,
      gateway_access: toJson(accessOf(input)),
    };
    try {
      await this.store.transaction(async (trx) => {
        await trx.insertInto("tenants").values(row).execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A tenant named '${input.name}' already exists`);
      throw error;
    }
    return toTenant(row);
  }

  async get(id: string): Promise<Tenant> {
    return toTenant(await this.row(id));
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.store.db.selectFrom("tenants").selectAll().orderBy("name").execute();
    return rows.map(toTenant);
  }

  async update(id: string, operations: PatchOperation[]): Promise<Tenant> {
    const row = { ...(await this.row(id)) };
    const tags = fromJson<Record<string, string>>(row.tags, {});
    const access = fromJson<TenantAccess>(row.gateway_access, {});
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      const list = field === "allowedResources" ? "allow" : field === "deniedResources" ? "deny" : undefined;
      if (op.op === "replace" && field === "name" && !rest.length) row.name = patchValue(op);
      else if (op.op === "replace" && field === "blocked" && !rest.length) access.blocked = patchBoolean(op);
      else if (op.op === "replace" && field === "blockReason" && !rest.length)
        access.blockReason = op.value || undefined;
      else if (list && !rest.length && (op.op === "add" || op.op === "remove")) {
        // One pattern per operation, in the value (patterns hold slashes), as apiStages are patched.
        const pattern = checkResourcePatterns([patchValue(op)], field!)[0]!;
        const others = (access[list] ?? []).filter((p) => p !== pattern);
        access[list] = op.op === "add" ? [...others, pattern] : others;
      } else if (list && !rest.length && op.op === "replace") {
        // The whole list: JSON array or comma-separated; empty clears it.
        const value = (op.value ?? "").trim();
        const items = value.startsWith("[")
          ? parseList(value, field!)
          : value
              .split(",")
              .map((p) => p.trim())
              .filter(Boolean);
        access[list] = checkResourcePatterns(items, field!);
      } else if (op.op === "replace" && field === "description" && !rest.length)
        row.description = op.value ?? null;
      else if (op.op === "replace" && field === "enabled" && !rest.length)
        row.enabled = patchBoolean(op) ? 1 : 0;
      else if ((op.op === "add" || op.op === "replace") && field === "tags" && rest.length === 1)
        tags[rest[0]!] = patchValue(op);
      else if (op.op === "remove" && field === "tags" && rest.length === 1) delete tags[rest[0]!];
      else
        throw unsupportedPatch(op, [
          "/name",
          "/description",
          "/enabled",
          "/tags/{key}",
          "/blocked",
          "/blockReason",
          "/allowedResources",
          "/deniedResources",
        ]);
    }
    if (!access.blocked) delete access.blocked;
    if (!access.allow?.length) delete access.allow;
    if (!access.deny?.length) delete access.deny;
    row.gateway_access = toJson(access);
    row.tags = toJson(tags);
    row.updated_at = this.clock.now();
    try {
      await this.store.transaction(async (trx) => {
        await trx.updateTable("tenants").set(row).where("id", "=", id).execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A tenant named '${row.name}' already exists`);
      throw error;
    }
    return toTenant(row);
  }

  /** Deletes a tenant. Its keys stay but lose their owner (as deleting a customer in AWS leaves keys). */
  async delete(id: string): Promise<void> {
    await this.row(id);
    await this.store.transaction(async (trx) => {
      await trx.updateTable("api_keys").set({ customer_id: null }).where("customer_id", "=", id).execute();
      await trx.deleteFrom("tenants").where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  async row(id: string) {
    const row = await this.store.db.selectFrom("tenants").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid tenant identifier specified: ${id}`);
    return row;
  }
}

function toTenant(row: TenantRow): Tenant {
  const access = fromJson<TenantAccess>(row.gateway_access, {});
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    enabled: row.enabled === 1,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
    tags: fromJson(row.tags, {}),
    blocked: access.blocked === true,
    ...(access.blockReason ? { blockReason: access.blockReason } : {}),
    ...(access.allow?.length ? { allowedResources: access.allow } : {}),
    ...(access.deny?.length ? { deniedResources: access.deny } : {}),
  };
}

function parseList(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError(`Invalid value for /${field}: not a JSON list`);
  }
}
