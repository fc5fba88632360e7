/**
 * Reading an OpenAPI file: JSON or YAML text (detected from the content) to a document,
 * structural validation with swagger-parser, and normalization to OpenAPI 3 so that import,
 * export and the gateway's mock answers read one dialect. Every failure is a 400 that says what
 * is wrong and where; nothing here touches the store.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { parse as parseYaml } from "yaml";
import { BadRequestError } from "../core/errors.js";
import { ANY_METHOD_KEY, isObject, type JsonObject, OPERATION_KEYS, objectOf } from "./openapi-json.js";
import { swaggerToOpenApi3 } from "./openapi-swagger2.js";

export type OpenApiDialect = "swagger-2.0" | "openapi-3.0" | "openapi-3.1";

export interface OpenApiDocument {
  /** The document in OpenAPI 3 (Swagger 2.0 converted), local `$ref`s kept. */
  document: JsonObject;
  dialect: OpenApiDialect;
  /** Findings that do not stop an import (Swagger 2.0 semantic checks). */
  warnings: string[];
}

/** Parses, validates and normalizes an OpenAPI 3.0/3.1 or Swagger 2.0 file. */
export async function readOpenApi(text: string): Promise<OpenApiDocument> {
  const raw = parseText(text);
  const dialect = dialectOf(raw);
  lenientFixes(raw);
  const warnings = await validateStructure(raw, dialect);
  const title = objectOf(raw.info).title;
  if (typeof title !== "string" || title.trim() === "") {
    throw invalid("info.title is required: it names the API");
  }
  if (dialect === "swagger-2.0") warnings.push(...(await swaggerSpecWarnings(raw)));
  return { document: dialect === "swagger-2.0" ? swaggerToOpenApi3(raw) : raw, dialect, warnings };
}

function invalid(problem: string): BadRequestError {
  return new BadRequestError(`Invalid OpenAPI definition: ${problem}`);
}

function parseText(text: string): JsonObject {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (!trimmed) throw invalid("the request body is empty; send the OpenAPI file (JSON or YAML) as the body");
  let value: unknown;
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw invalid(`the body is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    try {
      // The default alias limit of `yaml` guards against alias bombs.
      value = parseYaml(trimmed);
    } catch (error) {
      const first = (error as Error).message.split("\n")[0]?.replace(/:$/, "");
      throw invalid(`the body is neither JSON nor valid YAML: ${first}`);
    }
    // An alias may point at its own ancestor; the stored document must be plain JSON.
    try {
      value = JSON.parse(JSON.stringify(value));
    } catch {
      throw invalid("the YAML refers to itself through an alias; API definitions must be trees");
    }
  }
  if (!isObject(value)) {
    throw invalid("expected a JSON or YAML object with an 'openapi' (3.x) or 'swagger' (2.0) field");
  }
  return value;
}

function dialectOf(document: JsonObject): OpenApiDialect {
  const { swagger, openapi } = document;
  if (swagger !== undefined) {
    if (String(swagger) === "2.0" || swagger === 2) return "swagger-2.0";
    throw invalid(`unsupported Swagger version '${swagger}': expected 2.0`);
  }
  if (openapi === undefined) {
    throw invalid("the document has neither an 'openapi' (3.x) nor a 'swagger' (2.0) version field");
  }
  const version = String(openapi);
  if (/^3\.0\.\d+$/.test(version)) return "openapi-3.0";
  if (/^3\.1\.\d+$/.test(version)) return "openapi-3.1";
  throw invalid(
    `unsupported OpenAPI version '${version}': Tollgate imports OpenAPI 3.0.x, 3.1.x and Swagger 2.0`,
  );
}

// Unquoted YAML numbers (`swagger: 2.0`, `version: 1.0`) are common in real files and unambiguous.
function lenientFixes(document: JsonObject): void {
  if (document.swagger === 2) document.swagger = "2.0";
  const info = document.info;
  if (isObject(info) && typeof info.version === "number") info.version = String(info.version);
}

/**
 * Fills in, on `copy`, what the OpenAPI schema requires but API Gateway's importer lets pass with
 * a warning: an operation's `responses` (method responses are optional there), a response's
 * `description`, `info.version`. Returns the warnings, in AWS's words.
 */
function fillToleratedOmissions(copy: JsonObject): string[] {
  const warnings: string[] = [];
  const missing = (where: string) => warnings.push(`Parse issue: attribute ${where} is missing`);
  if (isObject(copy.info) && copy.info.version === undefined) {
    missing("info.version");
    copy.info.version = "";
  }
  for (const [path, item] of Object.entries(objectOf(copy.paths))) {
    if (!isObject(item)) continue;
    for (const method of OPERATION_KEYS) {
      const operation = item[method];
      if (method === ANY_METHOD_KEY || !isObject(operation)) continue;
      const where = `paths.'${path}'(${method}).responses`;
      const { responses } = operation;
      if (responses === undefined || (isObject(responses) && Object.keys(responses).length === 0)) {
        missing(where);
        operation.responses = { default: { description: "" } };
      } else if (isObject(responses)) {
        for (const [code, response] of Object.entries(responses)) {
          if (!isObject(response) || response.$ref !== undefined || response.description !== undefined)
            continue;
          missing(`${where}.${code}.description`);
          response.description = "";
        }
      }
    }
  }
  return warnings;
}

/** Checks the document against the OpenAPI schema; returns the warnings for what AWS tolerates. */
async function validateStructure(document: JsonObject, dialect: OpenApiDialect): Promise<string[]> {
  const copy = structuredClone(document);
  const warnings = fillToleratedOmissions(copy);
  // Validate against the newest schema of the minor version the parser knows.
  if (dialect === "openapi-3.0") copy.openapi = "3.0.3";
  if (dialect === "openapi-3.1") copy.openapi = "3.1.0";
  try {
    // External references are never fetched: a document is imported on its own.
    await SwaggerParser.validate(copy as never, { resolve: { external: false }, validate: { spec: false } });
  } catch (error) {
    throw invalid(describeValidationError(error));
  }
  return warnings;
}

async function swaggerSpecWarnings(document: JsonObject): Promise<string[]> {
  // API Gateway's greedy `{proxy+}` pairs with a parameter named `proxy`; the checker expects `{proxy}`.
  const copy = structuredClone(document);
  copy.paths = Object.fromEntries(
    Object.entries(objectOf(copy.paths)).map(([path, item]) => [
      path.replace(/\{([^}]+)\+\}/g, "{$1}"),
      item,
    ]),
  );
  try {
    await SwaggerParser.validate(copy as never, {
      resolve: { external: false },
      validate: { schema: false },
    });
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

interface SchemaIssue {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const BRANCH_KEYWORDS = ["oneOf", "anyOf", "if", "not", "then", "else"];

/** Turns swagger-parser's failure into one line: `paths./pets.get.responses must be object`. */
export function describeValidationError(error: unknown): string {
  const details = (error as { details?: SchemaIssue[] }).details;
  if (!Array.isArray(details) || !details.length) {
    return ((error as Error).message ?? String(error))
      .replace(/^Swagger schema validation failed\.\s*/, "")
      .trim();
  }
  // Failures inside oneOf/anyOf branches are guesses at what was meant; the plain ones are the fact.
  const plain = details.filter(
    (d) =>
      !BRANCH_KEYWORDS.includes(d.keyword ?? "") && !/\/(oneOf|anyOf|then|else)\//.test(d.schemaPath ?? ""),
  );
  const chosen = [...new Set((plain.length ? plain : details).map(describeIssue))];
  return chosen.slice(0, 3).join("; ");
}

function describeIssue(issue: SchemaIssue): string {
  const location = (issue.instancePath ?? "")
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
  const params = issue.params ?? {};
  if (issue.keyword === "required")
    return `${location ? `${location}.` : ""}${params.missingProperty} is required`;
  if (issue.keyword === "additionalProperties") {
    return `${location || "the document"} has an unexpected property '${params.additionalProperty}'`;
  }
  return `${location || "the document"} ${issue.message ?? "is invalid"}`;
}
