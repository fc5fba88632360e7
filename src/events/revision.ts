import { sql } from "kysely";
import type { Tx } from "../store/index.js";

/**
 * Marks a bus as changed (its rules, targets or archives), inside the caller's transaction:
 * the global event_config revision grows and the bus row takes the new value, so routers in
 * every process reload exactly the buses that changed.
 */
export async function bumpBus(trx: Tx, account: string, bus: string): Promise<void> {
  const row = await trx
    .updateTable("event_config")
    .set({ revision: sql`revision + 1` })
    .where("id", "=", 1)
    .returning("revision")
    .executeTakeFirstOrThrow();
  await trx
    .updateTable("event_buses")
    .set({ revision: Number(row.revision) })
    .where("account", "=", account)
    .where("name", "=", bus)
    .execute();
}

/** The global revision of the event bus configuration. */
export async function eventsRevision(db: Tx): Promise<number> {
  const row = await db.selectFrom("event_config").select("revision").where("id", "=", 1).executeTakeFirst();
  return Number(row?.revision ?? 0);
}
