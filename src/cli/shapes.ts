/**
 * The admin API's wire shapes that the CLI reads, as Amazon API Gateway defines them
 * (timestamps in epoch seconds). Only the members the CLI uses are listed.
 */

export interface RestApi {
  id: string;
  name: string;
  description?: string;
  createdDate?: number;
  warnings?: string[];
  tags?: Record<string, string>;
}

export interface ThrottleSettings {
  /** Requests per second, refilled continuously. */
  rateLimit?: number;
  /** Bucket size, in requests. */
  burstLimit?: number;
}

export interface QuotaSettings {
  limit?: number;
  offset?: number;
  period?: "DAY" | "WEEK" | "MONTH";
}

export interface MethodSetting {
  throttlingRateLimit?: number;
  throttlingBurstLimit?: number;
  cachingEnabled?: boolean;
  /** Seconds. */
  cacheTtlInSeconds?: number;
  cacheDataEncrypted?: boolean;
}

export interface CanarySettings {
  /** 0.0 to 100.0. */
  percentTraffic?: number;
  deploymentId?: string;
  stageVariableOverrides?: Record<string, string>;
  useStageCache?: boolean;
}

export interface Stage {
  stageName: string;
  deploymentId?: string;
  description?: string;
  variables?: Record<string, string>;
  /** Keyed `{resourcePath}/{httpMethod}`; `*` as both parts is the stage default. */
  methodSettings?: Record<string, MethodSetting>;
  cacheClusterEnabled?: boolean;
  /** GB, one of AWS's sizes (`0.5`). */
  cacheClusterSize?: string;
  canarySettings?: CanarySettings;
  createdDate?: number;
  lastUpdatedDate?: number;
}

export interface Deployment {
  id: string;
  description?: string;
  createdDate?: number;
}

export interface ApiStage {
  apiId: string;
  stage: string;
  /** Per-method throttling keyed `{resourcePath}/{httpMethod}` (`/pets/GET`). */
  throttle?: Record<string, ThrottleSettings>;
}

export interface UsagePlan {
  id: string;
  name: string;
  description?: string;
  apiStages?: ApiStage[];
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
}

export interface ApiKey {
  id: string;
  name?: string;
  description?: string;
  /** Present only when created, or listed with `includeValues=true`. */
  value?: string;
  enabled?: boolean;
  /** The owning tenant's id. */
  customerId?: string;
  createdDate?: number;
}

export interface UsagePlanKey {
  id: string;
  type?: string;
  name?: string;
}

/** Tollgate's own resource, in the same style. */
export interface Tenant {
  id: string;
  name: string;
  description?: string;
  enabled?: boolean;
  createdDate?: number;
  blocked?: boolean;
  blockReason?: string;
  allowedResources?: string[];
  deniedResources?: string[];
}

/** The gateway firewall's resources (Tollgate's own). */
export interface IpSet {
  id: string;
  name: string;
  description?: string;
  addresses: string[];
}

export interface FirewallRule {
  id: string;
  name: string;
  description?: string;
  priority: number;
  action: "BLOCK" | "ALLOW";
  enabled: boolean;
  ipSetIds?: string[];
  methods?: string[];
  pathPatterns?: string[];
  headerPatterns?: Array<{ name: string; pattern: string }>;
}

export interface IpRateLimit {
  id: string;
  name: string;
  restApiId?: string;
  stage?: string;
  rateLimit: number;
  burstLimit: number;
}
