import type { Clock } from "../core/clock.js";
import { fromJson, type Store, toJson } from "../store/index.js";
import type { ArchiveService } from "./archives.js";
import {
  archiveArn,
  BUS_ARN,
  busArn,
  foreignCheck,
  parseArn,
  replayArn,
  ruleArn,
  type Scope,
} from "./arns.js";
import {
  IllegalStatusError,
  ResourceAlreadyExistsError,
  ResourceNotFoundError,
  ValidationError,
} from "./errors.js";
import type { BusEvent, Ingest, Prepared } from "./ingest.js";
import { type EventsPage, page } from "./paging.js";
import { checkLength, checkName } from "./validate.js";

export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

export interface ReplayDestination {
  Arn: string;
  FilterArns?: string[];
}

export interface StartReplayInput {
  ReplayName: string;
  Description?: string;
  EventSourceArn: string;
  /** Epoch seconds. */
  EventStartTime: number;
  EventEndTime: number;
  Destination: ReplayDestination;
}

/** A replay, as DescribeReplay returns it; times in epoch seconds. */
export interface Replay {
  ReplayName: string;
  ReplayArn: string;
  Description?: string;
  State: ReplayState;
  StateReason?: string;
  EventSourceArn: string;
  Destination: ReplayDestination;
  EventStartTime: number;
  EventEndTime: number;
  EventLastReplayedTime?: number;
  ReplayStartTime: number;
  ReplayEndTime?: number;
}

/** Tollgate's own: the replay goes to one target of one rule only. */
export interface ReplayTarget {
  Rule: string;
  TargetId: string;
}

type StoredDestination = ReplayDestination & { Target?: ReplayTarget };
type ReplayRow = {
  account: string;
  name: string;
  archive_name: string;
  description: string | null;
  destination: string;
  state: string;
  state_reason: string | null;
  event_start: number;
  event_end: number;
  cursor_time: number | null;
  cursor_id: string | null;
  last_replayed_at: number | null;
  started_at: number;
  ended_at: number | null;
};

const ACTIVE: ReplayState[] = ["STARTING", "RUNNING", "CANCELLING"];
/** Archived events replayed per step and transaction. */
const BATCH = 100;

/**
 * Replays: the events of an archive whose time falls in a window, sent again to the archive's
 * bus, to all its rules or those in FilterArns (or, Tollgate's addition, to one target). A
 * replayed event carries `replay-name` and is never archived again. Replays run in the
 * background, a batch per step: each batch's deliveries and the replay's cursor are written in
 * one transaction, guarded by the cursor, so a replay resumes where it was after a restart and
 * two workers never replay the same batch.
 */
export class ReplayService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly archives: ArchiveService,
    private readonly ingest: Ingest,
    private readonly region: string,
  ) {}

  async start(scope: Scope, input: StartReplayInput, target?: ReplayTarget) {
    checkName("replayName", input.ReplayName, { max: 64 });
    checkLength("description", input.Description, 512);
    const archiveName = this.archiveOf(scope, input.EventSourceArn);
    const archive = await this.archives.require(scope.account, archiveName);
    const m = BUS_ARN.exec(input.Destination.Arn);
    if (!m)
      throw new ValidationError(
        "Parameter Destination.Arn is not valid. Reason: it must be the ARN of an event bus.",
      );
    foreignCheck(scope, m[2]!, input.Destination.Arn);
    if (m[3] !== archive.bus_name) {
      throw new ValidationError(
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
      );
    }
    for (const arn of input.Destination.FilterArns ?? []) {
      const parsed = parseArn(arn);
      if (
        !parsed ||
        parsed.account !== scope.account ||
        !arn.startsWith(ruleArn(scope, archive.bus_name, ""))
      ) {
        throw new ValidationError(
          `Parameter Destination.FilterArns is not valid. Reason: ${arn} is not a rule of event bus ${archive.bus_name}.`,
        );
      }
    }
    if (!(input.EventStartTime < input.EventEndTime)) {
      throw new ValidationError(
        "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
      );
    }
    if (input.EventEndTime * 1000 > this.clock.now() + 1000) {
      throw new ValidationError(
        "Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future.",
      );
    }
    if (await this.row(scope.account, input.ReplayName)) {
      throw new ResourceAlreadyExistsError(`Replay ${input.ReplayName} already exists.`);
    }
    const now = this.clock.now();
    const destination: StoredDestination = { ...input.Destination, ...(target ? { Target: target } : {}) };
    await this.store.db
      .insertInto("event_replays")
      .values({
        account: scope.account,
        name: input.ReplayName,
        archive_name: archiveName,
        description: input.Description ?? null,
        destination: toJson(destination),
        state: "STARTING",
        state_reason: null,
        event_start: Math.round(input.EventStartTime * 1000),
        event_end: Math.round(input.EventEndTime * 1000),
        cursor_time: null,
        cursor_id: null,
        last_replayed_at: null,
        started_at: now,
        ended_at: null,
      })
      .execute();
    return { ReplayArn: replayArn(scope, input.ReplayName), State: "STARTING", ReplayStartTime: now / 1000 };
  }

  async describe(scope: Scope, name: string): Promise<Replay> {
    checkName("replayName", name, { max: 64 });
    return this.toReplay(scope, await this.require(scope.account, name));
  }

  async list(
    scope: Scope,
    input: {
      NamePrefix?: string;
      State?: string;
      EventSourceArn?: string;
      NextToken?: string;
      Limit?: number;
    },
  ): Promise<EventsPage<Omit<Replay, "ReplayArn" | "Description" | "Destination">>> {
    const archive =
      input.EventSourceArn !== undefined ? this.archiveOf(scope, input.EventSourceArn) : undefined;
    const rows = await this.store.db
      .selectFrom("event_replays")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const items = rows
      .filter((r) => r.name.startsWith(input.NamePrefix ?? ""))
      .filter((r) => input.State === undefined || r.state === input.State)
      .filter((r) => archive === undefined || r.archive_name === archive)
      .map((r) => {
        const { ReplayArn: _, Description: __, Destination: ___, ...summary } = this.toReplay(scope, r);
        return summary;
      });
    return page(items, input.Limit, input.NextToken);
  }

  async cancel(scope: Scope, name: string) {
    checkName("replayName", name, { max: 64 });
    const row = await this.require(scope.account, name);
    if (!ACTIVE.includes(row.state as ReplayState) || row.state === "CANCELLING") {
      throw new IllegalStatusError(`Replay ${name} is not in a state that can be cancelled (${row.state}).`);
    }
    const result = await this.store.db
      .updateTable("event_replays")
      .set({ state: "CANCELLING" })
      .where("account", "=", scope.account)
      .where("name", "=", name)
      .where("state", "in", ["STARTING", "RUNNING"])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new IllegalStatusError(`Replay ${name} is not in a state that can be cancelled.`);
    }
    return { ReplayArn: replayArn(scope, name), State: "CANCELLING" };
  }

  /** Runs active replays a batch at a time for up to `budgetMs`; returns the events replayed. */
  async runDue(budgetMs = 500): Promise<number> {
    const deadline = Date.now() + budgetMs;
    const active = await this.store.db
      .selectFrom("event_replays")
      .selectAll()
      .where("state", "in", ACTIVE)
      .execute();
    let replayed = 0;
    for (let row of active) {
      while (Date.now() < deadline) {
        const step = await this.step(row);
        replayed += step.replayed;
        if (!step.next) break;
        row = step.next;
      }
    }
    return replayed;
  }

  /** One batch of a replay; the row as it is after, when there is more to do. */
  private async step(row: ReplayRow): Promise<{ replayed: number; next?: ReplayRow }> {
    const now = this.clock.now();
    if (row.state === "CANCELLING") {
      await this.finish(row, "CANCELLED", now);
      return { replayed: 0 };
    }
    let query = this.store.db
      .selectFrom("event_archive_events")
      .select(["event_id", "event_time", "event"])
      .where("account", "=", row.account)
      .where("archive_name", "=", row.archive_name)
      .where("event_time", ">=", row.event_start)
      .where("event_time", "<", row.event_end);
    if (row.cursor_time !== null && row.cursor_id !== null) {
      const [time, id] = [row.cursor_time, row.cursor_id];
      query = query.where((eb) =>
        eb.or([eb("event_time", ">", time), eb.and([eb("event_time", "=", time), eb("event_id", ">", id)])]),
      );
    }
    const batch = await query.orderBy("event_time").orderBy("event_id").limit(BATCH).execute();
    if (!batch.length) {
      await this.finish(row, "COMPLETED", now);
      return { replayed: 0 };
    }
    const destination = fromJson<StoredDestination>(row.destination, { Arn: "" });
    const bus = BUS_ARN.exec(destination.Arn)?.[3] ?? "default";
    const scope: Scope = { account: row.account, region: this.region };
    const filters = new Set(destination.FilterArns ?? []);
    const prepared: Prepared[] = [];
    for (const archived of batch) {
      const event = JSON.parse(archived.event) as BusEvent;
      event["replay-name"] = row.name;
      prepared.push(
        await this.ingest.prepare(row.account, bus, event, {
          storageKey: `replay:${row.account}/${row.name}/${event.id}`,
          replayName: row.name,
          only: (t) => {
            if (destination.Target)
              return t.ruleName === destination.Target.Rule && t.target.Id === destination.Target.TargetId;
            return !filters.size || filters.has(ruleArn(scope, bus, t.ruleName));
          },
        }),
      );
    }
    const last = batch[batch.length - 1]!;
    let deliveries = 0;
    const moved = await this.store.transaction(async (trx) => {
      let guard = trx
        .updateTable("event_replays")
        .set({
          state: "RUNNING",
          cursor_time: last.event_time,
          cursor_id: last.event_id,
          last_replayed_at: last.event_time,
        })
        .where("account", "=", row.account)
        .where("name", "=", row.name)
        .where("state", "in", ["STARTING", "RUNNING"]);
      guard =
        row.cursor_id === null
          ? guard.where("cursor_id", "is", null)
          : guard.where("cursor_id", "=", row.cursor_id).where("cursor_time", "=", row.cursor_time);
      const result = await guard.executeTakeFirst();
      // Another worker moved the cursor, or the replay was cancelled: write nothing.
      if (Number(result.numUpdatedRows) === 0) return false;
      for (const item of prepared) deliveries += (await this.ingest.write(trx, item)).deliveries;
      return true;
    });
    if (!moved) return { replayed: 0 };
    if (deliveries) this.ingest.notify();
    return {
      replayed: batch.length,
      next: {
        ...row,
        state: "RUNNING",
        cursor_time: last.event_time,
        cursor_id: last.event_id,
        last_replayed_at: last.event_time,
      },
    };
  }

  private async finish(row: ReplayRow, state: ReplayState, now: number): Promise<void> {
    await this.store.db
      .updateTable("event_replays")
      .set({ state, ended_at: now })
      .where("account", "=", row.account)
      .where("name", "=", row.name)
      .where("state", "in", ACTIVE)
      .execute();
  }

  private archiveOf(scope: Scope, arn: string): string {
    const parsed = parseArn(arn);
    const [type, name] = (parsed?.resource ?? "").split("/");
    if (!parsed || type !== "archive" || !name) {
      throw new ValidationError(
        `Parameter EventSourceArn is not valid. Reason: ${arn} is not the ARN of an archive.`,
      );
    }
    foreignCheck(scope, parsed.account, arn);
    return name;
  }

  private async require(account: string, name: string): Promise<ReplayRow> {
    const row = await this.row(account, name);
    if (!row) throw new ResourceNotFoundError(`Replay ${name} does not exist.`);
    return row;
  }

  private row(account: string, name: string): Promise<ReplayRow | undefined> {
    return this.store.db
      .selectFrom("event_replays")
      .selectAll()
      .where("account", "=", account)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  private toReplay(scope: Scope, row: ReplayRow): Replay {
    const { Target: _, ...destination } = fromJson<StoredDestination>(row.destination, {
      Arn: busArn(scope, "default"),
    });
    return {
      ReplayName: row.name,
      ReplayArn: replayArn(scope, row.name),
      ...(row.description !== null ? { Description: row.description } : {}),
      State: row.state as ReplayState,
      ...(row.state_reason !== null ? { StateReason: row.state_reason } : {}),
      EventSourceArn: archiveArn(scope, row.archive_name),
      Destination: destination,
      EventStartTime: row.event_start / 1000,
      EventEndTime: row.event_end / 1000,
      ...(row.last_replayed_at !== null ? { EventLastReplayedTime: row.last_replayed_at / 1000 } : {}),
      ReplayStartTime: row.started_at / 1000,
      ...(row.ended_at !== null ? { ReplayEndTime: row.ended_at / 1000 } : {}),
    };
  }
}
