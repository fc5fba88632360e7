import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Store } from "../../store/index.js";

/** A claimed delivery with its event. */
export interface ClaimedDelivery {
  id: string;
  account: string;
  bus: string;
  rule: string;
  targetId: string;
  eventKey: string;
  destination: string;
  /** Attempts made before this one. */
  attempts: number;
  enqueuedAt: number;
  replayName: string | null;
  claim: string;
  /** The event as stored (JSON) and when it was received, epoch ms. */
  event: string;
  receivedAt: number;
}

/** How an attempt ended, as the worker reports it. */
export interface Outcome {
  delivery: ClaimedDelivery;
  /** SUCCEEDED; RETRYING (due again at `nextAttemptAt`); FAILED (a dead letter). */
  outcome: "SUCCEEDED" | "RETRYING" | "FAILED";
  statusCode?: number;
  latencyMs: number;
  error?: string;
  nextAttemptAt?: number;
  /** Whether an attempt was made (an event too old to send is failed without one). */
  attempted: boolean;
  at: number;
}

/**
 * The delivery queue in the store. A claim moves due rows' `next_attempt_at` one lease ahead
 * and tags them with a claim token, in one statement: a worker that dies leaves its rows to
 * come due again when the lease ends (at-least-once). On PostgreSQL the candidate rows are
 * selected `FOR UPDATE SKIP LOCKED`, so concurrent workers in several processes claim
 * disjoint rows without waiting on each other; SQLite has one writer, so its statement is
 * atomic as it is. Each destination gets at most `perDestination` rows per claim.
 */
export class DeliveryQueue {
  constructor(private readonly store: Store) {}

  async claim(options: {
    now: number;
    limit: number;
    perDestination: number;
    leaseMs: number;
    /** Destinations that have enough in hand already. */
    exclude: string[];
  }): Promise<ClaimedDelivery[]> {
    const { now, limit, perDestination, leaseMs, exclude } = options;
    if (limit <= 0) return [];
    const token = randomUUID();
    const scan = Math.max(limit * 4, 64);
    const excluded = exclude.length ? sql`and destination not in (${sql.join(exclude)})` : sql``;
    const ranked = (lock: ReturnType<typeof sql>) => sql`
        select id from (
          select id, row_number() over (partition by destination order by next_attempt_at, id) as rn
          from (
            select id, destination, next_attempt_at from event_deliveries
            where status = 'PENDING' and next_attempt_at <= ${now} ${excluded}
            order by next_attempt_at
            limit ${scan}
            ${lock}
          ) candidates
        ) ranked
        where rn <= ${perDestination}
        limit ${limit}`;
    let candidates = ranked(sql``);
    if (this.store.dialect === "sqlite") {
      // Read first: most ticks find nothing due, and a read costs no commit. SQLite has one
      // writer, so the update below (which checks again) cannot race another claim.
      const found = await sql<{ id: string }>`${candidates}`.execute(this.store.db);
      if (!found.rows.length) return [];
      candidates = sql`${sql.join(found.rows.map((r) => r.id))}`;
    } else {
      candidates = ranked(sql`for update skip locked`);
    }
    const result = await sql<{ id: string }>`
      update event_deliveries
      set next_attempt_at = ${now + leaseMs}, claim = ${token}, updated_at = ${now}
      where id in (${candidates})
      and status = 'PENDING' and next_attempt_at <= ${now}
      returning id`.execute(this.store.db);
    const ids = result.rows.map((r) => r.id);
    if (!ids.length) return [];
    const rows = await this.store.db
      .selectFrom("event_deliveries")
      .innerJoin("events", "events.id", "event_deliveries.event_id")
      .select([
        "event_deliveries.id",
        "event_deliveries.account",
        "event_deliveries.bus_name",
        "event_deliveries.rule_name",
        "event_deliveries.target_id",
        "event_deliveries.event_id",
        "event_deliveries.destination",
        "event_deliveries.attempts",
        "event_deliveries.enqueued_at",
        "event_deliveries.replay_name",
        "event_deliveries.claim",
        "events.event",
        "events.received_at",
      ])
      .where("event_deliveries.id", "in", ids)
      .where("event_deliveries.claim", "=", token)
      .execute();
    return rows
      .map((r) => ({
        id: r.id,
        account: r.account,
        bus: r.bus_name,
        rule: r.rule_name,
        targetId: r.target_id,
        eventKey: r.event_id,
        destination: r.destination,
        attempts: Number(r.attempts),
        enqueuedAt: Number(r.enqueued_at),
        replayName: r.replay_name,
        claim: r.claim ?? token,
        event: r.event,
        receivedAt: Number(r.received_at),
      }))
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt);
  }

  /**
   * Records attempts and their outcomes in one transaction; a claim that was lost (lease over)
   * changes nothing. Successes of one claim and status code share one statement, the attempts
   * go in multi-row inserts: recording costs a few statements per batch, not two per delivery.
   */
  async complete(outcomes: Outcome[]): Promise<void> {
    if (!outcomes.length) return;
    const succeeded = new Map<string, Outcome[]>();
    const others: Outcome[] = [];
    for (const o of outcomes) {
      if (o.outcome === "SUCCEEDED" && o.attempted) {
        const key = `${o.delivery.claim}\u0000${o.statusCode ?? ""}`;
        succeeded.set(key, [...(succeeded.get(key) ?? []), o]);
      } else others.push(o);
    }
    const at = Math.max(...outcomes.map((o) => o.at));
    await this.store.transaction(async (trx) => {
      for (const group of succeeded.values()) {
        const first = group[0]!;
        await trx
          .updateTable("event_deliveries")
          .set({
            status: "DELIVERED",
            attempts: sql`attempts + 1`,
            next_attempt_at: at,
            claim: null,
            last_status: first.statusCode ?? null,
            last_error: null,
            updated_at: at,
          })
          .where(
            "id",
            "in",
            group.map((o) => o.delivery.id),
          )
          .where("claim", "=", first.delivery.claim)
          .execute();
      }
      for (const o of others) {
        const d = o.delivery;
        await trx
          .updateTable("event_deliveries")
          .set({
            status: o.outcome === "RETRYING" ? "PENDING" : o.outcome === "SUCCEEDED" ? "DELIVERED" : "FAILED",
            attempts: d.attempts + (o.attempted ? 1 : 0),
            next_attempt_at: o.nextAttemptAt ?? o.at,
            claim: null,
            last_status: o.statusCode ?? null,
            last_error: o.error ?? null,
            updated_at: o.at,
          })
          .where("id", "=", d.id)
          .where("claim", "=", d.claim)
          .execute();
      }
      const attempts = outcomes.map((o) => ({
        id: randomUUID(),
        delivery_id: o.delivery.id,
        account: o.delivery.account,
        attempt: Math.max(o.delivery.attempts + (o.attempted ? 1 : 0), 1),
        outcome: o.outcome,
        status_code: o.statusCode ?? null,
        latency_ms: Math.round(o.latencyMs),
        error: o.error ?? null,
        created_at: o.at,
      }));
      for (let i = 0; i < attempts.length; i += 200) {
        await trx
          .insertInto("event_delivery_attempts")
          .values(attempts.slice(i, i + 200))
          .execute();
      }
    });
  }

  /** Gives claimed rows back (a worker stopping with work in hand): due again at once. */
  async release(deliveries: ClaimedDelivery[], now: number): Promise<void> {
    for (const d of deliveries) {
      await this.store.db
        .updateTable("event_deliveries")
        .set({ next_attempt_at: now, claim: null, updated_at: now })
        .where("id", "=", d.id)
        .where("claim", "=", d.claim)
        .where("status", "=", "PENDING")
        .execute();
    }
  }
}
