/**
 * IAM-style wildcard patterns (`*` any run of characters, `/` included; `?` one character),
 * compiled once per configuration load into one anchored RegExp per list.
 */

/** A compiled list of patterns: `test(text)` is true when any pattern matches the whole text. */
export type WildcardSet = RegExp;

/** Compiles patterns; undefined for an empty list (so callers skip the test altogether). */
export function compileWildcards(
  patterns: readonly string[] | undefined,
  caseInsensitive = false,
): WildcardSet | undefined {
  if (!patterns?.length) return undefined;
  const alternatives = patterns.map((p) =>
    p
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, "."),
  );
  return new RegExp(`^(?:${alternatives.join("|")})$`, caseInsensitive ? "si" : "s");
}
