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

/** Admission journal segments whose counts are committed to usage_counts. */
export interface UsageJournalAppliedTable {
  segment: string;
  applied_at: EpochMs;
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
  usage_journal_applied: UsageJournalAppliedTable;
}

/** An update-usage or top-up: shifts a key's effective used count in one quota period from `day` on. */
export interface QuotaAdjustmentsTable {
  id: string;
  usage_plan_id: string;
  key_id: string;
  /** Start of the quota period it applies to, epoch ms. */
  period_start: EpochMs;
  /** UTC day it was made, `YYYY-MM-DD`: get-usage applies it from that day on. */
  day: string;
  /** Added to the ledger's used count: negative for an extension. */
  delta: number;
  /** `replace` (update-usage) or `extend` (a top-up). */
  kind: string;
  /** The remaining quota right after it. */
  remaining: number;
  reason: string | null;
  created_at: EpochMs;
}

/** Usage alert thresholds of a plan (`key_id` "") or of one key on it. */
export interface UsageAlertsTable {
  id: string;
  usage_plan_id: string;
  key_id: string;
  /** Percentages of the quota, `[80, 100]`. */
  thresholds: Json;
  enabled: Bool;
  description: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A threshold that fired for a key in a quota period: at most one row each. */
export interface UsageAlertFiringsTable {
  usage_plan_id: string;
  key_id: string;
  period_start: EpochMs;
  threshold: number;
  tenant_id: string;
  event_id: string;
  fired_at: EpochMs;
}

/** Events waiting for the event bus; `event` is the whole EventBridge-shaped event. */
export interface EventOutboxTable {
  id: string;
  source: string;
  detail_type: string;
  event: Json;
  created_at: EpochMs;
  published: Bool;
  published_at: EpochMs | null;
}

/** The metering tables (migration 003), merged into `Database`. */
/** Admission journal segments whose counts are committed to usage_counts. */
export interface UsageJournalAppliedTable {
  segment: string;
  applied_at: EpochMs;
}

export interface Database {
  quota_adjustments: QuotaAdjustmentsTable;
  usage_alerts: UsageAlertsTable;
  usage_alert_firings: UsageAlertFiringsTable;
  event_outbox: EventOutboxTable;
}

/** The price of a usage plan; `price` is `{ monthlyFee, includedRequests, tiersMode, tiers }`, amounts as decimal strings. */
export interface PlanPricesTable {
  usage_plan_id: string;
  /** ISO 4217 code. */
  currency: string;
  price: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A product that adds `requests` to the current quota period for `price` (decimal string). */
export interface TopUpProductsTable {
  id: string;
  name: string;
  description: string | null;
  requests: number;
  currency: string;
  price: string;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A top-up bought for a tenant's key on a plan; billed on the invoice of `period` (`YYYY-MM`). */
export interface TopUpsTable {
  id: string;
  product_id: string;
  product_name: string;
  tenant_id: string;
  key_id: string;
  usage_plan_id: string;
  period: string;
  quantity: number;
  /** Extra requests granted: the product's requests times `quantity`. */
  requests: number;
  currency: string;
  /** Decimal strings: the product's price at purchase, and that times `quantity`. */
  unit_price: string;
  amount: string;
  /** `PENDING` while the quota is being extended, `APPLIED` once it is (only those are billed). */
  status: string;
  created_at: EpochMs;
}

/** A tenant billed for a plan from `start_day` (`YYYY-MM-DD`); it ends at `end_day` or the next start. */
export interface SubscriptionsTable {
  id: string;
  tenant_id: string;
  usage_plan_id: string;
  start_day: string;
  end_day: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** An invoice of one tenant for one calendar month; `document` holds lines, usage and totals. */
export interface InvoicesTable {
  id: string;
  tenant_id: string;
  /** `YYYY-MM`. */
  period: string;
  /** `DRAFT`, `FINALIZED` or `VOID`. */
  status: string;
  currency: string;
  /** Decimal string in the currency's minor-unit precision. */
  total: string;
  document: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
  finalized_at: EpochMs | null;
  voided_at: EpochMs | null;
}

/** The billing tables (migration 004), merged into `Database`. */
/** Admission journal segments whose counts are committed to usage_counts. */
export interface UsageJournalAppliedTable {
  segment: string;
  applied_at: EpochMs;
}

export interface Database {
  plan_prices: PlanPricesTable;
  topup_products: TopUpProductsTable;
  topups: TopUpsTable;
  subscriptions: SubscriptionsTable;
  invoices: InvoicesTable;
}
