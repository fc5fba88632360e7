import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
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
}

export interface CreateTenantInput {
  name: string;
  description?: string;
  enabled?: boolean;
  tags?: Record<string, string>;
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
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (op.op === "replace" && field === "name" && !rest.length) row.name = patchValue(op);
      else if (op.op === "replace" && field === "description" && !rest.length)
        row.description = op.value ?? null;
      else if (op.op === "replace" && field === "enabled" && !rest.length)
        row.enabled = patchBoolean(op) ? 1 : 0;
      else if ((op.op === "add" || op.op === "replace") && field === "tags" && rest.length === 1)
        tags[rest[0]!] = patchValue(op);
      else if (op.op === "remove" && field === "tags" && rest.length === 1) delete tags[rest[0]!];
      else throw unsupportedPatch(op, ["/name", "/description", "/enabled", "/tags/{key}"]);
    }
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
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    enabled: row.enabled === 1,
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
    tags: fromJson(row.tags, {}),
  };
}
