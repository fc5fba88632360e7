import { BadRequestError } from "./errors.js";

/** One page of a list, in API Gateway's collection shape (`item`, `position`). */
export interface Page<T> {
  item: T[];
  position?: string;
}

/** Default and maximum page sizes of API Gateway's list operations. */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 500;

/**
 * Pages an already ordered list. `position` is an opaque token (the offset, base64url);
 * it is present in the result only when more items follow.
 */
export function paginate<T>(items: T[], limit?: number | string, position?: string): Page<T> {
  const size = parseLimit(limit);
  const start = position ? decodePosition(position) : 0;
  const item = items.slice(start, start + size);
  const next = start + size;
  return next < items.length ? { item, position: Buffer.from(String(next)).toString("base64url") } : { item };
}

function parseLimit(limit: number | string | undefined): number {
  if (limit === undefined || limit === "") return DEFAULT_LIMIT;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new BadRequestError(`Invalid limit '${limit}': must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

function decodePosition(position: string): number {
  const n = Number(Buffer.from(position, "base64url").toString());
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`Invalid position '${position}'`);
  return n;
}
