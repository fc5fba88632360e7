import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LOGIN_FAILURES_PER_EMAIL } from "../../src/portal/index.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { PortalClient, type PortalFixture, signedInDeveloper, startPortalFixture } from "./fixture.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: portal accounts`, () => {
    let f: PortalFixture;
    before(async () => {
      f = await startPortalFixture({ dialect });
    });
    after(() => f.close());

    it("signs a developer up, verifies the mailed link, and signs in", async () => {
      const client = new PortalClient(f.portalUrl);
      const signUp = await client.submit("/sign-up", "/sign-up", {
        name: "Ada",
        email: "Ada@Example.com",
        password: "correct horse battery",
      });
      assert.equal(signUp.status, 200);
      assert.match(signUp.text, /Check your email/);
      // Not verified yet: refused.
      const early = await client.submit("/sign-in", "/sign-in", {
        email: "ada@example.com",
        password: "correct horse battery",
      });
      assert.equal(early.status, 400);
      assert.match(early.text, /Confirm your email address first/);
      const { link } = await f.lastMail("ada@example.com");
      assert.match(link, /\/verify\?token=/);
      const verified = await client.get(new URL(link).pathname + new URL(link).search);
      assert.match(verified.text, /Email confirmed/);
      const again = await client.get(new URL(link).pathname + new URL(link).search);
      assert.equal(again.status, 400, "a verification link works once");
      const signIn = await client.submit("/sign-in", "/sign-in", {
        email: "ada@example.com",
        password: "correct horse battery",
      });
      assert.equal(signIn.status, 303);
      assert.equal(signIn.location, "/orgs");
      const orgs = await client.get("/orgs");
      assert.equal(orgs.status, 200);
      assert.match(orgs.text, /Your organizations/);
    });

    it("rejects bad sign-up input with a clear message and creates no account", async () => {
      const before = (await f.tollgate.services.portal.accounts.list()).length;
      const client = new PortalClient(f.portalUrl);
      const badEmail = await client.submit("/sign-up", "/sign-up", {
        name: "X",
        email: "not-an-email",
        password: "correct horse battery",
      });
      assert.equal(badEmail.status, 400);
      assert.match(badEmail.text, /Enter a valid email address/);
      assert.match(badEmail.text, /value="not-an-email"/, "the form keeps what was typed");
      const shortPassword = await client.submit("/sign-up", "/sign-up", {
        name: "X",
        email: "x@example.com",
        password: "short",
      });
      assert.equal(shortPassword.status, 400);
      assert.match(shortPassword.text, /Choose a password of 10 to 200 characters/);
      const noName = await client.submit("/sign-up", "/sign-up", {
        name: " ",
        email: "x@example.com",
        password: "correct horse battery",
      });
      assert.equal(noName.status, 400);
      assert.equal((await f.tollgate.services.portal.accounts.list()).length, before);
    });

    it("answers a second sign-up of the same address as the first, and mails the owner instead", async () => {
      const client = await signedInDeveloper(f, "dup@example.com");
      void client;
      const other = new PortalClient(f.portalUrl);
      const again = await other.submit("/sign-up", "/sign-up", {
        name: "Mallory",
        email: "dup@example.com",
        password: "another password 1",
      });
      assert.equal(again.status, 200);
      assert.match(again.text, /Check your email/);
      assert.match((await f.lastMail("dup@example.com")).subject, /already have an account/);
      assert.equal(
        (await f.tollgate.services.portal.accounts.list()).filter((d) => d.email === "dup@example.com")
          .length,
        1,
      );
    });

    it("refuses a form without the session's CSRF token, or with another session's, and changes nothing", async () => {
      const victim = await signedInDeveloper(f, "csrf@example.com");
      const attacker = new PortalClient(f.portalUrl);
      await attacker.get("/sign-up");
      const attackerToken = attacker.csrf();
      const missing = await victim.post("/orgs", { name: "Evil Corp", _csrf: "" });
      assert.equal(missing.status, 403);
      assert.match(missing.text, /This form has expired/);
      const foreign = await victim.post("/orgs", { name: "Evil Corp", _csrf: attackerToken });
      assert.equal(foreign.status, 403);
      const tenants = await f.tollgate.services.tenants.list();
      assert.equal(tenants.filter((t) => t.name === "Evil Corp").length, 0);
    });

    it("gives a new session id at sign-in, so a planted session id stays anonymous", async () => {
      await signedInDeveloper(f, "fixation@example.com");
      const attacker = new PortalClient(f.portalUrl);
      await attacker.get("/sign-in");
      const planted = new Map(attacker.cookies);
      // The victim's browser carries the attacker's cookie and signs in with it.
      const victim = new PortalClient(f.portalUrl);
      for (const [k, v] of planted) victim.cookies.set(k, v);
      const signIn = await victim.submit("/sign-in", "/sign-in", {
        email: "fixation@example.com",
        password: "correct horse battery",
      });
      assert.equal(signIn.status, 303);
      assert.notEqual(victim.cookie(), [...planted].map(([k, v]) => `${k}=${v}`).join("; "));
      const asAttacker = new PortalClient(f.portalUrl);
      for (const [k, v] of planted) asAttacker.cookies.set(k, v);
      const orgs = await asAttacker.get("/orgs");
      assert.equal(orgs.status, 303, "the planted id is not signed in");
      assert.match(orgs.location ?? "", /^\/sign-in/);
    });

    it("sets the session cookie HttpOnly and SameSite=Lax, and a strict CSP", async () => {
      const response = await fetch(`${f.portalUrl}/sign-in`);
      const cookie = response.headers.getSetCookie()[0] ?? "";
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe/);
    });

    it(`throttles sign-in after ${LOGIN_FAILURES_PER_EMAIL} wrong passwords, even for the right one`, async () => {
      await signedInDeveloper(f, "throttle@example.com");
      const client = new PortalClient(f.portalUrl);
      for (let i = 0; i < LOGIN_FAILURES_PER_EMAIL; i++) {
        const wrong = await client.submit("/sign-in", "/sign-in", {
          email: "throttle@example.com",
          password: `wrong password ${i}`,
        });
        assert.equal(wrong.status, 400);
        assert.match(wrong.text, /The email address or the password is wrong/);
      }
      const right = await client.submit("/sign-in", "/sign-in", {
        email: "throttle@example.com",
        password: "correct horse battery",
      });
      assert.equal(right.status, 429);
      assert.match(right.text, /Too many failed sign-ins/);
      await f.advance(16 * 60 * 1000);
      const later = await client.submit("/sign-in", "/sign-in", {
        email: "throttle@example.com",
        password: "correct horse battery",
      });
      assert.equal(later.status, 303);
    });

    it("resets a password by the mailed link and ends the old sessions", async () => {
      const old = await signedInDeveloper(f, "reset@example.com");
      const client = new PortalClient(f.portalUrl);
      const asked = await client.submit("/reset", "/reset", { email: "reset@example.com" });
      assert.match(asked.text, /Check your email/);
      const unknown = await client.submit("/reset", "/reset", { email: "nobody@example.com" });
      assert.equal(unknown.text.includes("Check your email"), true, "unknown addresses get the same answer");
      const { link } = await f.lastMail("reset@example.com");
      const path = new URL(link).pathname + new URL(link).search;
      const token = new URL(link).searchParams.get("token")!;
      const weak = await client.submit(path, "/reset/confirm", { token, password: "short" });
      assert.equal(weak.status, 400);
      const done = await client.submit(path, "/reset/confirm", { token, password: "a brand new password" });
      assert.match(done.text, /Password changed/);
      assert.equal((await old.get("/orgs")).status, 303, "the old session ended");
      const signIn = await client.submit("/sign-in", "/sign-in", {
        email: "reset@example.com",
        password: "a brand new password",
      });
      assert.equal(signIn.status, 303);
    });

    it("lets the operator into the console with the admin token only", async () => {
      const client = new PortalClient(f.portalUrl);
      assert.equal((await client.get("/admin")).status, 303);
      const wrong = await client.submit("/admin/sign-in", "/admin/sign-in", { token: "not-the-token" });
      assert.equal(wrong.status, 400);
      const right = await client.submit("/admin/sign-in", "/admin/sign-in", {
        token: f.tollgate.credentials.adminToken,
      });
      assert.equal(right.status, 303);
      const console = await client.get("/admin");
      assert.equal(console.status, 200);
      assert.match(console.text, /Admin console/);
    });
  });
}

describe("portal registration on request", () => {
  let f: PortalFixture;
  before(async () => {
    f = await startPortalFixture({ portal: { registration: "request" } });
  });
  after(() => f.close());

  it("keeps a verified developer out until an admin approves, through the admin API", async () => {
    const client = new PortalClient(f.portalUrl);
    await client.submit("/sign-up", "/sign-up", {
      name: "Pat",
      email: "pat@example.com",
      password: "correct horse battery",
    });
    const { link } = await f.lastMail("pat@example.com");
    const verified = await client.get(new URL(link).pathname + new URL(link).search);
    assert.match(verified.text, /approves new accounts/);
    const refused = await client.submit("/sign-in", "/sign-in", {
      email: "pat@example.com",
      password: "correct horse battery",
    });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /waiting for the provider(&#39;|')s approval/);
    const pending = await f.admin("GET", "/portal/developers?status=PENDING");
    assert.equal(pending.status, 200);
    assert.deepEqual(
      pending.body.item.map((d: { email: string }) => d.email),
      ["pat@example.com"],
    );
    const approved = await f.admin("POST", `/portal/developers/${pending.body.item[0].id}/approve`);
    assert.equal(approved.status, 200);
    assert.equal(approved.body.status, "ACTIVE");
    const again = await f.admin("POST", `/portal/developers/${pending.body.item[0].id}/approve`);
    assert.equal(again.status, 409, "approving twice is a conflict");
    const signIn = await client.submit("/sign-in", "/sign-in", {
      email: "pat@example.com",
      password: "correct horse battery",
    });
    assert.equal(signIn.status, 303);
  });
});

describe("portal registration by invitation", () => {
  let f: PortalFixture;
  before(async () => {
    f = await startPortalFixture({ portal: { registration: "invite" } });
  });
  after(() => f.close());

  it("refuses a sign-up without an invitation and accepts one with the mailed link", async () => {
    const client = new PortalClient(f.portalUrl);
    const refused = await client.submit("/sign-up", "/sign-up", {
      name: "Sam",
      email: "sam@example.com",
      password: "correct horse battery",
    });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /by invitation only/);
    assert.equal((await f.tollgate.services.portal.accounts.list()).length, 0);
    const invited = await f.admin("POST", "/portal/invitations", { email: "sam@example.com" });
    assert.equal(invited.status, 201);
    const { link } = await f.lastMail("sam@example.com");
    const token = new URL(link).pathname.split("/").pop()!;
    const page = await client.get(new URL(link).pathname);
    assert.equal(page.status, 303);
    const signUp = await client.submit(page.location!, "/sign-up", {
      name: "Sam",
      email: "sam@example.com",
      password: "correct horse battery",
      invitation: token,
    });
    assert.equal(signUp.status, 200);
    const signIn = await client.submit("/sign-in", "/sign-in", {
      email: "sam@example.com",
      password: "correct horse battery",
    });
    assert.equal(signIn.status, 303);
  });
});
