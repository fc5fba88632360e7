import type { ApiSnapshot, Method } from "../apis/index.js";
import type { TenantAccess } from "../plans/index.js";
import type { Store } from "../store/index.js";
import { fromJson } from "../store/index.js";
import type { LogFormat } from "./access-log-format.js";
import { compileLogFormat } from "./access-log-format.js";
import { AuthorizerRegistry, type Identity } from "./authorizers.js";
import type { CompiledCors } from "./cors.js";
import { type Firewall, loadFirewall } from "./firewall.js";
import type { CompiledPolicy } from "./resource-policy.js";
import { DEFAULT_CACHE_MAX_BYTES } from "./response-cache.js";
import { compileApiPolicies } from "./route-policies.js";
import { Router } from "./router.js";
import { canaryRelease, decorateBoth, type ReleaseAttributes, stageCaching } from "./stage-releases.js";
import { compileTenantAccess, type TenantAccessEntry } from "./tenant-access.js";

/** A token-bucket limit: `rate` requests per second, `burst` tokens of capacity. */
export interface Throttle {
  rate: number;
  burst: number;
}

export interface QuotaSettings {
  limit: number;
  period: "DAY" | "WEEK" | "MONTH";
  offset: number;
}

/** One usage plan as the gateway applies it. */
export interface PlanEntry {
  id: string;
  throttle?: Throttle;
  quota?: QuotaSettings;
  /** Per-method throttles of this plan on one API stage, keyed `"/pets/{id}/GET"`. */
  methodThrottles: Map<string, Throttle>;
}

/** An API key as the gateway sees it: no value, only what identification needs. */
export interface KeyEntry {
  id: string;
  enabled: boolean;
  tenantId: string;
  /** The tenant's block and allowed resources; absent for a tenant without restrictions. */
  access?: TenantAccessEntry;
  /**
   * The key's usage plans, each as its map from `"apiId:stage"` to the plan on that stage.
   * Shared with every key of the plan, so a key costs a few words, not a map of its own.
   */
  plans: Array<Map<string, PlanEntry>>;
}

/** The plan that covers an API stage for a key (AWS allows at most one). */
export function planFor(key: KeyEntry, apiStage: string): PlanEntry | undefined {
  for (const stages of key.plans) {
    const plan = stages.get(apiStage);
    if (plan) return plan;
  }
  return undefined;
}

/** A deployed stage, compiled. */
export interface StageEntry {
  restApiId: string;
  stageName: string;
  /** `"apiId:stage"`, the form usage plans name stages by. */
  apiStageId: string;
  apiKeySource: "HEADER" | "AUTHORIZER";
  variables: Record<string, string>;
  router: Router;
  /** The stage's default throttle (`*∕*`) and per-method ones (`"/pets/GET"`). */
  defaultThrottle?: Throttle;
  methodThrottles: Map<string, Throttle>;
  definition: Record<string, unknown> | null;
  /** The API's resource policy, compiled; absent without one. */
  policy?: CompiledPolicy;
  /** The API's CORS configuration, compiled; absent without one. */
  cors?: CompiledCors;
  /** The firewall's per-address limit for requests without a key; absent without one. */
  ipRateLimit?: { id: string; rate: number; burst: number };
  /** The stage's response cache (its id, flush generation included, and byte bound); absent when off. */
  cache?: { id: string; maxBytes: number };
  /** The canary release: the percent of requests it serves, and its stage compiled from its deployment. */
  canary?: { percent: number; stage: StageEntry };
  /** This entry is a canary release (AWS's `$context.isCanaryRequest`). */
  isCanary?: boolean;
  /** The stage's access log format (`accessLogSettings.format`), compiled; the JSON line when absent. */
  logFormat?: LogFormat;
}

/** Everything the request path reads, rebuilt whole on every configuration change. */
export interface GatewayConfig {
  revision: number;
  /** `"apiId/stage"` → stage. */
  stages: Map<string, StageEntry>;
  /** Usage plans by id, each as its map from `"apiId:stage"` to the plan on that stage. */
  plans: Map<string, Map<string, PlanEntry>>;
  /** Stage name → the APIs deployed under it (for hosts that do not name an API). */
  stagesByName: Map<string, StageEntry[]>;
  /** Lower-cased domain name → base path (`"(none)"` for the root) → mapping. */
  domains: Map<string, Map<string, { restApiId: string; stage?: string }>>;
  /** Key value hash → key. */
  keys: Map<string, KeyEntry>;
  /** Tenants that are disabled: their keys answer 403. */
  disabledTenants: Set<string>;
  /** Tenants with a block or access lists, by id (for callers identified by an authorizer). */
  tenantAccess: Map<string, TenantAccessEntry>;
  /** The tenants' keys, built on first need (a JWT authorizer's tenant claim). */
  keysByTenant?: Map<string, KeyEntry[]>;
  /** Tenants' SigV4 key pairs by access key id, for AWS_IAM methods. */
  credentials: Map<string, SigningCredential>;
  /** Firewall rules, compiled; absent when there are none. */
  firewall?: Firewall;
  /** The response caches the stages use (canaries' too), by id, with their byte bounds. */
  caches: Map<string, number>;
}

/**
 * A tenant's access key as AWS_IAM methods check it; the secret is unsealed, and the caller's
 * identity made, on first use.
 */
export interface SigningCredential {
  tenantId: string;
  accountId: string;
  secretSealed: string;
  secretAccessKey?: string;
  identity?: Identity;
}

export interface LoadOptions {
  /** Keeps authorizers (their caches and keys) across loads; a fresh one otherwise. */
  authorizers?: AuthorizerRegistry;
  /** Bound of one stage's in-memory response cache, bytes (`TOLLGATE_CACHE_MAX_BYTES`). */
  cacheMaxBytes?: number;
}

interface MethodSetting {
  throttlingRateLimit?: number;
  throttlingBurstLimit?: number;
}

/** Reads the whole configuration from the store; runs once per change, never per request. */
export async function loadGatewayConfig(store: Store, options: LoadOptions = {}): Promise<GatewayConfig> {
  const revision = await store.revision();
  const db = store.db;
  const authorizers = options.authorizers ?? new AuthorizerRegistry({ clock: { now: () => Date.now() } });
  const [
    stageRows,
    planRows,
    keyRows,
    planKeyRows,
    tenantRows,
    domainRows,
    mappingRows,
    firewall,
    credentialRows,
  ] = await Promise.all([
    db
      .selectFrom("stages")
      .innerJoin("deployments", "deployments.id", "stages.deployment_id")
      .select(["stages.rest_api_id", "stages.stage_name", "stages.attributes", "deployments.snapshot"])
      .execute(),
    db.selectFrom("usage_plans").select(["id", "throttle", "quota", "api_stages"]).execute(),
    db.selectFrom("api_keys").select(["id", "enabled", "customer_id", "value_hash"]).execute(),
    db.selectFrom("usage_plan_keys").select(["usage_plan_id", "key_id"]).execute(),
    db.selectFrom("tenants").select(["id", "enabled", "gateway_access"]).execute(),
    db.selectFrom("domain_names").select(["domain_name"]).execute(),
    db.selectFrom("base_path_mappings").selectAll().execute(),
    loadFirewall(db),
    db
      .selectFrom("tenant_credentials")
      .leftJoin("event_accounts", "event_accounts.tenant_id", "tenant_credentials.tenant_id")
      .select([
        "tenant_credentials.access_key_id",
        "tenant_credentials.tenant_id",
        "tenant_credentials.secret_sealed",
        "event_accounts.account_id",
      ])
      .execute(),
  ]);

  // Canary deployments are read only for stages that have one.
  const canaryIds = new Set<string>();
  for (const row of stageRows) {
    const id = fromJson<ReleaseAttributes>(row.attributes, {}).canarySettings?.deploymentId;
    if (id) canaryIds.add(id);
  }
  const canarySnapshots = new Map<string, ApiSnapshot>();
  if (canaryIds.size) {
    const rows = await db
      .selectFrom("deployments")
      .select(["id", "snapshot"])
      .where("id", "in", [...canaryIds])
      .execute();
    for (const r of rows)
      canarySnapshots.set(r.id, fromJson<ApiSnapshot>(r.snapshot, { resources: [] } as never));
  }
  const caches = new Map<string, number>();

  authorizers.begin();

  const stages = new Map<string, StageEntry>();
  const stagesByName = new Map<string, StageEntry[]>();
  for (const row of stageRows) {
    const snapshot = fromJson<ApiSnapshot>(row.snapshot, { resources: [] } as unknown as ApiSnapshot);
    const attributes = fromJson<
      {
        variables?: Record<string, string>;
        methodSettings?: Record<string, MethodSetting>;
        accessLogSettings?: { format?: string };
        authorizersFlushedAt?: number;
      } & ReleaseAttributes
    >(row.attributes, {});
    const methodThrottles = new Map<string, Throttle>();
    let defaultThrottle: Throttle | undefined;
    for (const [key, setting] of Object.entries(attributes.methodSettings ?? {})) {
      const throttle = toThrottle(setting.throttlingRateLimit, setting.throttlingBurstLimit);
      if (!throttle) continue;
      if (key === "*/*") defaultThrottle = throttle;
      else methodThrottles.set(methodSettingKey(key), throttle);
    }
    const policies = compileApiPolicies(snapshot, authorizers);
    const caching = stageCaching(
      row.rest_api_id,
      row.stage_name,
      attributes,
      options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
      methodSettingKey,
    );
    const entry: StageEntry = {
      restApiId: row.rest_api_id,
      stageName: row.stage_name,
      apiStageId: `${row.rest_api_id}:${row.stage_name}`,
      apiKeySource: snapshot.apiKeySource ?? "HEADER",
      variables: attributes.variables ?? {},
      router: new Router(snapshot.resources ?? [], decorateBoth(policies.decorate, caching?.decorate)),
      defaultThrottle,
      methodThrottles,
      definition: snapshot.definition ?? null,
    };
    if (policies.policy) entry.policy = policies.policy;
    if (policies.cors) entry.cors = policies.cors;
    const ipRateLimit = firewall?.ipRateLimitFor(row.rest_api_id, row.stage_name);
    if (ipRateLimit) entry.ipRateLimit = ipRateLimit;
    if (caching) {
      entry.cache = caching.cache;
      caches.set(caching.cache.id, caching.cache.maxBytes);
    }
    const logFormat = compileLogFormat(attributes.accessLogSettings?.format);
    if (logFormat) entry.logFormat = logFormat;
    const canaryId = attributes.canarySettings?.deploymentId;
    const canary = canaryRelease(
      entry,
      attributes,
      canaryId ? canarySnapshots.get(canaryId) : undefined,
      caching,
      authorizers,
    );
    if (canary) {
      entry.canary = canary;
      if (canary.stage.cache) caches.set(canary.stage.cache.id, canary.stage.cache.maxBytes);
    }
    if (attributes.authorizersFlushedAt) authorizers.flush(row.rest_api_id, attributes.authorizersFlushedAt);
    stages.set(`${row.rest_api_id}/${row.stage_name}`, entry);
    stagesByName.set(row.stage_name, [...(stagesByName.get(row.stage_name) ?? []), entry]);
  }

  // A plan appears once per API stage it covers, with that stage's per-method throttles.
  const plansByStage = new Map<string, Map<string, PlanEntry>>();
  for (const row of planRows) {
    const throttle = fromJson<{ rateLimit?: number; burstLimit?: number } | null>(row.throttle, null);
    const quota = fromJson<QuotaSettings | null>(row.quota, null);
    const apiStages = fromJson<
      Array<{
        apiId: string;
        stage: string;
        throttle?: Record<string, { rateLimit?: number; burstLimit?: number }>;
      }>
    >(row.api_stages, []);
    const stageMap = new Map<string, PlanEntry>();
    for (const apiStage of apiStages) {
      const methodThrottles = new Map<string, Throttle>();
      for (const [path, t] of Object.entries(apiStage.throttle ?? {})) {
        const parsed = toThrottle(t.rateLimit, t.burstLimit);
        if (parsed) methodThrottles.set(path, parsed);
      }
      stageMap.set(`${apiStage.apiId}:${apiStage.stage}`, {
        id: row.id,
        throttle: throttle ? toThrottle(throttle.rateLimit, throttle.burstLimit) : undefined,
        quota: quota ?? undefined,
        methodThrottles,
      });
    }
    plansByStage.set(row.id, stageMap);
  }

  authorizers.commit();

  const tenantAccess = new Map<string, TenantAccessEntry>();
  for (const row of tenantRows) {
    const access = compileTenantAccess(fromJson<TenantAccess>(row.gateway_access, {}));
    if (access) tenantAccess.set(row.id, access);
  }

  const keys = new Map<string, KeyEntry>();
  const keysById = new Map<string, KeyEntry>();
  for (const row of keyRows) {
    const entry: KeyEntry = {
      id: row.id,
      enabled: row.enabled === 1,
      tenantId: row.customer_id ?? "",
      plans: [],
    };
    const access = row.customer_id ? tenantAccess.get(row.customer_id) : undefined;
    if (access) entry.access = access;
    keys.set(row.value_hash, entry);
    keysById.set(row.id, entry);
  }
  for (const row of planKeyRows) {
    const key = keysById.get(row.key_id);
    const stageMap = plansByStage.get(row.usage_plan_id);
    if (!key || !stageMap) continue;
    key.plans.push(stageMap);
  }

  const domains = new Map<string, Map<string, { restApiId: string; stage?: string }>>();
  for (const row of domainRows) domains.set(row.domain_name.toLowerCase(), new Map());
  for (const row of mappingRows) {
    domains
      .get(row.domain_name.toLowerCase())
      ?.set(row.base_path, { restApiId: row.rest_api_id, stage: row.stage ?? undefined });
  }

  return {
    revision,
    stages,
    plans: plansByStage,
    stagesByName,
    domains,
    keys,
    disabledTenants: new Set(tenantRows.filter((t) => t.enabled !== 1).map((t) => t.id)),
    tenantAccess,
    credentials: new Map(
      credentialRows.map((r) => [
        r.access_key_id,
        { tenantId: r.tenant_id, accountId: r.account_id ?? "", secretSealed: r.secret_sealed },
      ]),
    ),
    ...(firewall?.hasRules ? { firewall } : {}),
    caches,
  };
}

/** A stage methodSettings key (`~1pets/GET`, `pets/GET`) → the `"/pets/GET"` form plans use too. */
export function methodSettingKey(key: string): string {
  const unescaped = key.replace(/~1/g, "/").replace(/~0/g, "~");
  return unescaped.startsWith("/") ? unescaped : `/${unescaped}`;
}

function toThrottle(rate: number | undefined, burst: number | undefined): Throttle | undefined {
  if (rate === undefined && burst === undefined) return undefined;
  return { rate: rate ?? 0, burst: burst ?? 0 };
}

/** The tenant's enabled key whose plan covers an API stage (a JWT authorizer's tenant claim). */
export function tenantKeyFor(
  config: GatewayConfig,
  tenantId: string,
  apiStage: string,
): KeyEntry | undefined {
  if (!config.keysByTenant) {
    const byTenant = new Map<string, KeyEntry[]>();
    for (const key of config.keys.values()) {
      if (!key.tenantId) continue;
      let list = byTenant.get(key.tenantId);
      if (!list) {
        list = [];
        byTenant.set(key.tenantId, list);
      }
      list.push(key);
    }
    config.keysByTenant = byTenant;
  }
  return config.keysByTenant.get(tenantId)?.find((k) => k.enabled && planFor(k, apiStage) !== undefined);
}

export type { Method };
