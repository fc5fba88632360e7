import { randomUUID } from "node:crypto";
import type { Insertable } from "kysely";
import type { Clock } from "../core/clock.js";
import type { Database, Store, Tx } from "../store/index.js";
import { busNameOf, type Scope } from "./arns.js";
import { busRow } from "./buses.js";
import { EventsError, ValidationError } from "./errors.js";
import type { RoutedTarget, Router } from "./router.js";

/** An entry of PutEvents, as EventBridge takes it; `Time` in epoch seconds. */
export interface PutEventsEntry {
  Time?: number;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

/** The result of one entry: its event id, or why it was refused. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** An event in EventBridge's envelope, as rules match it and targets receive it. */
export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  "replay-name"?: string;
  [other: string]: unknown;
}

/** How an event was published, for copies (replays and bus-to-bus forwarding). */
export interface PublishOptions {
  /** The `events` row key; the event id by default. */
  storageKey?: string;
  replayName?: string;
  /** Only these targets receive it (a replay's FilterArns, a replay to one target). */
  only?: (target: RoutedTarget) => boolean;
}

/** An event routed to its targets, ready to be written. */
export interface Prepared {
  account: string;
  bus: string;
  event: BusEvent;
  targets: RoutedTarget[];
  options: PublishOptions;
}

/** What one publish wrote. */
export interface Published {
  deliveries: number;
  archived: number;
}

/** AWS counts 14 bytes for a Time, and the UTF-8 bytes of the other fields. */
const TIME_BYTES = 14;

/**
 * Ingestion: PutEvents and PutPartnerEvents. An accepted event is routed at once (rules are
 * compiled in memory) and written with one delivery row per matched target, and its archive
 * copies, in the same transaction, before the answer: once the caller has an EventId, the
 * event's deliveries survive a crash. An event that matches no rule is not kept, as on AWS.
 */
export class Ingest {
  /** Callers waiting for the next group commit. */
  private waiting: Array<{ prepared: Prepared[]; resolve(p: Published): void; reject(e: unknown): void }> =
    [];
  private committing = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly router: Router,
    private readonly options: {
      region: string;
      /** Largest PutEvents request (sum of its entries' sizes), bytes. */
      maxRequestBytes: number;
      /** Called after a commit that enqueued deliveries (wakes the delivery worker). */
      onEnqueued: () => void;
      ensureDefault: (account: string) => Promise<void>;
    },
  ) {}

  /** PutEvents: 1 to 10 entries, each to a bus of the caller's account. */
  async putEvents(scope: Scope, entries: PutEventsEntry[]): Promise<PutEventsResult> {
    checkEntries(entries, 10);
    this.checkSize(entries);
    await this.options.ensureDefault(scope.account);
    const results: PutEventsResultEntry[] = [];
    const accepted: Array<{ index: number; bus: string; event: BusEvent }> = [];
    for (const entry of entries) {
      const problem = entryProblem(entry) ?? reservedSource(entry);
      if (problem) {
        results.push(problem);
        continue;
      }
      let bus: string;
      try {
        bus = busNameOf(scope, entry.EventBusName, "entries.member.eventBusName");
      } catch (error) {
        if (!(error instanceof EventsError)) throw error;
        results.push({ ErrorCode: error.code, ErrorMessage: error.message });
        continue;
      }
      const event = this.envelope(scope.account, entry);
      results.push({ EventId: event.id });
      accepted.push({ index: results.length - 1, bus, event });
    }
    // Route before the transaction: the routers read the store, and SQLite has one connection.
    const prepared: Prepared[] = [];
    const exists = new Map<string, boolean>();
    for (const item of accepted) {
      let known = exists.get(item.bus);
      if (known === undefined) {
        known = (await busRow(this.store.db, scope.account, item.bus)) !== undefined;
        exists.set(item.bus, known);
      }
      if (!known) {
        results[item.index] = {
          ErrorCode: "ResourceNotFoundException",
          ErrorMessage: `Event bus ${item.bus} does not exist.`,
        };
        continue;
      }
      prepared.push(await this.prepare(scope.account, item.bus, item.event));
    }
    await this.commit(prepared);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /**
   * PutPartnerEvents: the provider sends events from its partner event sources. Each goes to
   * the partner event bus of the account the source was created for, when that bus exists and
   * the source is active; otherwise it is accepted and dropped, as on AWS.
   */
  async putPartnerEvents(entries: PutEventsEntry[]): Promise<PutEventsResult> {
    checkEntries(entries, 20);
    this.checkSize(entries);
    const results: PutEventsResultEntry[] = [];
    const prepared: Prepared[] = [];
    for (const entry of entries) {
      const problem = entryProblem(entry);
      if (problem) {
        results.push(problem);
        continue;
      }
      const source = await this.store.db
        .selectFrom("event_sources")
        .select(["account", "state"])
        .where("name", "=", entry.Source!)
        .executeTakeFirst();
      if (!source || source.state === "DELETED") {
        results.push({
          ErrorCode: "InvalidArgument",
          ErrorMessage: `Parameter Source is not valid. Reason: Event source ${entry.Source} does not exist.`,
        });
        continue;
      }
      const event = this.envelope(source.account, entry);
      results.push({ EventId: event.id });
      if (source.state !== "ACTIVE") continue;
      const bus = await this.store.db
        .selectFrom("event_buses")
        .select("name")
        .where("account", "=", source.account)
        .where("event_source_name", "=", entry.Source!)
        .executeTakeFirst();
      if (bus) prepared.push(await this.prepare(source.account, bus.name, event));
    }
    await this.commit(prepared);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /**
   * Routes events (outside any transaction) and writes them; wakes the worker. Concurrent
   * callers share transactions (group commit): while one commit runs, the next callers' events
   * gather and go in the following one. Each caller's promise resolves once its events are
   * committed.
   */
  async commit(prepared: Prepared[]): Promise<Published> {
    const busy = prepared.filter((p) => p.targets.length);
    if (!busy.length) return { deliveries: 0, archived: 0 };
    return new Promise<Published>((resolve, reject) => {
      this.waiting.push({ prepared: busy, resolve, reject });
      if (!this.committing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.committing = true;
    try {
      while (this.waiting.length) {
        const group = this.waiting.splice(0);
        try {
          const results = await this.store.transaction(async (trx) => {
            const out: Published[] = [];
            for (const caller of group) out.push(await this.write(trx, caller.prepared));
            return out;
          });
          if (results.some((r) => r.deliveries)) this.options.onEnqueued();
          for (const [i, caller] of group.entries()) caller.resolve(results[i]!);
        } catch (error) {
          for (const caller of group) caller.reject(error);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /** Routes one event on a bus: the targets it will be written for. Reads the store: call it outside transactions. */
  async prepare(
    account: string,
    bus: string,
    event: BusEvent,
    options: PublishOptions = {},
  ): Promise<Prepared> {
    let targets = await this.router.route(account, bus, event);
    if (options.only) targets = targets.filter(options.only);
    // Replayed events are never archived again.
    if (options.replayName !== undefined) targets = targets.filter((t) => t.kind.kind !== "archive");
    return { account, bus, event, targets, options };
  }

  /**
   * Writes routed events' deliveries and archive copies in `trx`, a few multi-row statements
   * for all of them; the caller wakes the worker after the commit.
   */
  async write(trx: Tx, prepared: Prepared | Prepared[]): Promise<Published> {
    const now = this.clock.now();
    const events: Insertable<Database["events"]>[] = [];
    const deliveries: Insertable<Database["event_deliveries"]>[] = [];
    const archived: Insertable<Database["event_archive_events"]>[] = [];
    for (const item of Array.isArray(prepared) ? prepared : [prepared]) {
      const { account, bus, event, targets, options } = item;
      if (!targets.length) continue;
      const key = options.storageKey ?? event.id;
      const text = JSON.stringify(event);
      let stored = false;
      for (const target of targets) {
        if (target.kind.kind === "archive") {
          archived.push({
            account,
            archive_name: target.kind.name,
            event_id: event.id,
            event_time: Date.parse(event.time) || now,
            event: text,
            size_bytes: Buffer.byteLength(text),
            archived_at: now,
          });
          continue;
        }
        if (!stored) {
          events.push({ id: key, account, bus_name: bus, event: text, received_at: now });
          stored = true;
        }
        deliveries.push({
          id: randomUUID(),
          account,
          bus_name: bus,
          rule_name: target.ruleName,
          target_id: target.target.Id,
          event_id: key,
          destination: target.destination,
          status: "PENDING",
          attempts: 0,
          next_attempt_at: now,
          claim: null,
          enqueued_at: now,
          last_status: null,
          last_error: null,
          replay_name: options.replayName ?? null,
          created_at: now,
          updated_at: now,
        });
      }
    }
    let archivedCount = 0;
    for (const rows of chunks(events, 200)) {
      await trx
        .insertInto("events")
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    for (const rows of chunks(deliveries, 200))
      await trx.insertInto("event_deliveries").values(rows).execute();
    for (const rows of chunks(archived, 200)) {
      const result = await trx
        .insertInto("event_archive_events")
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      archivedCount += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return { deliveries: deliveries.length, archived: archivedCount };
  }

  /** Wakes the delivery worker (after a commit that enqueued deliveries). */
  notify(): void {
    this.options.onEnqueued();
  }

  /** The event in EventBridge's envelope: account and region of the bus, time to the second. */
  envelope(account: string, entry: PutEventsEntry): BusEvent {
    const time = entry.Time !== undefined ? entry.Time * 1000 : this.clock.now();
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType!,
      source: entry.Source!,
      account,
      time: isoSeconds(time),
      region: this.options.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail!),
    };
  }

  private checkSize(entries: PutEventsEntry[]): void {
    let total = 0;
    for (const entry of entries) total += entrySize(entry);
    if (total > this.options.maxRequestBytes) {
      throw new ValidationError("Total size of the entries in the request is over the limit.");
    }
  }
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** An event time as EventBridge writes it: ISO 8601 to the second, UTC. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** AWS's entry size: 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType, Detail and Resources. */
export function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? TIME_BYTES : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text);
  }
  return size;
}

function checkEntries(entries: PutEventsEntry[], max: number): void {
  if (entries.length < 1) {
    throw new ValidationError(
      "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (entries.length > max) {
    throw new ValidationError(
      `1 validation error detected: Value '[${entries.length} entries]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

/** Sources starting with `aws.` are AWS's (and partners'): PutEvents refuses them. */
function reservedSource(entry: PutEventsEntry): PutEventsResultEntry | undefined {
  if (!entry.Source?.startsWith("aws.")) return undefined;
  return {
    ErrorCode: "NotAuthorizedForSourceException",
    ErrorMessage: `Not authorized for the source: ${entry.Source} (sources starting with 'aws.' are reserved).`,
  };
}

/** The per-entry refusals of PutEvents and PutPartnerEvents, with AWS's codes and messages. */
function entryProblem(entry: PutEventsEntry): PutEventsResultEntry | undefined {
  if (!entry.Source) {
    return {
      ErrorCode: "InvalidArgument",
      ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument.",
    };
  }
  if (!entry.DetailType) {
    return {
      ErrorCode: "InvalidArgument",
      ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
    };
  }
  if (!entry.Detail) {
    return {
      ErrorCode: "InvalidArgument",
      ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument.",
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  // Detail must be a JSON object.
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  if (entry.Time !== undefined && !Number.isFinite(entry.Time)) {
    return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Time is not valid." };
  }
  return undefined;
}
