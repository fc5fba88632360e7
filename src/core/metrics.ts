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

type MetricValue = { labels: Record<string, string>; value: number; metricName?: string };
/** What prom-client's registry reads from a metric at scrape. */
type MetricSnapshot = { name: string; help: string; type: string; values: MetricValue[]; aggregator: string };

/**
 * A counter for the request path: one series per label string, incremented as a plain number,
 * handed to prom-client's registry (which formats and serves it) only when scraped. prom-client's
 * own Counter hashes its label object on every `inc`, which costs more than the request's other
 * bookkeeping together.
 */
export class SeriesCounter {
  readonly type = "counter";
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /**
   * Adds 1 to the series `key` (a string that identifies the label values); false when the
   * series is new, and then the caller names its values with `add`. Nothing is allocated for
   * a series seen before.
   */
  inc(key: string): boolean {
    const s = this.series.get(key);
    if (!s) return false;
    s.value++;
    return true;
  }

  /** Adds `by` to the series `key` with these label values (in labelNames order). */
  add(key: string, values: readonly string[], by = 1): void {
    let s = this.series.get(key);
    if (!s) {
      s = { labels: labelsOf(this.labelNames, values), value: 0 };
      this.series.set(key, s);
    }
    s.value += by;
  }

  async get(): Promise<MetricSnapshot> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: [...this.series.values()],
      aggregator: "sum",
    };
  }

  reset(): void {
    this.series.clear();
  }
}

/** A histogram for the request path, on the same terms as SeriesCounter. `le` bounds in seconds. */
export class SeriesHistogram {
  readonly type = "histogram";
  private readonly series = new Map<
    string,
    { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** Records `value` in the series `key`; false when the series is new (then call `add`). */
  observe(key: string, value: number): boolean {
    const s = this.series.get(key);
    if (!s) return false;
    this.record(s, value);
    return true;
  }

  add(key: string, values: readonly string[], value: number): void {
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: labelsOf(this.labelNames, values),
        counts: new Float64Array(this.buckets.length),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    this.record(s, value);
  }

  private record(s: { counts: Float64Array; sum: number; count: number }, value: number): void {
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        values.push({
          labels: { ...s.labels, le: String(this.buckets[i]) },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: { ...s.labels, le: "+Inf" }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }

  reset(): void {
    this.series.clear();
  }
}

function labelsOf(names: readonly string[], values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = values[i]!;
  return labels;
}
