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
  /** `{ blocked, blockReason, allow, deny }` or null: what the gateway lets the tenant call (migration 007). */
  gateway_access?: Json | null;
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
  /** When the key stops working (a rotated-out or revoked key), or null (migration 006). */
  expires_at?: EpochMs | null;
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

/** A developer's account in the portal; `email` is stored lower-cased. */
export interface PortalUsersTable {
  id: string;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  password_hash: string;
  /** `PENDING` (awaiting approval), `ACTIVE`, `REFUSED` or `DISABLED`. */
  status: string;
  email_verified_at: EpochMs | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A developer's role in an organization (a tenant): `owner` or `member`. */
export interface PortalMembershipsTable {
  tenant_id: string;
  user_id: string;
  role: string;
  created_at: EpochMs;
}

/** An invitation to register (`tenant_id` null) or to join an organization. */
export interface PortalInvitationsTable {
  id: string;
  token_hash: string;
  email: string;
  tenant_id: string | null;
  role: string;
  /** `admin` or the inviting developer's id. */
  invited_by: string;
  created_at: EpochMs;
  expires_at: EpochMs;
  accepted_at: EpochMs | null;
}

/** A one-use token sent by mail: `verify` (email verification) or `reset` (password reset). */
export interface PortalTokensTable {
  token_hash: string;
  user_id: string;
  purpose: string;
  created_at: EpochMs;
  expires_at: EpochMs;
  used_at: EpochMs | null;
}

/** A browser session: the cookie holds the secret, this row its hash. Anonymous while `user_id` is null. */
export interface PortalSessionsTable {
  id_hash: string;
  user_id: string | null;
  admin: Bool;
  csrf_token: string;
  created_at: EpochMs;
  expires_at: EpochMs;
}

/** A failed sign-in for `subject` (an email or a client address). */
export interface PortalLoginFailuresTable {
  subject: string;
  at: EpochMs;
}

/** A message the embedded mailer delivered to the log. */
export interface PortalMailTable {
  id: string;
  to_address: string;
  subject: string;
  body: string;
  created_at: EpochMs;
}

/** Whether an API (`stage_name` "") or one of its stages is published in the catalog. */
export interface PortalCatalogTable {
  rest_api_id: string;
  stage_name: string;
  published: Bool;
  updated_at: EpochMs;
}

/** An extra OpenAPI document shown in the catalog (documentation only, not served by the gateway). */
export interface PortalDocumentsTable {
  id: string;
  name: string;
  description: string | null;
  document: Json;
  published: Bool;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** How the portal offers a usage plan; a plan without a row is visible and needs no approval. */
export interface PortalPlansTable {
  usage_plan_id: string;
  visible: Bool;
  approval_required: Bool;
  updated_at: EpochMs;
}

/** A subscription an organization asked for: `PENDING`, `APPROVED`, `REFUSED` or `CANCELLED`. */
export interface PortalSubscriptionRequestsTable {
  id: string;
  tenant_id: string;
  usage_plan_id: string;
  requested_by: string;
  status: string;
  reason: string | null;
  created_at: EpochMs;
  decided_at: EpochMs | null;
}

/** The portal tables (migration 006), merged into `Database`. */
export interface Database {
  portal_users: PortalUsersTable;
  portal_memberships: PortalMembershipsTable;
  portal_invitations: PortalInvitationsTable;
  portal_tokens: PortalTokensTable;
  portal_sessions: PortalSessionsTable;
  portal_login_failures: PortalLoginFailuresTable;
  portal_mail: PortalMailTable;
  portal_catalog: PortalCatalogTable;
  portal_documents: PortalDocumentsTable;
  portal_plans: PortalPlansTable;
  portal_subscription_requests: PortalSubscriptionRequestsTable;
}

/** A tenant's EventBridge account id (12 digits), assigned on first use. */
export interface EventAccountsTable {
  tenant_id: string;
  account_id: string;
  created_at: EpochMs;
}

/** A tenant's admin credentials: a SigV4 key pair (secret sealed) and a bearer token (hashed). */
export interface TenantCredentialsTable {
  access_key_id: string;
  tenant_id: string;
  secret_sealed: string;
  token_hash: string;
  description: string | null;
  created_at: EpochMs;
}

/** One row (`id` 1): bumped by every change the rule matchers depend on. */
export interface EventConfigTable {
  id: number;
  revision: number;
}

export interface EventBusesTable {
  account: string;
  name: string;
  description: string | null;
  /** The partner event source a partner bus receives from. */
  event_source_name: string | null;
  /** `{ KmsKeyIdentifier, DeadLetterConfig, Policy }`, as given. */
  attributes: Json;
  tags: Json;
  /** The event_config revision of the bus's last change. */
  revision: number;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface EventRulesTable {
  account: string;
  bus_name: string;
  name: string;
  event_pattern: string | null;
  schedule_expression: string | null;
  /** ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. */
  state: string;
  description: string | null;
  role_arn: string | null;
  /** Set on rules Tollgate manages (an archive's rule). */
  managed_by: string | null;
  tags: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface EventTargetsTable {
  account: string;
  bus_name: string;
  rule_name: string;
  id: string;
  arn: string;
  /** The Target shape as PutTargets received it (Input, InputTransformer, RetryPolicy, ...). */
  definition: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A partner event source: created by the provider for a tenant's account. */
export interface EventSourcesTable {
  name: string;
  account: string;
  /** PENDING, ACTIVE or DELETED. */
  state: string;
  created_by: string;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** An accepted event, in EventBridge's envelope. */
export interface EventsTable {
  /** The event's id, or a key of its own for a replayed or forwarded copy. */
  id: string;
  account: string;
  bus_name: string;
  event: Json;
  received_at: EpochMs;
}

/** One event on its way to one target: the delivery queue and, once done, the delivery log. */
export interface EventDeliveriesTable {
  id: string;
  account: string;
  bus_name: string;
  rule_name: string;
  target_id: string;
  /** The `events` row (its key, which is the event id except for copies). */
  event_id: string;
  destination: string;
  /** PENDING, DELIVERED or FAILED. */
  status: string;
  attempts: number;
  next_attempt_at: EpochMs;
  claim: string | null;
  enqueued_at: EpochMs;
  last_status: number | null;
  last_error: string | null;
  replay_name: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** One attempt of a delivery. */
export interface EventDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  account: string;
  attempt: number;
  /** SUCCEEDED, RETRYING or FAILED. */
  outcome: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  created_at: EpochMs;
}

export interface EventArchivesTable {
  account: string;
  name: string;
  bus_name: string;
  description: string | null;
  event_pattern: string | null;
  /** 0 keeps events indefinitely. */
  retention_days: number;
  state: string;
  created_at: EpochMs;
  updated_at: EpochMs;
}

export interface EventArchiveEventsTable {
  account: string;
  archive_name: string;
  event_id: string;
  event_time: EpochMs;
  event: Json;
  size_bytes: number;
  archived_at: EpochMs;
}

export interface EventReplaysTable {
  account: string;
  name: string;
  archive_name: string;
  description: string | null;
  /** `{ Arn, FilterArns, TargetId? }`. */
  destination: Json;
  /** STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED or FAILED. */
  state: string;
  state_reason: string | null;
  event_start: EpochMs;
  event_end: EpochMs;
  cursor_time: EpochMs | null;
  cursor_id: string | null;
  last_replayed_at: EpochMs | null;
  started_at: EpochMs;
  ended_at: EpochMs | null;
}

export interface EventConnectionsTable {
  account: string;
  name: string;
  uuid: string;
  description: string | null;
  authorization_type: string;
  auth_parameters: Json;
  secrets_sealed: string;
  state: string;
  state_reason: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
  authorized_at: EpochMs | null;
}

export interface EventApiDestinationsTable {
  account: string;
  name: string;
  uuid: string;
  description: string | null;
  connection_name: string | null;
  endpoint: string;
  http_method: string;
  rate_limit: number;
  state: string;
  signing_secrets: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** The event bus tables (migration 005), merged into `Database`. */
export interface Database {
  event_accounts: EventAccountsTable;
  tenant_credentials: TenantCredentialsTable;
  event_config: EventConfigTable;
  event_buses: EventBusesTable;
  event_rules: EventRulesTable;
  event_targets: EventTargetsTable;
  event_sources: EventSourcesTable;
  events: EventsTable;
  event_deliveries: EventDeliveriesTable;
  event_delivery_attempts: EventDeliveryAttemptsTable;
  event_archives: EventArchivesTable;
  event_archive_events: EventArchiveEventsTable;
  event_replays: EventReplaysTable;
  event_connections: EventConnectionsTable;
  event_api_destinations: EventApiDestinationsTable;
}

/** An authorizer of a REST API; `attributes` holds the rest of API Gateway's Authorizer shape. */
export interface AuthorizersTable {
  id: string;
  rest_api_id: string;
  name: string;
  attributes: Json;
  created_at: EpochMs;
}

export interface RequestValidatorsTable {
  id: string;
  rest_api_id: string;
  name: string;
  validate_body: Bool;
  validate_parameters: Bool;
  created_at: EpochMs;
}

/** A model (a JSON schema, draft 4) of a REST API, named uniquely in it. */
export interface ModelsTable {
  id: string;
  rest_api_id: string;
  name: string;
  content_type: string;
  description: string | null;
  schema: string | null;
  created_at: EpochMs;
}

/** A firewall resource (IP set, rule, IP rate limit); `attributes` holds its shape. */
export interface FirewallTable {
  id: string;
  name: string;
  attributes: Json;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** The gateway policy tables (migration 007), merged into `Database`. */
export interface Database {
  authorizers: AuthorizersTable;
  request_validators: RequestValidatorsTable;
  models: ModelsTable;
  firewall_ip_sets: FirewallTable;
  firewall_rules: FirewallTable;
  firewall_ip_rate_limits: FirewallTable;
}
