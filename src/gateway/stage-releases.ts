/**
 * What a stage adds to its deployment's routes, compiled at configuration load: the response
 * cache of each route (from the stage's method settings) and the canary release (AWS's
 * `canarySettings`: a second deployment serving a share of the requests, with its own stage
 * variable overrides and, unless `useStageCache`, its own cache).
 */
import type { ApiSnapshot } from "../apis/index.js";
import type { AuthorizerRegistry } from "./authorizers.js";
import type { StageEntry } from "./config.js";
import { type CacheMethodSetting, cacheBytesFor, compileRouteCache } from "./response-cache.js";
import { compileApiPolicies } from "./route-policies.js";
import { type Route, Router } from "./router.js";

/** The stage attributes this file reads (the `stages.attributes` JSON). */
export interface ReleaseAttributes {
  cacheClusterEnabled?: boolean;
  cacheClusterSize?: string;
  /** Epoch ms of the last FlushStageCache: the cache's generation. */
  cacheFlushedAt?: number;
  methodSettings?: Record<string, CacheMethodSetting>;
  canarySettings?: {
    deploymentId?: string;
    percentTraffic?: number;
    stageVariableOverrides?: Record<string, string>;
    useStageCache?: boolean;
  };
}

/** A stage's caching, compiled: its cache's id and bound, and how each route is cached. */
export interface StageCaching {
  cache: { id: string; maxBytes: number };
  decorate(route: Route): void;
}

/**
 * The stage's caching, or undefined when its cache cluster is off. `normalize` turns a
 * methodSettings key (`~1pets/GET`) into the `"/pets/GET"` form.
 */
export function stageCaching(
  restApiId: string,
  stageName: string,
  attributes: ReleaseAttributes,
  maxBytes: number,
  normalize: (key: string) => string,
): StageCaching | undefined {
  if (!attributes.cacheClusterEnabled) return undefined;
  const settings = new Map<string, CacheMethodSetting>();
  let fallback: CacheMethodSetting | undefined;
  for (const [key, setting] of Object.entries(attributes.methodSettings ?? {})) {
    if (key === "*/*") fallback = setting;
    else settings.set(normalize(key), setting);
  }
  return {
    cache: {
      id: `${restApiId}/${stageName}@${attributes.cacheFlushedAt ?? 0}`,
      maxBytes: cacheBytesFor(attributes.cacheClusterSize, maxBytes),
    },
    decorate(route) {
      const cache = compileRouteCache(route, settings, fallback);
      if (cache) route.cache = cache;
    },
  };
}

/** Both decorators, in turn. */
export function decorateBoth(
  first: (route: Route) => void,
  second: ((route: Route) => void) | undefined,
): (route: Route) => void {
  if (!second) return first;
  return (route) => {
    first(route);
    second(route);
  };
}

/**
 * The canary release of `base`, compiled from the canary deployment's snapshot, or undefined
 * when the stage has none taking traffic.
 */
export function canaryRelease(
  base: StageEntry,
  attributes: ReleaseAttributes,
  snapshot: ApiSnapshot | undefined,
  caching: StageCaching | undefined,
  authorizers: AuthorizerRegistry,
): StageEntry["canary"] {
  const canary = attributes.canarySettings;
  const percent = canary?.percentTraffic ?? 0;
  if (!canary?.deploymentId || !snapshot || !(percent > 0)) return undefined;
  const policies = compileApiPolicies(snapshot, authorizers);
  const stage: StageEntry = {
    ...base,
    apiKeySource: snapshot.apiKeySource ?? "HEADER",
    variables: { ...base.variables, ...canary.stageVariableOverrides },
    router: new Router(snapshot.resources ?? [], decorateBoth(policies.decorate, caching?.decorate)),
    definition: snapshot.definition ?? null,
    isCanary: true,
  };
  delete stage.canary;
  delete stage.policy;
  delete stage.cors;
  if (policies.policy) stage.policy = policies.policy;
  if (policies.cors) stage.cors = policies.cors;
  // A canary with useStageCache shares the stage's cache; without, it has one of its own.
  if (caching && !canary.useStageCache) stage.cache = { ...caching.cache, id: `${caching.cache.id}#canary` };
  return { percent: Math.min(percent, 100), stage };
}
