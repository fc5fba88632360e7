/**
 * Model schemas: JSON Schema draft 4, as API Gateway's models are written. A model may refer to
 * another of its API (`https://apigateway.amazonaws.com/restapis/{id}/models/{name}`, or
 * `#/components/schemas/{name}` / `#/definitions/{name}` as imported documents do); `bundleSchema`
 * makes one self-contained schema of a model and everything it refers to, which `compileSchema`
 * compiles once (compiled validators are shared by identical schemas).
 */
import AjvDraft04, { type ErrorObject, type ValidateFunction } from "ajv-draft-04";
import addFormats from "ajv-formats";
import { BadRequestError } from "../core/errors.js";

const MODEL_REF =
  /^(?:https:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/|#\/components\/schemas\/|#\/definitions\/)([^/]+)$/;

// One instance for every API: schemas carry no $id, so nothing is registered across compiles.
const ajv = new (AjvDraft04 as unknown as typeof AjvDraft04.default)({
  strict: false,
  allErrors: true,
  validateSchema: true,
});
addFormats.default(ajv);
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 10_000;

/** A compiled schema: `validate(value)` is undefined when the value conforms, else what is wrong. */
export interface CompiledSchema {
  validate(value: unknown): string | undefined;
}

/**
 * One schema holding `name`'s model with every model it refers to under `definitions`, refs
 * re-pointed there, OpenAPI 3.0's `nullable` turned into a `"null"` type. `models` maps name to
 * parsed schema. Throws BadRequestError for a reference to a model the API does not have.
 */
export function bundleSchema(models: Map<string, unknown>, name: string): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const pending = [name];
  const seen = new Set<string>();
  let root: unknown;
  while (pending.length) {
    const current = pending.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    if (!models.has(current)) {
      throw new BadRequestError(
        `Model '${current === name ? name : `${name}' refers to model '${current}`}' does not exist in this API`,
      );
    }
    const rewritten = rewrite(models.get(current), (ref) => pending.push(ref));
    if (current === name) root = rewritten;
    // Refs to the root itself resolve through definitions too.
    definitions[current] = rewritten;
  }
  const base = typeof root === "object" && root !== null && !Array.isArray(root) ? root : {};
  return {
    ...(base as Record<string, unknown>),
    definitions: { ...definitions, ...((base as { definitions?: object }).definitions ?? {}) },
  };
}

function rewrite(value: unknown, onRef: (name: string) => void): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, onRef));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "$ref" && typeof child === "string") {
      const m = MODEL_REF.exec(child);
      if (m) {
        const target = decodeURIComponent(m[1]!);
        onRef(target);
        out.$ref = `#/definitions/${target.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        continue;
      }
    }
    out[key] = rewrite(child, onRef);
  }
  if (out.nullable === true && out.type !== undefined) {
    out.type = Array.isArray(out.type) ? [...out.type, "null"] : [out.type, "null"];
    delete out.nullable;
  }
  return out;
}

/** Compiles a bundled schema; throws BadRequestError when it is not a valid draft 4 schema. */
export function compileSchema(schema: Record<string, unknown>): CompiledSchema {
  const text = JSON.stringify(schema);
  let validate = compiled.get(text);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new BadRequestError(`Invalid model schema: ${(error as Error).message}`);
    }
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(text, validate);
  }
  const fn: ValidateFunction = validate;
  return {
    validate(value) {
      if (fn(value)) return undefined;
      return describeErrors(fn.errors ?? []);
    },
  };
}

/** Parses a model's schema text; throws BadRequestError naming the model. */
export function parseModelSchema(name: string, text: string | undefined): unknown {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`Invalid schema of model '${name}': not JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`Invalid schema of model '${name}': a JSON schema is an object`);
  }
  return value;
}

/** At most five problems, each `where: what` (`/name: must be string`). */
function describeErrors(errors: ErrorObject[]): string {
  const lines = errors.slice(0, 5).map((e) => {
    const where = e.instancePath || "(the body)";
    const extra =
      e.keyword === "additionalProperties"
        ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : e.keyword === "enum"
          ? ` ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
          : "";
    return `${where}: ${e.message}${extra}`;
  });
  if (errors.length > 5) lines.push(`(${errors.length - 5} more)`);
  return lines.join("; ");
}
