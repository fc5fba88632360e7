/**
 * Request validators of a REST API (API Gateway's RequestValidator resource): a method that
 * names one has its required parameters and/or its body checked by the gateway before anything
 * else sees the request.
 */
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchBoolean,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, type Tx } from "../store/index.js";
import type { Method, RequestValidator } from "./model.js";
import { syncByName } from "./sync-by-name.js";

export interface RequestValidatorInput {
  name: string;
  validateRequestBody?: boolean;
  validateRequestParameters?: boolean;
}

type ValidatorRow = {
  id: string;
  rest_api_id: string;
  name: string;
  validate_body: number;
  validate_parameters: number;
  created_at: number;
};

export function toRequestValidator(row: ValidatorRow): RequestValidator {
  return {
    id: row.id,
    name: row.name,
    validateRequestBody: row.validate_body === 1,
    validateRequestParameters: row.validate_parameters === 1,
  };
}

export async function loadRequestValidators(db: Tx, apiId: string): Promise<RequestValidator[]> {
  const rows = await db
    .selectFrom("request_validators")
    .selectAll()
    .where("rest_api_id", "=", apiId)
    .orderBy("name")
    .execute();
  return rows.map(toRequestValidator);
}

/** Writes the validators an import declares, by name; returns name → id. `overwrite` deletes others. */
export async function syncRequestValidators(
  trx: Tx,
  apiId: string,
  declared: RequestValidatorInput[],
  overwrite: boolean,
  now: number,
): Promise<Map<string, string>> {
  const fields = (v: RequestValidatorInput) => ({
    validate_body: v.validateRequestBody ? 1 : 0,
    validate_parameters: v.validateRequestParameters ? 1 : 0,
  });
  return syncByName(
    await loadRequestValidators(trx, apiId),
    declared.map((v) => [v.name, v] as const),
    overwrite,
    {
      update: (id, v) => trx.updateTable("request_validators").set(fields(v)).where("id", "=", id).execute(),
      insert: async (name, v) => {
        const row = { id: newId(), rest_api_id: apiId, name, created_at: now, ...fields(v) };
        await trx.insertInto("request_validators").values(row).execute();
        return row.id;
      },
      remove: (ids) => trx.deleteFrom("request_validators").where("id", "in", ids).execute(),
    },
  );
}

/** CreateRequestValidator, GetRequestValidator(s), UpdateRequestValidator, DeleteRequestValidator. */
export class RequestValidatorService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(apiId: string, input: RequestValidatorInput): Promise<RequestValidator> {
    if (!input.name?.trim()) throw new BadRequestError("Invalid request validator name: it cannot be empty");
    await requireApi(this.store.db, apiId);
    const row: ValidatorRow = {
      id: newId(),
      rest_api_id: apiId,
      name: input.name,
      validate_body: input.validateRequestBody ? 1 : 0,
      validate_parameters: input.validateRequestParameters ? 1 : 0,
      created_at: this.clock.now(),
    };
    await this.write(input.name, (trx) => trx.insertInto("request_validators").values(row).execute());
    return toRequestValidator(row);
  }

  async list(apiId: string): Promise<RequestValidator[]> {
    await requireApi(this.store.db, apiId);
    return loadRequestValidators(this.store.db, apiId);
  }

  async get(apiId: string, id: string): Promise<RequestValidator> {
    return toRequestValidator(await this.row(apiId, id));
  }

  async update(apiId: string, id: string, operations: PatchOperation[]): Promise<RequestValidator> {
    const row = { ...(await this.row(apiId, id)) };
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (op.op !== "replace" || rest.length) throw unsupportedPatch(op, PATCH_PATHS);
      if (field === "name") {
        row.name = patchValue(op);
        if (!row.name.trim()) throw new BadRequestError("Invalid request validator name: it cannot be empty");
      } else if (field === "validateRequestBody") row.validate_body = patchBoolean(op) ? 1 : 0;
      else if (field === "validateRequestParameters") row.validate_parameters = patchBoolean(op) ? 1 : 0;
      else throw unsupportedPatch(op, PATCH_PATHS);
    }
    await this.write(row.name, (trx) =>
      trx.updateTable("request_validators").set(row).where("id", "=", id).execute(),
    );
    return toRequestValidator(row);
  }

  /** Refused while a method names the validator. */
  async delete(apiId: string, id: string): Promise<void> {
    await this.row(apiId, id);
    const rows = await this.store.db
      .selectFrom("resources")
      .select(["path", "methods"])
      .where("rest_api_id", "=", apiId)
      .execute();
    const users = rows.flatMap((r) =>
      Object.values(fromJson<Record<string, Method>>(r.methods, {}))
        .filter((m) => m.requestValidatorId === id)
        .map((m) => `${m.httpMethod} ${r.path}`),
    );
    if (users.length)
      throw new ConflictError(`Cannot delete request validator ${id}: it is used by ${users.join(", ")}`);
    await this.write("", (trx) => trx.deleteFrom("request_validators").where("id", "=", id).execute());
  }

  private async row(apiId: string, id: string): Promise<ValidatorRow> {
    await requireApi(this.store.db, apiId);
    const row = await this.store.db
      .selectFrom("request_validators")
      .selectAll()
      .where("rest_api_id", "=", apiId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid Request Validator identifier specified: ${id}`);
    return row;
  }

  private async write(name: string, fn: (trx: Tx) => Promise<unknown>): Promise<void> {
    try {
      await this.store.transaction(async (trx) => {
        await fn(trx);
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`A request validator named '${name}' already exists in this API`);
      throw error;
    }
  }
}

const PATCH_PATHS = ["/name", "/validateRequestBody", "/validateRequestParameters"];

async function requireApi(db: Tx, apiId: string): Promise<void> {
  const row = await db.selectFrom("rest_apis").select("id").where("id", "=", apiId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API identifier specified: ${apiId}`);
}
