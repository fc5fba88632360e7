import { z } from "zod";

/**
 * Request shapes of the EventBridge edge: JSON types checked here, with AWS's constraint
 * wording, so that a refusal reads like AWS's: `1 validation error detected: Value 'x' at
 * 'name' failed to satisfy constraint: Member must have length less than or equal to 64`.
 * Business rules (names, patterns, limits) are checked again in the domain, which the
 * developer portal calls directly.
 */
export function text(min = 0, max = 2048) {
  let s = z.string({ error: "Member must be a string" });
  if (min > 0) s = s.min(min, `Member must have length greater than or equal to ${min}`);
  return s.max(max, `Member must have length less than or equal to ${max}`);
}

export function integer(min: number, max: number) {
  return z
    .number({ error: "Member must be a number" })
    .int("Member must be an integer")
    .min(min, `Member must have value greater than or equal to ${min}`)
    .max(max, `Member must have value less than or equal to ${max}`);
}

/** Epoch seconds, as the SDKs send awsJson1.1 timestamps (fractions allowed). */
export const Timestamp = z.number({ error: "Member must be a timestamp in epoch seconds" });
export const Limit = integer(1, 100).optional();
export const NextToken = text(1, 2048).optional();
export const Tags = z
  .array(z.object({ Key: text(1, 128), Value: text(0, 256) }))
  .max(50, "Member must have length less than or equal to 50")
  .optional();
export const StringMap = z.record(z.string(), z.string());

/** AWS's validation message for a failed schema: each issue with its value and member path. */
export function awsValidationMessage(error: z.ZodError, input: unknown): string {
  const issues = error.issues.slice(0, 5);
  const parts = issues.map((issue) => {
    const value = valueAt(input, issue.path);
    const constraint =
      value === undefined && issue.code === "invalid_type" ? "Member must not be null" : issue.message;
    const shown = value === undefined ? "null" : typeof value === "string" ? value : JSON.stringify(value);
    return `Value '${shown}' at '${memberPath(issue.path)}' failed to satisfy constraint: ${constraint}`;
  });
  const n = error.issues.length;
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`;
}

/** `["Entries", 0, "Source"]` becomes `entries.1.member.source`, as AWS names members. */
function memberPath(path: PropertyKey[]): string {
  return path
    .map((p) =>
      typeof p === "number" ? `${p + 1}.member` : String(p).charAt(0).toLowerCase() + String(p).slice(1),
    )
    .join(".");
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
