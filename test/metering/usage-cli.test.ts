import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { toCsv } from "../../src/cli/commands/usage.js";
import { ManualClock } from "../../src/core/clock.js";
import { deployEchoApi, type PlanWithKey, planWithKey } from "../helpers/gateway-fixture.js";
import { type CliResult, runCli } from "../helpers/process.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { caughtUp, type RestartableTollgate, startRestartableTollgate, statuses } from "./harness.js";

/** Runs `tollgate` as a child process against the test server's admin API. */
function tollgate(t: RestartableTollgate, args: string[]): Promise<CliResult> {
  return runCli([...args, "--endpoint", t.tollgate.adminUrl], {
    TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken,
  });
}

// The CLI reads through the admin API, so one store adapter is enough here.
describe("tollgate usage (CLI)", () => {
  // Today, so that the CLI's default range (this month) holds the traffic.
  const clock = new ManualClock(Date.now());
  const today = new Date(clock.now()).toISOString().slice(0, 10);
  let t: RestartableTollgate;
  let upstream: Upstream;
  let tenant: PlanWithKey;

  before(async () => {
    upstream = await startUpstream();
    t = await startRestartableTollgate({ dialect: "sqlite", clock });
    const apiId = await deployEchoApi(t, upstream.url);
    tenant = await planWithKey(t, apiId, {
      quota: { limit: 100, period: "MONTH", offset: 0 },
      tenantName: "initech",
    });
    await caughtUp(t);
    await statuses(t, 3, tenant.key);
    await statuses(t, 1, tenant.key, "/dev/pets/42");
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  test("`tollgate usage --by tenant,method` prints a table of requests", async () => {
    const result = await tollgate(t, ["usage", "--by", "tenant,method"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /TENANT.*API.*METHOD.*REQUESTS/);
    assert.match(result.stdout, /initech.*GET \/pets .*3/);
    assert.match(result.stdout, /initech.*GET \/pets\/\{petId\}.*1/);
  });

  test("`--json` and `--csv` export the same groups", async () => {
    const json = await tollgate(t, [
      "usage",
      "report",
      "--by",
      "key",
      "--from",
      today,
      "--to",
      today,
      "--json",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout);
    assert.deepEqual(
      rows.map((r: { keyId: string; requests: number }) => [r.keyId, r.requests]),
      [[tenant.keyId, 4]],
    );
    const csv = await tollgate(t, ["usage", "--by", "day,key", "--tenant", "initech", "--csv"]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout, toCsv(rows.map((r: object) => ({ day: today, ...r }))));
    assert.match(
      csv.stdout,
      new RegExp(`^day,keyId,keyName,requests\r\n${today},${tenant.keyId},key-initech,4\r\n$`),
    );
  });

  test("`usage reconcile` exits 0 when all keys agree and non-zero when the ledger was tampered with", async () => {
    const ok = await tollgate(t, ["usage", "reconcile", "--plan", tenant.planId]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /All 1 keys agree/);

    await t.tollgate.store.db
      .updateTable("usage_counts")
      .set({ requests: sql`requests + 1` })
      .where("key_id", "=", tenant.keyId)
      .execute();
    const bad = await tollgate(t, ["usage", "reconcile", "--plan", tenant.planId]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /NO.*the quota counter holds 4, the ledger plus adjustments give 6/);
    assert.match(bad.stderr, /1 of 1 keys of plan .* disagree/);
  });

  test("bad flags are clear errors", async () => {
    const result = await tollgate(t, ["usage", "--from", "2026-02-30"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Invalid startDate '2026-02-30'/);
    const plan = await tollgate(t, ["usage", "reconcile", "--plan", "nope"]);
    assert.match(plan.stderr, /No usage plan has the id or name 'nope'/);
  });
});

describe("toCsv", () => {
  test("quotes fields with commas, quotes and line breaks", () => {
    assert.equal(toCsv([{ keyName: 'a "b", c', requests: 1 }]), 'keyName,requests\r\n"a ""b"", c",1\r\n');
  });
});
