import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/process.js";
import { PortalClient, type PortalFixture, startPortalFixture } from "./fixture.js";

describe("tollgate portal (CLI)", () => {
  let f: PortalFixture;
  const cli = (...args: string[]) =>
    runCli([...args, "--endpoint", f.tollgate.adminUrl], {
      TOLLGATE_ADMIN_TOKEN: f.tollgate.credentials.adminToken,
    });

  before(async () => {
    f = await startPortalFixture({ portal: { registration: "request" }, publish: false });
  });
  after(() => f.close());

  it("publishes an API and its stage, and approves a pending developer", async () => {
    const published = await cli("portal", "publish", "petstore");
    assert.equal(published.code, 0, published.stderr);
    assert.equal((await cli("portal", "publish", "petstore", "dev")).code, 0);
    const catalog = JSON.parse((await cli("portal", "catalog", "--json")).stdout);
    assert.deepEqual(
      catalog.map((r: { stage: string; published: boolean }) => [r.stage, r.published]),
      [
        ["(API)", true],
        ["dev", true],
      ],
    );
    const client = new PortalClient(f.portalUrl);
    await client.submit("/sign-up", "/sign-up", {
      name: "Cli",
      email: "cli@example.com",
      password: "correct horse battery",
    });
    const pending = JSON.parse((await cli("portal", "developers", "--status", "PENDING", "--json")).stdout);
    assert.deepEqual(
      pending.map((d: { email: string }) => d.email),
      ["cli@example.com"],
    );
    const approved = await cli("portal", "approve-developer", "cli@example.com", "--json");
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(JSON.parse(approved.stdout).status, "ACTIVE");
    const mail = JSON.parse((await cli("portal", "mail", "--json")).stdout);
    assert.match(mail[0].subject, /approved/);
  });

  it("sets a plan to need approval, and refuses bad flags with a clear message", async () => {
    const set = await cli("portal", "plan", "Premium", "--approval", "required", "--json");
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).approvalRequired, true);
    const bad = await cli("portal", "plan", "Premium", "--approval", "sometimes");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Invalid --approval 'sometimes': expected required or none/);
    const plans = JSON.parse((await cli("portal", "plans", "--json")).stdout);
    assert.equal(plans.find((p: { name: string }) => p.name === "Premium").approvalRequired, true);
  });
});
