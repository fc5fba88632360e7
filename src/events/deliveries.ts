import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { ruleArn, type Scope } from "./arns.js";
import { ResourceNotFoundError, ValidationError } from "./errors.js";
import { MAX_LIST_LIMIT } from "./paging.js";
import type { Router } from "./router.js";
import { checkRange } from "./validate.js";

export type DeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

/** One event on its way to one target, as ListDeliveries shows it. */
export interface Delivery {
  DeliveryId: string;
  EventId: string;
  EventBusName: string;
  Rule: string;
  RuleArn: string;
  TargetId: string;
  Status: DeliveryStatus;
  Attempts: number;
  LastStatusCode?: number;
  LastError?: string;
  ReplayName?: string;
  CreationTime: number;
  LastModifiedTime: number;
  /** When a PENDING delivery is next due (epoch seconds). */
  NextAttemptTime?: number;
}

/** One attempt of a delivery. */
export interface DeliveryAttempt {
  Attempt: number;
  Outcome: "SUCCEEDED" | "RETRYING" | "FAILED";
  StatusCode?: number;
  LatencyMs: number;
  Error?: string;
  Time: number;
}

export interface DeliveryFilter {
  EventBusName?: string;
  Rule?: string;
  TargetId?: string;
  Status?: DeliveryStatus;
  EventId?: string;
  NextToken?: string;
  Limit?: number;
}

type DeliveryRow = {
  id: string;
  account: string;
  bus_name: string;
  rule_name: string;
  target_id: string;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  replay_name: string | null;
  created_at: number;
  updated_at: number;
  event: string;
};

const STATUSES: DeliveryStatus[] = ["PENDING", "DELIVERED", "FAILED"];
/** The most dead letters one RedriveDeadLetters call sends again. */
export const MAX_REDRIVE = 1000;

/**
 * The delivery log and the dead-letter store, per account: every delivery with its status
 * and attempts (status code, latency, error), the dead letters of a target (deliveries that
 * failed for good, kept with their last error until redriven), redrive, and the replay of one
 * delivery (the same event to the same target, as a new delivery).
 */
export class DeliveryLog {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly router: Router,
    private readonly onEnqueued: () => void,
  ) {}

  /** Deliveries newest first, filtered by bus, rule, target, status and event id. */
  async list(scope: Scope, filter: DeliveryFilter = {}): Promise<{ items: Delivery[]; nextToken?: string }> {
    checkRange("limit", filter.Limit, 1, MAX_LIST_LIMIT);
    if (filter.Status !== undefined && !STATUSES.includes(filter.Status)) {
      throw new ValidationError(
        `Status ${filter.Status} is not valid: expected one of ${STATUSES.join(", ")}.`,
      );
    }
    const limit = filter.Limit ?? 50;
    const offset = decodeToken(filter.NextToken);
    let query = this.store.db
      .selectFrom("event_deliveries")
      .innerJoin("events", "events.id", "event_deliveries.event_id")
      .selectAll("event_deliveries")
      .select("events.event")
      .where("event_deliveries.account", "=", scope.account);
    if (filter.EventBusName !== undefined)
      query = query.where("event_deliveries.bus_name", "=", filter.EventBusName);
    if (filter.Rule !== undefined) query = query.where("event_deliveries.rule_name", "=", filter.Rule);
    if (filter.TargetId !== undefined)
      query = query.where("event_deliveries.target_id", "=", filter.TargetId);
    if (filter.Status !== undefined) query = query.where("event_deliveries.status", "=", filter.Status);
    if (filter.EventId !== undefined) {
      // Copies (replays, forwards) are keyed `<kind>:<...>/<event id>`.
      const id = filter.EventId;
      query = query.where((eb) =>
        eb.or([eb("event_deliveries.event_id", "=", id), eb("event_deliveries.event_id", "like", `%/${id}`)]),
      );
    }
    const rows = await query
      .orderBy("event_deliveries.created_at", "desc")
      .orderBy("event_deliveries.id")
      .limit(limit + 1)
      .offset(offset)
      .execute();
    const items = rows.slice(0, limit).map((r) => toDelivery(scope, r));
    return rows.length > limit ? { items, nextToken: encodeToken(offset + limit) } : { items };
  }

  /** One delivery with its attempts, oldest first, and the event it carries. */
  async describe(
    scope: Scope,
    id: string,
  ): Promise<{ Delivery: Delivery; Attempts: DeliveryAttempt[]; Event: string }> {
    const row = await this.row(scope, id);
    const attempts = await this.store.db
      .selectFrom("event_delivery_attempts")
      .selectAll()
      .where("delivery_id", "=", id)
      .orderBy("created_at")
      .orderBy("attempt")
      .execute();
    return {
      Delivery: toDelivery(scope, row),
      Attempts: attempts.map((a) => ({
        Attempt: a.attempt,
        Outcome: a.outcome as DeliveryAttempt["Outcome"],
        ...(a.status_code !== null ? { StatusCode: a.status_code } : {}),
        LatencyMs: a.latency_ms,
        ...(a.error !== null ? { Error: a.error } : {}),
        Time: a.created_at / 1000,
      })),
      Event: eventText(row),
    };
  }

  /**
   * RedriveDeadLetters: sends a target's dead letters (or the given ones) again, as new tries
   * with fresh attempt counts and event age. Returns how many went back to the queue.
   */
  async redrive(
    scope: Scope,
    input: { EventBusName?: string; Rule: string; TargetId: string; DeliveryIds?: string[] },
  ): Promise<{ RedrivenCount: number }> {
    const bus = input.EventBusName ?? "default";
    if (input.DeliveryIds && input.DeliveryIds.length > MAX_REDRIVE) {
      throw new ValidationError(`At most ${MAX_REDRIVE} DeliveryIds can be redriven at once.`);
    }
    const now = this.clock.now();
    let query = this.store.db
      .updateTable("event_deliveries")
      .set({
        status: "PENDING",
        attempts: 0,
        next_attempt_at: now,
        enqueued_at: now,
        claim: null,
        updated_at: now,
      })
      .where("account", "=", scope.account)
      .where("bus_name", "=", bus)
      .where("rule_name", "=", input.Rule)
      .where("target_id", "=", input.TargetId)
      .where("status", "=", "FAILED");
    if (input.DeliveryIds) {
      if (!input.DeliveryIds.length) return { RedrivenCount: 0 };
      query = query.where("id", "in", input.DeliveryIds);
    }
    const result = await query.executeTakeFirst();
    const count = Number(result.numUpdatedRows);
    if (count) this.onEnqueued();
    return { RedrivenCount: count };
  }

  /** ReplayDelivery: the delivery's event to the same target again, as a new delivery. */
  async replay(scope: Scope, id: string): Promise<{ DeliveryId: string }> {
    const row = await this.row(scope, id);
    const target = await this.router.target(scope.account, row.bus_name, row.rule_name, row.target_id);
    if (!target) {
      throw new ValidationError(
        `Target ${row.target_id} of rule ${row.rule_name} no longer exists: the delivery cannot be replayed.`,
      );
    }
    const deliveryId = await this.enqueue(
      scope.account,
      row.bus_name,
      row.rule_name,
      row.target_id,
      row.event_id,
      target.destination,
    );
    return { DeliveryId: deliveryId };
  }

  /** Queues an event (already in `events`) for one target, outside of rule matching. */
  async enqueue(
    account: string,
    bus: string,
    rule: string,
    targetId: string,
    eventKey: string,
    destination: string,
  ): Promise<string> {
    const now = this.clock.now();
    const id = randomUUID();
    await this.store.db
      .insertInto("event_deliveries")
      .values({
        id,
        account,
        bus_name: bus,
        rule_name: rule,
        target_id: targetId,
        event_id: eventKey,
        destination,
        status: "PENDING",
        attempts: 0,
        next_attempt_at: now,
        claim: null,
        enqueued_at: now,
        last_status: null,
        last_error: null,
        replay_name: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    this.onEnqueued();
    return id;
  }

  /**
   * Forgets delivered deliveries older than `retentionDays`, their attempts, and the events no
   * delivery refers to any more. Dead letters and pending deliveries are kept. Returns how many
   * deliveries went.
   */
  async prune(retentionDays: number): Promise<number> {
    const cutoff = this.clock.now() - retentionDays * 86_400_000;
    return this.store.transaction(async (trx) => {
      const old = trx
        .selectFrom("event_deliveries")
        .select("id")
        .where("status", "=", "DELIVERED")
        .where("updated_at", "<", cutoff);
      await trx.deleteFrom("event_delivery_attempts").where("delivery_id", "in", old).execute();
      const deleted = await trx
        .deleteFrom("event_deliveries")
        .where("status", "=", "DELIVERED")
        .where("updated_at", "<", cutoff)
        .executeTakeFirst();
      await trx
        .deleteFrom("events")
        .where("received_at", "<", cutoff)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("event_deliveries")
                .select("event_deliveries.id")
                .whereRef("event_deliveries.event_id", "=", "events.id"),
            ),
          ),
        )
        .execute();
      return Number(deleted.numDeletedRows);
    });
  }

  private async row(scope: Scope, id: string): Promise<DeliveryRow> {
    const row = await this.store.db
      .selectFrom("event_deliveries")
      .innerJoin("events", "events.id", "event_deliveries.event_id")
      .selectAll("event_deliveries")
      .select("events.event")
      .where("event_deliveries.account", "=", scope.account)
      .where("event_deliveries.id", "=", id)
      .executeTakeFirst();
    if (!row) throw new ResourceNotFoundError(`Delivery ${id} does not exist.`);
    return row;
  }
}

function eventText(row: DeliveryRow): string {
  if (row.replay_name === null) return row.event;
  const event = JSON.parse(row.event);
  event["replay-name"] = row.replay_name;
  return JSON.stringify(event);
}

function toDelivery(scope: Scope, row: DeliveryRow): Delivery {
  const eventId = (JSON.parse(row.event) as { id?: string }).id ?? row.event_id;
  return {
    DeliveryId: row.id,
    EventId: eventId,
    EventBusName: row.bus_name,
    Rule: row.rule_name,
    RuleArn: ruleArn(scope, row.bus_name, row.rule_name),
    TargetId: row.target_id,
    Status: row.status as DeliveryStatus,
    Attempts: Number(row.attempts),
    ...(row.last_status !== null ? { LastStatusCode: row.last_status } : {}),
    ...(row.last_error !== null ? { LastError: row.last_error } : {}),
    ...(row.replay_name !== null ? { ReplayName: row.replay_name } : {}),
    CreationTime: row.created_at / 1000,
    LastModifiedTime: row.updated_at / 1000,
    ...(row.status === "PENDING" ? { NextAttemptTime: row.next_attempt_at / 1000 } : {}),
  };
}

function encodeToken(offset: number): string {
  return Buffer.from(String(offset)).toString("base64url");
}

function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  const n = Number(Buffer.from(token, "base64url").toString());
  if (!Number.isInteger(n) || n < 0) throw new ValidationError("The NextToken provided is invalid.");
  return n;
}
