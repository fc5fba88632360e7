/**
 * Request validation as API Gateway's request validators do it: a method that names a validator
 * has its required query parameters and headers checked (`validateRequestParameters`), and its
 * body checked against the model its `requestModels` name for the request's content type
 * (`validateRequestBody`). Compiled per method at configuration load; a refused request never
 * reaches the upstream, and is not counted against limits.
 */
import {
  bundleSchema,
  type CompiledSchema,
  compileSchema,
  type Method,
  type Model,
  parseModelSchema,
  type RequestValidator,
} from "../apis/index.js";
import { headerValue } from "./authorizers.js";
import type { Refusal } from "./responses.js";

/** What one method's validator checks. */
export interface MethodValidation {
  /** Required query parameters, as named. */
  query?: string[];
  /** Required headers, lower-cased. */
  headers?: string[];
  /** Body schemas by media type (lower-cased); absent: bodies are not validated. */
  bodies?: Map<string, CompiledSchema>;
}

/** The models of one deployed API, parsed once for all its methods. */
export class ApiModels {
  private readonly parsed = new Map<string, unknown>();
  private readonly schemas = new Map<string, CompiledSchema | Error>();

  constructor(models: Model[]) {
    for (const m of models) {
      try {
        this.parsed.set(m.name, parseModelSchema(m.name, m.schema));
      } catch (error) {
        this.schemas.set(m.name, error as Error);
      }
    }
  }

  /** The compiled schema of a model; throws when it cannot be compiled (the method answers 500). */
  schema(name: string): CompiledSchema {
    let schema = this.schemas.get(name);
    if (!schema) {
      try {
        schema = compileSchema(bundleSchema(this.parsed, name));
      } catch (error) {
        schema = error as Error;
      }
      this.schemas.set(name, schema);
    }
    if (schema instanceof Error) throw schema;
    return schema;
  }
}

/**
 * Compiles what a method's validator checks; undefined when it checks nothing (no validator,
 * or nothing required). Throws when a model cannot be compiled.
 */
export function compileValidation(
  method: Method,
  validators: Map<string, RequestValidator>,
  models: ApiModels,
): MethodValidation | undefined {
  const validator = method.requestValidatorId ? validators.get(method.requestValidatorId) : undefined;
  if (!validator) return undefined;
  const out: MethodValidation = {};
  if (validator.validateRequestParameters) {
    for (const [parameter, required] of Object.entries(method.requestParameters ?? {})) {
      if (!required) continue;
      const m = /^method\.request\.(querystring|header)\.(.+)$/.exec(parameter);
      if (m?.[1] === "querystring") out.query = [...(out.query ?? []), m[2]!];
      else if (m?.[1] === "header") out.headers = [...(out.headers ?? []), m[2]!.toLowerCase()];
    }
  }
  if (validator.validateRequestBody && method.requestModels) {
    const bodies = new Map<string, CompiledSchema>();
    for (const [media, model] of Object.entries(method.requestModels))
      bodies.set(media.toLowerCase(), models.schema(model));
    if (bodies.size) out.bodies = bodies;
  }
  return out.query || out.headers || out.bodies ? out : undefined;
}

/** AWS's 400 for missing required parameters, naming them. */
export function checkParameters(
  v: MethodValidation,
  rawHeaders: string[],
  query: string,
): Refusal | undefined {
  const missing: string[] = [];
  if (v.query) {
    const params = new URLSearchParams(query);
    for (const name of v.query) if (!params.has(name)) missing.push(name);
  }
  if (v.headers) {
    for (const name of v.headers) if (headerValue(rawHeaders, name) === undefined) missing.push(name);
  }
  if (!missing.length) return undefined;
  return {
    status: 400,
    type: "BadRequestException",
    message: `Missing required request parameters: [${missing.join(", ")}]`,
  };
}

/**
 * The schema a body is validated against: the model for its media type, else (no Content-Type)
 * the `application/json` one. Undefined when the media type has no model: such bodies pass, as
 * on AWS.
 */
export function bodySchema(v: MethodValidation, rawHeaders: string[]): CompiledSchema | undefined {
  const contentType = headerValue(rawHeaders, "content-type");
  const media = contentType ? contentType.split(";")[0]!.trim().toLowerCase() : "application/json";
  return v.bodies?.get(media);
}

/** AWS's 400 for a body that fails its model, with what is wrong as Tollgate's `detail`. */
export function checkBody(schema: CompiledSchema, body: Buffer): Refusal | undefined {
  let value: unknown;
  const text = body.toString("utf8");
  if (text.trim() === "") return invalidBody("the body is empty; the method expects a JSON body");
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalidBody(`the body is not JSON (${(error as Error).message})`);
  }
  const problem = schema.validate(value);
  return problem === undefined ? undefined : invalidBody(problem);
}

function invalidBody(detail: string): Refusal {
  return { status: 400, type: "BadRequestException", message: "Invalid request body", detail };
}
