/**
 * Small helpers for walking OpenAPI documents, which arrive as untyped JSON: narrowing,
 * following local `$ref`s, rewriting reference prefixes, and the names of operation keys.
 */

export type JsonObject = Record<string, unknown>;

/** The extension API Gateway uses for its ANY method, in place of a verb key. */
export const ANY_METHOD_KEY = "x-amazon-apigateway-any-method";

/** The keys of a path item that hold operations, in document order. */
export const OPERATION_KEYS = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
  ANY_METHOD_KEY,
];

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value when it is an object, else an empty one, so optional sections read uniformly. */
export function objectOf(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/** String values of a map (`requestTemplates`, `responseParameters`); other values are dropped. */
export function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const entries = Object.entries(value).flatMap(([k, v]) => {
    const s = stringOf(v);
    return s === undefined ? [] : [[k, s] as const];
  });
  return Object.fromEntries(entries);
}

/**
 * Follows local references (`#/components/parameters/id`) until a value without `$ref`; a
 * reference that leaves the document or does not resolve is returned as it is.
 */
export function deref(document: JsonObject, value: unknown): unknown {
  let current = value;
  for (let depth = 0; depth < 32 && isObject(current) && typeof current.$ref === "string"; depth++) {
    const target = pointer(document, current.$ref);
    if (target === undefined) return current;
    current = target;
  }
  return current;
}

function pointer(document: JsonObject, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as JsonObject)[key];
  }
  return node;
}

/** A deep copy with `$ref` prefixes replaced (`#/definitions/` to `#/components/schemas/`). */
export function rewriteRefs<T>(value: T, prefixes: Array<[string, string]>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, prefixes)) as T;
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "$ref" && typeof v === "string") {
      const hit = prefixes.find(([from]) => v.startsWith(from));
      out[key] = hit ? hit[1] + v.slice(hit[0].length) : v;
    } else {
      out[key] = rewriteRefs(v, prefixes);
    }
  }
  return out as T;
}

/** The `x-...` members of an object. */
export function extensionsOf(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k.startsWith("x-")));
}

/** The object without the listed keys. */
export function omit(value: JsonObject, keys: string[]): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
}
