import { sql } from "kysely";
import type { Store } from "../store/index.js";
import { AdmissionJournal } from "./journal.js";

/** One admitted request, as the ledger counts it. */
export interface Admission {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  keyId: string;
  usagePlanId: string;
  tenantId: string;
  restApiId: string;
  stage: string;
  resourcePath: string;
  httpMethod: string;
}

/** An admission without its day: what the gateway keeps per key and route. */
export type AdmissionSubject = Omit<Admission, "day">;
/** What an outcome is about, without its day and figures. */
export type OutcomeSubject = Pick<Admission, "keyId" | "restApiId" | "stage" | "resourcePath" | "httpMethod">;

interface SubjectKeys {
  line: string;
  count: string;
  stats: string;
  /**
   * The request path's shortcuts, for the day last seen: the journal line, and the subject's
   * rows in `pending` and `stats` while those are still the maps the rows are in (a commit
   * starts new ones), so a request costs no new string and no Map lookup.
   */
  day?: string;
  dayLine?: string;
  row?: CountRow;
  rowIn?: Map<string, CountRow>;
  outcome?: StatsRow;
  outcomeIn?: Map<string, StatsRow>;
}

type StatsRow = Outcome & { requests: number };

/** What is known of a request after its answer. */
export interface Outcome {
  day: string;
  keyId: string;
  restApiId: string;
  stage: string;
  resourcePath: string;
  httpMethod: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
}

type CountRow = {
  day: string;
  key_id: string;
  usage_plan_id: string;
  tenant_id: string;
  rest_api_id: string;
  stage: string;
  resource_path: string;
  http_method: string;
  requests: number;
};

export interface UsageLedgerOptions {
  /** Where the admission journal lives; without one, counts since the last commit die with the process. */
  journalDir?: string;
  /** How often pending counts are committed, ms. */
  commitIntervalMs?: number;
}

/**
 * The usage ledger's writer. `admit` counts one request synchronously at the moment it is
 * written to the upstream: a line in the admission journal (a write(2) that survives SIGKILL) and
 * a count in memory. The line is written alone, right before the request: a batch of lines
 * written ahead of their requests would over-count every request of the batch not yet sent when
 * the process is killed. Counts are committed to `usage_counts` every few milliseconds in one transaction with the
 * name of the journal segment they came from, so a restarted process replays exactly the
 * segments that were not committed: recorded usage equals what the upstream was sent. The
 * request path never waits on the database.
 */
export class UsageLedger {
  private pending = new Map<string, CountRow>();
  private uncommitted: string[] = [];
  private committing?: Promise<void>;
  private stats = new Map<string, StatsRow>();
  private readonly subjectKeys = new WeakMap<object, SubjectKeys>();
  private readonly journal?: AdmissionJournal;
  private readonly timer: NodeJS.Timeout;
  private statsDueAt = 0;

  private constructor(
    private readonly store: Store,
    journalDir: string | undefined,
    commitIntervalMs: number,
  ) {
    this.journal = journalDir ? new AdmissionJournal(journalDir) : undefined;
    this.timer = setInterval(() => void this.commit().catch(() => {}), commitIntervalMs);
    this.timer.unref();
  }

  /** Replays what earlier processes journaled but did not commit, then opens this process's journal. */
  static async open(store: Store, options: UsageLedgerOptions = {}): Promise<UsageLedger> {
    if (options.journalDir) await recover(store, options.journalDir);
    return new UsageLedger(store, options.journalDir, options.commitIntervalMs ?? 100);
  }

  /**
   * Counts one request at the moment it is sent on; throws if the journal cannot be written
   * (then it must not be sent). `subject` is what the request is (key, plan, route), an object
   * the caller keeps and passes again, so its journal and count keys are built once.
   */
  admit(day: string, subject: AdmissionSubject): void {
    const keys = this.keysOf(subject, day);
    this.journal?.append(keys.dayLine!);
    let row = keys.row;
    if (row === undefined || keys.rowIn !== this.pending) {
      const id = `${day}\u0000${keys.count}`;
      row = this.pending.get(id);
      if (row === undefined) {
        row = countRow(day, subject, 0);
        this.pending.set(id, row);
      }
      keys.row = row;
      keys.rowIn = this.pending;
    }
    row.requests++;
  }

  /** Records an answer's status, latency and bytes; flushed in the background. */
  outcome(o: Outcome): void {
    this.answered(o.day, o, o.status, o.latencyMs, o.bytesIn, o.bytesOut);
  }

  /** `outcome` for the request path, with a kept `subject` as in `admit`. */
  answered(
    day: string,
    subject: OutcomeSubject,
    status: number,
    latencyMs: number,
    bytesIn: number,
    bytesOut: number,
  ): void {
    const keys = this.keysOf(subject, day);
    let row = keys.outcome;
    if (row === undefined || row.status !== status || keys.outcomeIn !== this.stats) {
      const id = `${day}\u0000${keys.stats}\u0000${status}`;
      row = this.stats.get(id);
      if (row === undefined) {
        row = {
          day,
          keyId: subject.keyId,
          restApiId: subject.restApiId,
          stage: subject.stage,
          resourcePath: subject.resourcePath,
          httpMethod: subject.httpMethod,
          status,
          latencyMs: 0,
          bytesIn: 0,
          bytesOut: 0,
          requests: 0,
        };
        this.stats.set(id, row);
      }
      keys.outcome = row;
      keys.outcomeIn = this.stats;
    }
    row.requests++;
    row.latencyMs += latencyMs;
    row.bytesIn += bytesIn;
    row.bytesOut += bytesOut;
  }

  /** The journal line and map keys of a subject, made once per subject object (and per day). */
  private keysOf(s: OutcomeSubject & Partial<AdmissionSubject>, day: string): SubjectKeys {
    let keys = this.subjectKeys.get(s);
    if (!keys) {
      keys = {
        line: `${s.keyId}\t${s.usagePlanId}\t${s.tenantId}\t${s.restApiId}\t${s.stage}\t${s.resourcePath}\t${s.httpMethod}`,
        count: `${s.keyId}\u0000${s.usagePlanId}\u0000${s.restApiId}\u0000${s.stage}\u0000${s.resourcePath}\u0000${s.httpMethod}`,
        stats: `${s.keyId}\u0000${s.restApiId}\u0000${s.stage}\u0000${s.resourcePath}\u0000${s.httpMethod}`,
      };
      this.subjectKeys.set(s, keys);
    }
    if (keys.day !== day) {
      keys.day = day;
      keys.dayLine = `${day}\t${keys.line}\n`;
      keys.row = undefined;
      keys.outcome = undefined;
    }
    return keys;
  }

  /** Commits pending counts with the journal segments they came from; one commit at a time. */
  commit(): Promise<void> {
    if (this.committing) return this.committing;
    if (this.pending.size === 0 && this.uncommitted.length === 0) return this.flushStatsWhenDue();
    const rows = [...this.pending.values()];
    this.pending = new Map();
    if (this.journal) this.uncommitted.push(this.journal.rotate());
    const segments = this.uncommitted;
    this.uncommitted = [];
    this.committing = writeCounts(this.store, rows, segments)
      .then(
        () => {
          for (const segment of segments) this.journal?.discard(segment);
        },
        (error: unknown) => {
          // Keep them for the next commit; the journal still holds every line.
          for (const row of rows) addCount(this.pending, rowAdmission(row), row.requests);
          this.uncommitted = [...segments, ...this.uncommitted];
          throw error;
        },
      )
      .finally(() => {
        this.committing = undefined;
      });
    return this.committing;
  }

  private async flushStatsWhenDue(): Promise<void> {
    if (Date.now() < this.statsDueAt) return;
    this.statsDueAt = Date.now() + 1000;
    await this.flushStats();
  }

  async flushStats(): Promise<void> {
    if (this.stats.size === 0) return;
    const rows = [...this.stats.values()].map((s) => ({
      day: s.day,
      key_id: s.keyId,
      rest_api_id: s.restApiId,
      stage: s.stage,
      resource_path: s.resourcePath,
      http_method: s.httpMethod,
      status: s.status,
      requests: s.requests,
      latency_ms_sum: Math.round(s.latencyMs),
      bytes_in: s.bytesIn,
      bytes_out: s.bytesOut,
    }));
    this.stats = new Map();
    await this.store.db
      .insertInto("usage_stats")
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(["day", "key_id", "rest_api_id", "stage", "resource_path", "http_method", "status"])
          .doUpdateSet({
            requests: sql`usage_stats.requests + excluded.requests`,
            latency_ms_sum: sql`usage_stats.latency_ms_sum + excluded.latency_ms_sum`,
            bytes_in: sql`usage_stats.bytes_in + excluded.bytes_in`,
            bytes_out: sql`usage_stats.bytes_out + excluded.bytes_out`,
          }),
      )
      .execute();
  }

  /** Commits everything and closes the journal (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.committing?.catch(() => {});
    await this.commit();
    this.journal?.close();
    await this.flushStats();
  }
}

function addCount(into: Map<string, CountRow>, a: Admission, requests: number): void {
  const id = `${a.day}\u0000${a.keyId}\u0000${a.usagePlanId}\u0000${a.restApiId}\u0000${a.stage}\u0000${a.resourcePath}\u0000${a.httpMethod}`;
  const row = into.get(id);
  if (row) row.requests += requests;
  else into.set(id, countRow(a.day, a, requests));
}

function countRow(day: string, a: AdmissionSubject, requests: number): CountRow {
  return {
    day,
    key_id: a.keyId,
    usage_plan_id: a.usagePlanId,
    tenant_id: a.tenantId,
    rest_api_id: a.restApiId,
    stage: a.stage,
    resource_path: a.resourcePath,
    http_method: a.httpMethod,
    requests,
  };
}

function rowAdmission(row: CountRow): Admission {
  return {
    day: row.day,
    keyId: row.key_id,
    usagePlanId: row.usage_plan_id,
    tenantId: row.tenant_id,
    restApiId: row.rest_api_id,
    stage: row.stage,
    resourcePath: row.resource_path,
    httpMethod: row.http_method,
  };
}

/** Adds counts and marks their journal segments applied, in one transaction. */
async function writeCounts(store: Store, rows: CountRow[], segments: string[]): Promise<void> {
  await store.transaction(async (trx) => {
    if (rows.length > 0) {
      await trx
        .insertInto("usage_counts")
        .values(rows)
        .onConflict((oc) =>
          oc
            .columns([
              "day",
              "key_id",
              "usage_plan_id",
              "rest_api_id",
              "stage",
              "resource_path",
              "http_method",
            ])
            .doUpdateSet({ requests: sql`usage_counts.requests + excluded.requests` }),
        )
        .execute();
    }
    if (segments.length > 0) {
      const now = Date.now();
      await trx
        .insertInto("usage_journal_applied")
        .values(segments.map((segment) => ({ segment, applied_at: now })))
        .onConflict((oc) => oc.column("segment").doNothing())
        .execute();
    }
  });
}

/** Replays the segments of processes that are gone, skipping those already committed. */
async function recover(store: Store, dir: string): Promise<void> {
  for (const { segment, lines } of AdmissionJournal.orphans(dir)) {
    const applied = await store.db
      .selectFrom("usage_journal_applied")
      .select("segment")
      .where("segment", "=", segment)
      .executeTakeFirst();
    if (!applied) {
      const counts = new Map<string, CountRow>();
      for (const line of lines) {
        const [day, keyId, usagePlanId, tenantId, restApiId, stage, resourcePath, httpMethod] =
          line.split("\t");
        if (httpMethod === undefined) continue; // a line cut short by the crash was never followed by a send
        addCount(
          counts,
          {
            day: day!,
            keyId: keyId!,
            usagePlanId: usagePlanId!,
            tenantId: tenantId!,
            restApiId: restApiId!,
            stage: stage!,
            resourcePath: resourcePath!,
            httpMethod,
          },
          1,
        );
      }
      await writeCounts(store, [...counts.values()], [segment]);
    }
    AdmissionJournal.discard(dir, segment);
  }
}

/** The UTC day of an epoch-ms instant, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  // Called twice per request on the hot path: reuse the day's string until the day ends.
  if (ms >= dayCache.start && ms < dayCache.start + DAY_MS) return dayCache.day;
  const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  dayCache = { start, day: new Date(start).toISOString().slice(0, 10) };
  return dayCache.day;
}

const DAY_MS = 86_400_000;
let dayCache = { start: Number.NaN, day: "" };

/**
 * Requests each key made on a plan from `startDay` on (inclusive), from the ledger: what an
 * in-process counter engine needs to resume quotas after a restart.
 */
export async function usageSince(
  store: Store,
  usagePlanId: string,
  startDay: string,
): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom("usage_counts")
    .select(["key_id", (eb) => eb.fn.sum<number>("requests").as("requests")])
    .where("usage_plan_id", "=", usagePlanId)
    .where("day", ">=", startDay)
    .groupBy("key_id")
    .execute();
  return new Map(rows.map((r) => [r.key_id, Number(r.requests)]));
}
