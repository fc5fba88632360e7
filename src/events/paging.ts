import { constraintError, ValidationError } from "./errors.js";

/** One page of an EventBridge list: the items and, when more follow, the token for the next. */
export interface EventsPage<T> {
  items: T[];
  nextToken?: string;
}

/** EventBridge's list limit: 1 to 100. */
export const MAX_LIST_LIMIT = 100;

/** Pages an ordered list by `Limit` and an opaque `NextToken` (the offset, base64url). */
export function page<T>(items: T[], limit?: number, nextToken?: string): EventsPage<T> {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)) {
    throw constraintError("limit", limit, `Member must have value between 1 and ${MAX_LIST_LIMIT}`);
  }
  const size = limit ?? MAX_LIST_LIMIT;
  let start = 0;
  if (nextToken !== undefined && nextToken !== "") {
    start = Number(Buffer.from(nextToken, "base64url").toString());
    if (!Number.isInteger(start) || start < 0)
      throw new ValidationError("The NextToken provided is invalid.");
  }
  const slice = items.slice(start, start + size);
  const next = start + size;
  return next < items.length
    ? { items: slice, nextToken: Buffer.from(String(next)).toString("base64url") }
    : { items: slice };
}
