import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { type Receiver, startReceiver } from "../events/receiver.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";
import { type PortalFixture, startPortalFixture } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = new URL("../../docs/screenshots/", import.meta.url).pathname;
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const ECHO = readFileSync(new URL("../fixtures/openapi/gateway-echo.yaml", import.meta.url), "utf8");

/**
 * The portal in a real headless Chromium: one browser for the file. Every page visited is
 * checked by axe-core (no serious or critical violations) and screenshotted into docs/screenshots.
 */
describe("portal in a browser", { timeout: 240_000 }, () => {
  let f: PortalFixture;
  let upstream: Upstream;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const cspViolations: string[] = [];
  const checked = new Set<string>();

  /** axe-core on the page as it is; a screenshot under `name`. */
  async function look(name: string): Promise<void> {
    await page.evaluate(AXE);
    const result = (await page.evaluate(
      `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) })))`,
    )) as Array<{ id: string; impact: string; nodes: string[] }>;
    const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(serious, [], `accessibility violations on ${name}: ${JSON.stringify(serious)}`);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    checked.add(name);
  }

  async function go(path: string, name?: string): Promise<void> {
    const response = await page.goto(`${f.portalUrl}${path}`);
    assert.ok(response && response.status() < 400, `${path} answered ${response?.status()}`);
    if (name) await look(name);
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    upstream = await startUpstream();
    f = await startPortalFixture({ portal: { registration: "request", title: "Acme API portal" } });
    // An API with a real upstream, on the Free plan, published.
    const imported = await fetch(`${f.tollgate.adminUrl}/restapis?mode=import`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${f.tollgate.credentials.adminToken}`,
        "content-type": "application/yaml",
      },
      body: ECHO,
    }).then((r) => r.json() as Promise<{ id: string }>);
    await f.admin("POST", `/restapis/${imported.id}/deployments`, {
      stageName: "live",
      variables: { upstream: new URL(upstream.url).host },
    });
    await f.admin("PATCH", `/usageplans/${f.freePlanId}`, {
      patchOperations: [{ op: "add", path: "/apiStages", value: `${imported.id}:live` }],
    });
    await f.admin("PUT", `/usageplans/${f.freePlanId}/price`, {
      currency: "USD",
      monthlyFee: "0",
      tiers: [{ unitAmount: "0.50" }],
    });
    await f.admin("PUT", `/portal/catalog/${imported.id}`, { published: true });
    await f.admin("PUT", `/portal/catalog/${imported.id}/stages/live`, { published: true });
    userDataDir = mkdtempSync(join(tmpdir(), "tollgate-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/.test(message.text())) cspViolations.push(message.text());
    });
  });
  after(async () => {
    await context?.close();
    await f?.close();
    await upstream?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it("signs up, verifies, waits for the admin's approval, and signs in", async () => {
    await go("/", "home");
    await go("/getting-started", "getting-started");
    await go("/catalog", "catalog");
    await go("/sign-up");
    await page.getByLabel("Name").fill("Grace Hopper");
    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Choose a password of 10 to 200 characters.").waitFor();
    await look("sign-up-error");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your email" }).waitFor();
    await look("sign-up-done");
    const { link } = await f.lastMail("grace@example.com");
    await page.goto(link);
    await page.getByRole("heading", { name: "Email confirmed" }).waitFor();
    await look("email-confirmed");
    await go("/sign-in");
    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("waiting for the provider's approval").waitFor();
    await look("sign-in-pending");

    // The operator approves her in the console.
    await go("/admin/sign-in", "admin-sign-in");
    await page.getByLabel("Admin token").fill(f.tollgate.credentials.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Admin console" }).waitFor();
    await look("admin-overview");
    await page
      .getByRole("row", { name: /grace@example.com/ })
      .getByRole("button", { name: "Approve" })
      .click();
    await page.getByText("grace@example.com approved.").waitFor();
    assert.equal((await f.tollgate.services.portal.accounts.list({ status: "ACTIVE" })).length, 1);
    await page.getByRole("button", { name: "Sign out" }).click();

    await go("/sign-in", "sign-in");
    await page.getByLabel("Email").fill("grace@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Your organizations" }).waitFor();
    await look("organizations");
  });

  let orgId = "";
  let firstKey = "";

  it("creates an organization, subscribes to Free and creates a key shown once", async () => {
    await page.getByRole("link", { name: "Create an organization" }).click();
    await page.getByLabel("Name").fill("Hopper Labs");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "Hopper Labs" }).waitFor();
    orgId = new URL(page.url()).pathname.split("/").pop()!;
    await look("organization");
    await page.getByRole("navigation", { name: "Hopper Labs" }).getByRole("link", { name: "Plan" }).click();
    await look("plan");
    await page.getByRole("button", { name: "Subscribe to Free" }).click();
    await page.getByText("Subscribed: your keys now work on this plan.").waitFor();
    await page
      .getByRole("navigation", { name: "Hopper Labs" })
      .getByRole("link", { name: "API keys" })
      .click();
    await page.getByLabel("Name").fill("production");
    await page.getByRole("button", { name: "Create key" }).click();
    firstKey = (await page.locator("#key-value").textContent()) ?? "";
    assert.equal(firstKey.length, 40);
    await look("key-created");
  });

  it("calls the API from the reference page with try-it, through the gateway to the upstream", async () => {
    await go("/catalog");
    await page.getByRole("link", { name: "Stage live" }).click();
    await page.getByRole("heading", { name: /Echo/ }).waitFor();
    await look("api-stage");
    await page.getByRole("link", { name: "API reference and try-it" }).click();
    await page
      .locator(".opblock-summary-path", { hasText: /^\/pets$/ })
      .first()
      .waitFor();
    assert.equal(
      await page.locator("#reference-key").inputValue(),
      firstKey,
      "the key created in this tab is pre-filled",
    );
    const before = upstream.count();
    await page.locator(".opblock-get .opblock-summary", { hasText: "/pets" }).first().click();
    await page.getByRole("button", { name: "Execute" }).first().click();
    const status = page.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor();
    assert.match((await status.textContent()) ?? "", /^\s*200/);
    assert.equal(upstream.count(), before + 1, "the request reached the upstream");
    assert.equal(upstream.seen.at(-1)!.headers["x-tollgate-tenant-id"], orgId);
    await look("reference");
  });

  it("shows the request on the usage chart", async () => {
    await go(`/orgs/${orgId}/usage`);
    const today = new Date(f.clock.now()).toISOString().slice(0, 10);
    await page
      .locator("svg.chart rect.bar title", { hasText: `${today}: 1` })
      .first()
      .waitFor({ state: "attached" });
    await look("usage");
  });

  it("rotates the key: the old value works during the grace period, then 403", async () => {
    await go(`/orgs/${orgId}/keys`);
    await page.getByLabel("Old value works for").selectOption({ label: "5 minutes" });
    await page.getByRole("button", { name: "Rotate" }).click();
    await page.getByText("Key production rotated.").waitFor();
    const newKey = (await page.locator("#key-value").textContent()) ?? "";
    assert.notEqual(newKey, firstKey);
    await look("key-rotated");
    const call = (key: string) =>
      fetch(`${f.tollgate.gatewayUrl}/live/pets`, { headers: { "x-api-key": key } }).then((r) => r.status);
    await f.tollgate.gateway.gateway.reloadIfChanged();
    assert.equal(await call(firstKey), 200);
    assert.equal(await call(newKey), 200);
    await f.advance(5 * 60 * 1000 + 1000);
    assert.equal(await call(firstKey), 403);
    assert.equal(await call(newKey), 200);
  });

  it("registers a webhook endpoint, receives a signed test event on loopback, and sees the delivery in the log", async () => {
    const receiver: Receiver = await startReceiver();
    try {
      await go(`/orgs/${orgId}/webhooks`);
      await page.getByLabel("URL").fill(`${receiver.url}/hooks`);
      await page.getByLabel("Webhook Test").check();
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.getByText("Endpoint added.").waitFor();
      const secret = (await page.locator("#webhook-secret").textContent()) ?? "";
      assert.match(secret, /^whsec_/);
      await look("webhooks");
      await page.getByRole("link", { name: `${receiver.url}/hooks` }).click();
      await page.getByRole("button", { name: "Send a test event" }).click();
      await page.getByText("Test event sent").waitFor();
      const [request] = await receiver.waitFor(1, 10_000);
      assert.doesNotThrow(() =>
        new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>),
      );
      assert.equal(JSON.parse(request!.body)["detail-type"], "Webhook Test");
      // The delivery log shows it delivered once the worker recorded the outcome.
      const endpointUrl = page.url().replace(/\/test$/, "");
      for (let i = 0; i < 50; i++) {
        await page.goto(endpointUrl);
        if ((await page.locator("td .badge", { hasText: "delivered" }).count()) > 0) break;
        await page.waitForTimeout(100);
      }
      await page.locator("td .badge", { hasText: "delivered" }).first().waitFor();
      await look("webhook-endpoint");
      await page.locator("tbody th a").first().click();
      await page.getByRole("heading", { name: "Attempts" }).waitFor();
      assert.match((await page.locator("tbody tr").first().textContent()) ?? "", /succeeded\s*200/);
      await look("webhook-delivery");
      await page.goBack();
      await page.getByRole("button", { name: "Replay" }).first().click();
      await page.getByText("Delivery replayed").waitFor();
      const replayed = await receiver.waitFor(2, 10_000);
      assert.equal(JSON.parse(replayed[1]!.body).id, JSON.parse(request!.body).id, "the same event, again");
    } finally {
      await receiver.close();
    }
  });

  it("lists invoices with a printable page and CSV, and the members", async () => {
    const period = new Date(f.clock.now()).toISOString().slice(0, 7);
    assert.equal((await f.admin("POST", "/invoices", { tenantId: orgId, period })).status, 201);
    await go(`/orgs/${orgId}/invoices`, "invoices");
    await page.getByRole("link", { name: "Printable invoice" }).click();
    await page.getByText(period).first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "invoice-printable.png"), fullPage: true });
    await page.goBack();
    const csv = await page.evaluate(
      async (url) => (await fetch(url)).text(),
      `/orgs/${orgId}/invoices/${(await f.tollgate.services.billing.invoices.list({ tenantId: orgId }))[0]!.id}/csv`,
    );
    assert.match(csv, /^invoiceId,tenantId,tenantName,period/);
    await go(`/orgs/${orgId}/members`, "members");
  });

  it("shows the admin console's pages", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await go("/admin/sign-in");
    await page.getByLabel("Admin token").fill(f.tollgate.credentials.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    for (const [path, name] of [
      ["/admin/developers", "admin-developers"],
      ["/admin/catalog", "admin-catalog"],
      ["/admin/plans", "admin-plans"],
      ["/admin/subscriptions", "admin-subscriptions"],
      ["/admin/organizations", "admin-organizations"],
      [`/admin/organizations/${orgId}`, "admin-organization"],
      ["/admin/usage", "admin-usage"],
      ["/admin/invoices", "admin-invoices"],
      ["/admin/mail", "admin-mail"],
    ] as const) {
      await go(path, name);
    }
    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
  });
});
