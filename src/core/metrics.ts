import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * One Prometheus registry per Tollgate process (tests run several in one Node process, so never
 * prom-client's global one). Parts register their metrics on it; the admin port serves it at
 * `/metrics` in the Prometheus text format. Process metrics (CPU, memory, event-loop lag) are on
 * it too, prefixed `tollgate_`.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tollgate_" });
  return registry;
}

/**
 * Caps how many distinct values one label may take: the first `max` values seen are kept, any
 * further one reads as `_other`, so a metric's series stay bounded however many tenants there are.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string | undefined): string {
    if (raw === undefined || raw === "") return "";
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return "_other";
    this.seen.add(raw);
    return raw;
  }
}

export type { Registry } from "prom-client";
