import type { TenantAccess } from "../plans/index.js";
import type { Refusal } from "./responses.js";
import { compileWildcards, type WildcardSet } from "./wildcard.js";

/** A tenant's access as the gateway checks it; undefined for a tenant without restrictions. */
export interface TenantAccessEntry {
  /** Set when the tenant is blocked: the answer to every request. */
  blocked?: Refusal;
  allow?: WildcardSet;
  deny?: WildcardSet;
}

/** Compiles a tenant's access (the `gateway_access` column); undefined when it restricts nothing. */
export function compileTenantAccess(access: TenantAccess): TenantAccessEntry | undefined {
  if (!access.blocked && !access.allow?.length && !access.deny?.length) return undefined;
  return {
    blocked: access.blocked
      ? {
          status: 403,
          type: "ForbiddenException",
          message: `Forbidden: this tenant is blocked${access.blockReason ? ` (${access.blockReason})` : ""}`,
        }
      : undefined,
    allow: compileWildcards(access.allow),
    deny: compileWildcards(access.deny),
  };
}

/**
 * The refusal for a tenant's request to `resource` (`{apiId}/{stage}/{METHOD}{path}`), or
 * undefined when the tenant may call it: blocked first, then a deny match, then the allow list.
 */
export function tenantRefusal(entry: TenantAccessEntry, resource: string): Refusal | undefined {
  if (entry.blocked) return entry.blocked;
  if (entry.deny?.test(resource) || (entry.allow && !entry.allow.test(resource))) {
    return {
      status: 403,
      type: "ForbiddenException",
      message: `Forbidden: this tenant may not call ${resource}`,
    };
  }
  return undefined;
}
