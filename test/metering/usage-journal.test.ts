import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AdmissionSubject, UsageLedger } from "../../src/metering/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { call, echoApiWorld, gatewayCaughtUp, planWithKey } from "../helpers/gateway-fixture.js";

const DAY = "2026-12-04";
const subject = (keyId: string): AdmissionSubject => ({
  keyId,
  usagePlanId: "plan1",
  tenantId: "tenant1",
  restApiId: "api1",
  stage: "dev",
  resourcePath: "/pets",
  httpMethod: "GET",
});

/** The lines of every journal segment in `dir`. */
function journalLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".journal"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean));
}

/**
 * Points this process's next journal segments at /dev/full, where every write(2) fails with
 * ENOSPC: the next rotation (a commit with something to commit) opens one of them.
 */
function fillDiskFromNextSegment(dir: string): void {
  const current = readdirSync(dir)
    .filter((name) => name.startsWith(`${process.pid}-`) && name.endsWith(".journal"))
    .sort((a, b) => sequence(a) - sequence(b))
    .at(-1)!;
  const prefix = current.slice(0, current.lastIndexOf("-"));
  for (let next = sequence(current) + 1; next <= sequence(current) + 3; next++)
    symlinkSync("/dev/full", join(dir, `${prefix}-${next}.journal`));
}
const sequence = (segment: string) => Number(segment.slice(segment.lastIndexOf("-") + 1, -".journal".length));

async function countedRequests(store: Store): Promise<number> {
  const rows = await store.db.selectFrom("usage_counts").select("requests").execute();
  return rows.reduce((sum, r) => sum + r.requests, 0);
}

describe("usage journal", () => {
  let dataDir: string;
  let journalDir: string;
  let store: Store;
  let ledger: UsageLedger;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-journal-"));
    journalDir = join(dataDir, "journal");
    store = await openStore({ dataDir });
    // Commits only when the test asks, so every rotation is the test's.
    ledger = await UsageLedger.open(store, { journalDir, commitIntervalMs: 3_600_000 });
  });
  after(async () => {
    await ledger.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("an admitted request's line is in the journal when admit returns, before the request may go", async () => {
    ledger.admit(DAY, subject("k1"));
    ledger.admit(DAY, subject("k2"));
    assert.deepEqual(
      journalLines(journalDir).map((line) => line.split("\t").slice(0, 2)),
      [
        [DAY, "k1"],
        [DAY, "k2"],
      ],
    );
    await ledger.commit();
    assert.equal(await countedRequests(store), 2);
  });

  test("a journal that cannot be written refuses the admission, and it is not counted", async () => {
    const before = await countedRequests(store);
    ledger.admit(DAY, subject("k1"));
    fillDiskFromNextSegment(journalDir);
    await ledger.commit(); // rotates onto /dev/full
    assert.throws(() => ledger.admit(DAY, subject("k1")), /ENOSPC/);
    assert.throws(() => ledger.admit(DAY, subject("k2")), /ENOSPC/);
    await ledger.commit();
    assert.equal(await countedRequests(store), before + 1, "only the request written before the disk filled");
  });
});

describe("usage journal on the request path", () => {
  const world = echoApiWorld();

  test("a request whose journal line cannot be written gets 503, never reaches the upstream and is not counted", async () => {
    const { t, upstream } = world;
    const { key, keyId } = await planWithKey(t, world.apiId);
    await gatewayCaughtUp(t);
    // The disk fills from the segment after the one this request is written to. Whichever commit
    // takes its count (this test's, or the ledger's own timer's first) rotates onto /dev/full.
    fillDiskFromNextSegment(join(t.dataDir, "journal"));
    assert.equal((await call(t, "/dev/pets", { key })).status, 200);
    await t.tollgate.ledger.commit();
    const sent = upstream.count();

    const refused = await call(t, "/dev/pets", { key });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.message, "Usage could not be recorded; the request was not forwarded");
    assert.equal(upstream.count(), sent, "the upstream never saw it");
    await t.tollgate.ledger.commit();
    const rows = await t.tollgate.store.db
      .selectFrom("usage_counts")
      .select("requests")
      .where("key_id", "=", keyId)
      .execute();
    assert.deepEqual(
      rows.map((r) => r.requests),
      [1],
    );
  });
});
