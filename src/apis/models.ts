/**
 * Models of a REST API (API Gateway's Model resource): named JSON schemas that methods'
 * `requestModels` name per content type, and that request validation checks bodies against.
 */
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type PatchOperation, patchSegments, patchValue, unsupportedPatch } from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, type Tx } from "../store/index.js";
import type { Method, Model } from "./model.js";
import { bundleSchema, compileSchema, parseModelSchema } from "./model-schemas.js";
import { syncByName } from "./sync-by-name.js";

export interface ModelInput {
  name: string;
  description?: string;
  schema?: string;
  contentType: string;
}

const MODEL_NAME = /^[A-Za-z0-9]+$/;
// Imported documents name schemas more freely; they keep their names when these allow them.
const IMPORTED_NAME = /^[A-Za-z0-9._-]+$/;

type ModelRow = {
  id: string;
  rest_api_id: string;
  name: string;
  content_type: string;
  description: string | null;
  schema: string | null;
  created_at: number;
};

export function toModel(row: ModelRow): Model {
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.schema !== null ? { schema: row.schema } : {}),
    contentType: row.content_type,
  };
}

/** The API's models, ordered by name. */
export async function loadModels(db: Tx, apiId: string): Promise<Model[]> {
  const rows = await db
    .selectFrom("models")
    .selectAll()
    .where("rest_api_id", "=", apiId)
    .orderBy("name")
    .execute();
  return rows.map(toModel);
}

/**
 * Checks that every model's schema is JSON, refers only to models of the set, and compiles as a
 * draft 4 schema. Throws BadRequestError naming the model.
 */
export function checkModels(models: Array<Pick<Model, "name" | "schema">>): void {
  const parsed = new Map(models.map((m) => [m.name, parseModelSchema(m.name, m.schema)]));
  for (const model of models) {
    try {
      compileSchema(bundleSchema(parsed, model.name));
    } catch (error) {
      throw new BadRequestError(`Invalid model '${model.name}': ${(error as Error).message}`);
    }
  }
}

/** Whether an imported schema name can be a model name. */
export function importableModelName(name: string): boolean {
  return IMPORTED_NAME.test(name);
}

/**
 * Writes the models an import declares, by name (existing ones take the document's schema);
 * `overwrite` deletes the API's others.
 */
export async function syncModels(
  trx: Tx,
  apiId: string,
  declared: ModelInput[],
  overwrite: boolean,
  now: number,
): Promise<void> {
  const fields = (model: ModelInput) => ({
    content_type: model.contentType,
    description: model.description ?? null,
    schema: model.schema ?? null,
  });
  await syncByName(
    await loadModels(trx, apiId),
    declared.map((m) => [m.name, m] as const),
    overwrite,
    {
      update: (id, model) => trx.updateTable("models").set(fields(model)).where("id", "=", id).execute(),
      insert: async (name, model) => {
        const id = newId();
        await trx
          .insertInto("models")
          .values({ id, rest_api_id: apiId, name, created_at: now, ...fields(model) })
          .execute();
        return id;
      },
      remove: (ids) => trx.deleteFrom("models").where("id", "in", ids).execute(),
    },
  );
}

/** CreateModel, GetModel(s), UpdateModel, DeleteModel. Models are addressed by name, as AWS. */
export class ModelService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(apiId: string, input: ModelInput): Promise<Model> {
    if (!MODEL_NAME.test(input.name ?? "")) {
      throw new BadRequestError(`Invalid model name '${input.name}': a model name is alphanumeric`);
    }
    if (!input.contentType?.trim()) throw new BadRequestError("Invalid model: contentType is required");
    const others = await this.list(apiId);
    checkModels([...others, { name: input.name, schema: input.schema }]);
    const row: ModelRow = {
      id: newId(),
      rest_api_id: apiId,
      name: input.name,
      content_type: input.contentType,
      description: input.description ?? null,
      schema: input.schema ?? null,
      created_at: this.clock.now(),
    };
    try {
      await this.store.transaction(async (trx) => {
        await trx.insertInto("models").values(row).execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`Model name already exists for this REST API: ${input.name}`);
      throw error;
    }
    return toModel(row);
  }

  async list(apiId: string): Promise<Model[]> {
    await requireApi(this.store.db, apiId);
    return loadModels(this.store.db, apiId);
  }

  async get(apiId: string, name: string): Promise<Model> {
    return toModel(await this.row(apiId, name));
  }

  /** `replace /schema` and `replace /description`; the schema must still compile with the API's others. */
  async update(apiId: string, name: string, operations: PatchOperation[]): Promise<Model> {
    const row = { ...(await this.row(apiId, name)) };
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (op.op === "replace" && field === "schema" && !rest.length) row.schema = patchValue(op);
      else if (op.op === "replace" && field === "description" && !rest.length)
        row.description = op.value || null;
      else throw unsupportedPatch(op, ["/schema", "/description"]);
    }
    const models = (await this.list(apiId)).map((m) => (m.name === name ? toModel(row) : m));
    checkModels(models);
    await this.store.transaction(async (trx) => {
      await trx.updateTable("models").set(row).where("id", "=", row.id).execute();
      await this.store.bumpRevision(trx);
    });
    return toModel(row);
  }

  /** Refused while a method or another model refers to it. */
  async delete(apiId: string, name: string): Promise<void> {
    const row = await this.row(apiId, name);
    const users = await methodsUsingModel(this.store.db, apiId, name);
    if (users.length) {
      throw new ConflictError(
        `Cannot delete model '${name}': it is the request model of ${users.join(", ")}`,
      );
    }
    const rest = (await this.list(apiId)).filter((m) => m.name !== name);
    try {
      checkModels(rest);
    } catch {
      throw new ConflictError(`Cannot delete model '${name}': another model of this API refers to it`);
    }
    await this.store.transaction(async (trx) => {
      await trx.deleteFrom("models").where("id", "=", row.id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  private async row(apiId: string, name: string): Promise<ModelRow> {
    await requireApi(this.store.db, apiId);
    const row = await this.store.db
      .selectFrom("models")
      .selectAll()
      .where("rest_api_id", "=", apiId)
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid model name specified: ${name}`);
    return row;
  }
}

async function requireApi(db: Tx, apiId: string): Promise<void> {
  const row = await db.selectFrom("rest_apis").select("id").where("id", "=", apiId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API identifier specified: ${apiId}`);
}

async function methodsUsingModel(db: Tx, apiId: string, name: string): Promise<string[]> {
  const rows = await db
    .selectFrom("resources")
    .select(["path", "methods"])
    .where("rest_api_id", "=", apiId)
    .execute();
  const users: string[] = [];
  for (const row of rows) {
    for (const method of Object.values(fromJson<Record<string, Method>>(row.methods, {}))) {
      if (Object.values(method.requestModels ?? {}).includes(name))
        users.push(`${method.httpMethod} ${row.path}`);
    }
  }
  return users;
}
