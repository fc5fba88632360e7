/**
 * Table types for Kysely. One schema serves SQLite and PostgreSQL, so columns keep to types
 * both read back the same way: text, integer (booleans are 0/1), bigint epoch milliseconds
 * (parsed to number on PostgreSQL), and JSON documents as text (`Json` marks them).
 */

/** A JSON document serialized as text. */
export type Json = string;
/** 0 or 1. */
export type Bool = number;
/** Milliseconds since the Unix epoch, UTC. */
export type EpochMs = number;

export interface TenantsTable {
  id: string;
  name: string;
  description: string | null;
  enabled: Bool;
  tags: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface RestApisTable {
  id: string;
  name: string;
  description: string | null;
  version: string | null;
  api_key_source: string;
  /** Everything else of the RestApi shape (endpointConfiguration, binaryMediaTypes, tags, policy, ...). */
  attributes: Json;
  /** The OpenAPI document last imported or put, normalized to OpenAPI 3.0, kept for export. */
  definition: Json | null;
  warnings: Json;
  root_resource_id: string;
  created_at: EpochMs;
}

export interface ResourcesTable {
  id: string;
  rest_api_id: string;
  parent_id: string | null;
  path_part: string | null;
  path: string;
  /** `{ [httpMethod]: Method }` including each method's integration, as API Gateway shapes them. */
  methods: Json;
}

export interface DeploymentsTable {
  id: string;
  rest_api_id: string;
  description: string | null;
  /** The API's resources, methods and definition frozen at deployment time. */
  snapshot: Json;
  created_at: EpochMs;
}

export interface StagesTable {
  rest_api_id: string;
  stage_name: string;
  deployment_id: string;
  description: string | null;
  /** Everything else of the Stage shape (variables, methodSettings, canarySettings, tags, ...). */
  attributes: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface UsagePlansTable {
  id: string;
  name: string;
  description: string | null;
  /** `{ rateLimit, burstLimit }` or null. */
  throttle: Json | null;
  /** `{ limit, period, offset }` or null. */
  quota: Json | null;
  /** `[{ apiId, stage, throttle }]`. */
  api_stages: Json;
  /** AWS Marketplace product code, kept for compatibility. */
  product_code: string | null;
  tags: Json;
  created_at: EpochMs;
}

export interface ApiKeysTable {
  id: string;
  name: string | null;
  description: string | null;
  enabled: Bool;
  /** The tenant that owns the key (AWS's `customerId`). */
  customer_id: string | null;
  /** Keyed hash of the value: the gateway looks keys up by it. */
  value_hash: string;
  /** The value sealed with the server secret, so `includeValue=true` can return it. */
  value_sealed: string;
  stage_keys: Json;
  tags: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface UsagePlanKeysTable {
  usage_plan_id: string;
  key_id: string;
  created_at: EpochMs;
}

export interface DomainNamesTable {
  domain_name: string;
  /** Everything else of the DomainName shape. */
  attributes: Json;
  created_at: EpochMs;
}

export interface BasePathMappingsTable {
  domain_name: string;
  /** "(none)" for the empty base path, as AWS returns it. */
  base_path: string;
  rest_api_id: string;
  stage: string | null;
}

/** Bumped on every control-plane write, so running gateways notice changes without polling tables. */
export interface ConfigRevisionTable {
  id: number;
  revision: number;
  updated_at: EpochMs;
}

/** Admitted requests per UTC day (`YYYY-MM-DD`), key, plan and route; written before forwarding. */
export interface UsageCountsTable {
  day: string;
  key_id: string;
  usage_plan_id: string;
  tenant_id: string;
  rest_api_id: string;
  stage: string;
  resource_path: string;
  http_method: string;
  requests: number;
}

/** What answers looked like, per status: written after the answer, in batches. */
export interface UsageStatsTable {
  day: string;
  key_id: string;
  rest_api_id: string;
  stage: string;
  resource_path: string;
  http_method: string;
  status: number;
  requests: number;
  latency_ms_sum: number;
  bytes_in: number;
  bytes_out: number;
}

export interface Database {
  tenants: TenantsTable;
  rest_apis: RestApisTable;
  resources: ResourcesTable;
  deployments: DeploymentsTable;
  stages: StagesTable;
  usage_plans: UsagePlansTable;
  api_keys: ApiKeysTable;
  usage_plan_keys: UsagePlanKeysTable;
  domain_names: DomainNamesTable;
  base_path_mappings: BasePathMappingsTable;
  config_revision: ConfigRevisionTable;
  usage_counts: UsageCountsTable;
  usage_stats: UsageStatsTable;
}
