import { BadRequestError } from "./errors.js";

/**
 * API Gateway's `patchOperations` (a JSON-Patch dialect). Paths use JSON Pointer escaping:
 * `~1` for `/` and `~0` for `~`, so `/~1pets~1{id}/GET/throttling/rateLimit` names the
 * resource path `/pets/{id}`.
 */
export interface PatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: string;
  from?: string;
}

/** Splits a patch path into unescaped segments: `/a~1b/c` gives `["a/b", "c"]`. */
export function patchSegments(path: string): string[] {
  if (!path.startsWith("/")) throw new BadRequestError(`Invalid patch path '${path}'`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The error for a path or op a resource does not support, listing what it does (AWS's wording). */
export function unsupportedPatch(op: PatchOperation, allowed: string[]): BadRequestError {
  return new BadRequestError(
    `Invalid patch path '${op.path}' specified for op '${op.op}'. Must be one of: [${allowed.join(", ")}]`,
  );
}

/** The operation's value, required. */
export function patchValue(op: PatchOperation): string {
  if (op.value === undefined || op.value === null) {
    throw new BadRequestError(
      `Invalid patch operation: value is required for op '${op.op}' on path '${op.path}'`,
    );
  }
  return String(op.value);
}

/** Parses a numeric patch value (`rateLimit`, `burstLimit`, quota `limit`), rejecting junk. */
export function patchNumber(op: PatchOperation, options: { integer?: boolean; min?: number } = {}): number {
  const raw = patchValue(op);
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || (options.integer && !Number.isInteger(n))) {
    throw new BadRequestError(
      `Invalid value '${raw}' for path '${op.path}': expected a${options.integer ? "n integer" : " number"}`,
    );
  }
  if (options.min !== undefined && n < options.min) {
    throw new BadRequestError(
      `Invalid value '${raw}' for path '${op.path}': must be at least ${options.min}`,
    );
  }
  return n;
}

export function patchBoolean(op: PatchOperation): boolean {
  const raw = patchValue(op).toLowerCase();
  if (raw !== "true" && raw !== "false") {
    throw new BadRequestError(`Invalid value '${op.value}' for path '${op.path}': expected true or false`);
  }
  return raw === "true";
}
