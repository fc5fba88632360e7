import { constraintError } from "./errors.js";

/** EventBridge's name patterns, as its API reference states them. */
export const NAME_PATTERN = /^[.\-_A-Za-z0-9]+$/;
export const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]+$/;
export const PARTNER_SOURCE_PATTERN = /^aws\.partner(\/[.\-_A-Za-z0-9]+){2,}$/;

/** Checks a name's length and characters with AWS's validation messages. */
export function checkName(
  field: string,
  value: string,
  options: { max: number; pattern?: RegExp; patternText?: string } = { max: 64 },
): void {
  if (value.length < 1)
    throw constraintError(field, value, "Member must have length greater than or equal to 1");
  if (value.length > options.max) {
    throw constraintError(field, value, `Member must have length less than or equal to ${options.max}`);
  }
  const pattern = options.pattern ?? NAME_PATTERN;
  if (!pattern.test(value)) {
    const text = options.patternText ?? pattern.source.replace(/^\^|\$$/g, "");
    throw constraintError(field, value, `Member must satisfy regular expression pattern: ${text}`);
  }
}

/** Checks an optional text's maximum length (descriptions: 512). */
export function checkLength(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max) {
    throw constraintError(field, value, `Member must have length less than or equal to ${max}`);
  }
}

/** Checks an integer parameter's range. */
export function checkRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw constraintError(field, value, `Member must have value greater than or equal to ${min}`);
  }
  if (value > max) throw constraintError(field, value, `Member must have value less than or equal to ${max}`);
}

/** Tags as EventBridge takes them: `[{ Key, Value }]`, up to 50, keys 1-128 and values 0-256 characters. */
export function checkTags(tags: Array<{ Key: string; Value: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, tag] of (tags ?? []).entries()) {
    if (tag.Key.length < 1 || tag.Key.length > 128) {
      throw constraintError(`tags.${i + 1}.member.key`, tag.Key, "Member must have length between 1 and 128");
    }
    if (tag.Value.length > 256) {
      throw constraintError(
        `tags.${i + 1}.member.value`,
        tag.Value,
        "Member must have length less than or equal to 256",
      );
    }
    out[tag.Key] = tag.Value;
  }
  if (Object.keys(out).length > 50)
    throw constraintError("tags", tags, "Member must have length less than or equal to 50");
  return out;
}
