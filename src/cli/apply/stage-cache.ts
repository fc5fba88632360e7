import type { Stage } from "../shapes.js";
import { type FieldChange, methodKey, normalizeMethodKey, type PatchOp } from "./changes.js";
import type { CacheConfig } from "./config.js";

/** A `cache.methods` member, its method setting field and its UpdateStage path suffix. */
const METHOD_FIELDS = [
  ["enabled", "cachingEnabled", "caching/enabled"],
  ["ttlInSeconds", "cacheTtlInSeconds", "caching/ttlInSeconds"],
  ["dataEncrypted", "cacheDataEncrypted", "caching/dataEncrypted"],
] as const;

/**
 * The stated cache settings against the stage's: `cacheClusterEnabled`, `cacheClusterSize` and
 * each listed method's caching. As with `throttle`, methods the file does not list keep theirs,
 * and an absent `cache` leaves the stage's cache alone.
 */
export function cacheDiff(
  desired: CacheConfig | undefined,
  current: Stage,
): { ops: PatchOp[]; fields: FieldChange[] } {
  const ops: PatchOp[] = [];
  const fields: FieldChange[] = [];
  if (!desired) return { ops, fields };
  const enabled = current.cacheClusterEnabled ?? false;
  if (desired.enabled !== undefined && desired.enabled !== enabled) {
    ops.push({ op: "replace", path: "/cacheClusterEnabled", value: String(desired.enabled) });
    fields.push({ field: "cache.enabled", from: enabled, to: desired.enabled });
  }
  if (desired.size !== undefined && desired.size !== current.cacheClusterSize) {
    ops.push({ op: "replace", path: "/cacheClusterSize", value: desired.size });
    fields.push({ field: "cache.size", from: current.cacheClusterSize, to: desired.size });
  }
  const settings = new Map(
    Object.entries(current.methodSettings ?? {}).map(([key, s]) => [normalizeMethodKey(key), s]),
  );
  for (const [key, want] of Object.entries(desired.methods ?? {})) {
    const have = settings.get(key);
    const { patchPath } = methodKey(key);
    for (const [member, setting, suffix] of METHOD_FIELDS) {
      const to = want[member];
      const from = have?.[setting];
      if (to === undefined || to === from) continue;
      ops.push({ op: "replace", path: `${patchPath}/${suffix}`, value: String(to) });
      fields.push({ field: `cache.methods.${key}.${member}`, from, to });
    }
  }
  return { ops, fields };
}
