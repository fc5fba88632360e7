/**
 * Metering: the usage ledger the gateway writes (each request sent on, and its outcome),
 * and what is built on it: get-usage and update-usage in API Gateway's shapes, quota extensions
 * for billing's top-ups, a detailed usage report, reconciliation of ledger and quota counters,
 * usage alerts (events in an outbox for the event bus) and retention.
 */
export { effectiveUsage, type PeriodUsage } from "./effective-usage.js";
export { type MeteringJobOptions, MeteringJobs } from "./jobs.js";
export {
  type Admission,
  type AdmissionSubject,
  type Outcome,
  UsageLedger,
  usageSince,
  utcDay,
} from "./ledger.js";
export { type GetUsageInput, MeteringService, type Usage } from "./metering-service.js";
export { quotaCounterId } from "./plan-rows.js";
export type { KeyReconciliation, Reconciliation } from "./reconcile.js";
export {
  DEFAULT_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  type PruneResult,
  pruneUsage,
  usageRetentionDays,
} from "./retention.js";
export {
  type CreateUsageAlertInput,
  METERING_EVENT_SOURCE,
  type OutboxEvent,
  QUOTA_THRESHOLD_REACHED,
  type QuotaThresholdDetail,
  type UsageAlert,
  type UsageAlertEventFilter,
  UsageAlertService,
} from "./usage-alerts.js";
export {
  USAGE_DIMENSIONS,
  type UsageDimension,
  type UsageReport,
  type UsageReportInput,
  type UsageReportRow,
} from "./usage-report.js";
