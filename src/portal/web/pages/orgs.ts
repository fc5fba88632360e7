import type { FastifyReply, FastifyRequest } from "fastify";
import { invoiceHtml, invoicesCsv } from "../../../billing/index.js";
import { GRACE_CHOICES, type OrgKey } from "../../org-keys.js";
import type { Organization } from "../../organizations.js";
import { barChart } from "../chart.js";
import { html } from "../html.js";
import { button, csrfField, field, notice, type Viewer } from "../layout.js";
import { attempt, type PortalWeb } from "../server.js";
import { planTerms } from "./catalog.js";

const when = (seconds: number) =>
  `${new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16)} UTC`;

/** The organization pages: overview, plan, keys, usage, invoices, members. Every one checks membership first. */
export function orgPages(web: PortalWeb): void {
  const { app, portal } = web;

  /** The signed-in developer's organization of the URL, or a 404 for any other id. */
  const orgOf = async (request: FastifyRequest, reply: FastifyReply, need: "member" | "owner" = "member") => {
    const user = web.user(request, reply);
    if (!user) return undefined;
    const { org } = request.params as { org: string };
    return portal.organizations.access(user.id, org, need);
  };

  app.get("/orgs", async (request, reply) => {
    const user = web.user(request, reply);
    if (!user) return reply;
    const orgs = request.portal.viewer.orgs;
    return web.render(request, reply, {
      title: "Organizations",
      body: html`<h1>Your organizations</h1>
        ${orgs.length ? html`<ul>${orgs.map((o) => html`<li><a href="/orgs/${o.id}">${o.name}</a> <span class="muted">(${o.role})</span></li>`)}</ul>` : html`<p>You do not belong to an organization yet. Create one, or ask a colleague to invite you to theirs.</p>`}
        <p><a class="button" href="/orgs/new">Create an organization</a></p>`,
    });
  });

  const newOrgForm = (
    viewer: Viewer,
    values: Record<string, string>,
    error?: string,
  ) => html`<h1>Create an organization</h1>
    <p>Your organization holds your team's keys, plan, usage and invoices.</p>
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/orgs" novalidate>${csrfField(viewer)}
      ${field({ label: "Name", name: "name", value: values.name, required: true, hint: "your company or team", error: error ? " " : undefined })}
      <div><button type="submit">Create</button></div></form>`;
  app.get("/orgs/new", (request, reply) => {
    if (!web.user(request, reply)) return reply;
    return web.render(request, reply, {
      title: "New organization",
      body: newOrgForm(request.portal.viewer, {}),
    });
  });
  app.post("/orgs", async (request, reply) => {
    const user = web.user(request, reply);
    if (!user) return reply;
    const f = web.form(request);
    const result = await attempt(
      () => portal.organizations.create(user.id, { name: f.name ?? "" }),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "New organization",
          body: newOrgForm(request.portal.viewer, f, message),
        }),
      web,
    );
    if (!result.ok) return result.reply;
    return reply.redirect(`/orgs/${result.value.id}`, 303);
  });

  app.get("/orgs/:org", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const [current, keys] = await Promise.all([
      portal.subscriptions.current(org.id),
      portal.keys.list(org.id),
    ]);
    const plan = current ? await portal.catalog.plan(current.usagePlanId).catch(() => undefined) : undefined;
    return web.render(request, reply, {
      title: org.name,
      org,
      body: html`<h1>${org.name}</h1>
        ${org.enabled ? "" : notice("error", "The provider has disabled this organization: its keys are refused.")}
        <div class="cards">
          <section class="card" aria-labelledby="o-plan"><h2 id="o-plan">Plan</h2><p>${plan ? plan.name : "No plan yet."}</p><a href="/orgs/${org.id}/plan">${plan ? "Change plan" : "Choose a plan"}</a></section>
          <section class="card" aria-labelledby="o-keys"><h2 id="o-keys">API keys</h2><p>${keys.filter((k) => k.state === "active" || k.state === "expiring").length} live</p><a href="/orgs/${org.id}/keys">Manage keys</a></section>
          <section class="card" aria-labelledby="o-usage"><h2 id="o-usage">Usage</h2><p>This month's requests and bill</p><a href="/orgs/${org.id}/usage">See usage</a></section>
        </div>`,
    });
  });

  // ---- plan -------------------------------------------------------------------------------
  const planPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    org: Organization,
    message?: { kind: "ok" | "error"; text: string; status?: number },
  ) => {
    const viewer = request.portal.viewer;
    const [history, plans, apis] = await Promise.all([
      portal.subscriptions.history(org.id),
      portal.catalog.plans(),
      portal.catalog.apis({ publishedOnly: true }),
    ]);
    const offered = plans.filter(
      (p) => p.visible && apis.some((a) => a.stages.some((s) => s.plans.some((sp) => sp.id === p.id))),
    );
    const current = history.find((s) => s.status === "ACTIVE");
    const pending = history.find((s) => s.status === "PENDING");
    const name = (id: string) => plans.find((p) => p.id === id)?.name ?? id;
    const covers = (planId: string) =>
      apis.flatMap((a) =>
        a.stages
          .filter((s) => s.plans.some((p) => p.id === planId))
          .map((s) => html`<li><a href="/apis/${a.id}/${s.name}">${a.name} (${s.name})</a></li>`),
      );
    return web.render(request, reply, {
      status: message?.status,
      title: "Plan",
      org,
      notice: message,
      body: html`<h1>Plan</h1>
        <p>${current ? html`Your organization is on <strong>${name(current.usagePlanId)}</strong>. Its keys work on the APIs this plan covers.` : "Your organization has no plan: its keys are refused until it subscribes."}</p>
        ${pending ? html`<div class="alert info" role="status">Your request for <strong>${name(pending.usagePlanId)}</strong> is waiting for the provider's approval. ${button(viewer, `/orgs/${org.id}/plan/withdraw`, "Withdraw the request", { kind: "secondary", fields: { requestId: pending.id } })}</div>` : ""}
        <p class="muted">A change takes effect at once; billing counts days, and the fee of a new plan is prorated from today (UTC).</p>
        <div class="cards">${offered.map(
          (
            plan,
          ) => html`<section class="card" aria-labelledby="p-${plan.id}"><h2 id="p-${plan.id}">${plan.name} ${current?.usagePlanId === plan.id ? html`<span class="badge active">current</span>` : ""}</h2>
            ${plan.description ? html`<p>${plan.description}</p>` : ""}${planTerms(plan)}<p>Covers:</p><ul>${covers(plan.id)}</ul>
            ${current?.usagePlanId === plan.id ? button(viewer, `/orgs/${org.id}/plan/cancel`, "Cancel this plan", { kind: "danger", confirm: "Cancel the plan? Your keys stop working now." }) : org.role === "owner" ? button(viewer, `/orgs/${org.id}/plan`, `${plan.approvalRequired ? "Request" : current ? "Change to" : "Subscribe to"} ${plan.name}`, { fields: { planId: plan.id } }) : ""}
          </section>`,
        )}</div>
        ${org.role === "owner" ? "" : html`<p class="muted">Only owners change the plan.</p>`}
        <h2>History</h2>
        <div class="table-wrap"><table><caption class="muted">Subscriptions and requests, newest first</caption><thead><tr><th scope="col">Plan</th><th scope="col">Status</th><th scope="col">Asked</th><th scope="col">Decided</th></tr></thead><tbody>
        ${history.map((s) => html`<tr><td>${name(s.usagePlanId)}</td><td><span class="badge ${s.status.toLowerCase()}">${s.status.toLowerCase()}</span>${s.reason ? html` ${s.reason}` : ""}</td><td>${when(s.createdDate)}</td><td>${s.decidedDate ? when(s.decidedDate) : ""}</td></tr>`)}
        </tbody></table></div>`,
    });
  };
  app.get("/orgs/:org/plan", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    return planPage(request, reply, org);
  });
  const subscribe = async (request: FastifyRequest, reply: FastifyReply, org: Organization) => {
    const user = request.portal.viewer.user!;
    const f = web.form(request);
    const result = await attempt(
      () => portal.subscriptions.subscribe(org.id, f.planId ?? "", user.id),
      (text, status) => planPage(request, reply, org, { kind: "error", text, status }),
      web,
    );
    if (!result.ok) return result.reply;
    const text =
      result.value.status === "PENDING"
        ? "Your request is sent: the provider approves it."
        : "Subscribed: your keys now work on this plan.";
    return planPage(request, reply, org, { kind: "ok", text });
  };
  app.post("/orgs/:org/plan", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    return subscribe(request, reply, org);
  });
  // The catalog's subscribe buttons name the organization in a field: the same membership check applies.
  app.post("/subscribe", async (request, reply) => {
    const user = web.user(request, reply);
    if (!user) return reply;
    const org = await portal.organizations.access(user.id, web.form(request).orgId ?? "", "owner");
    return subscribe(request, reply, org);
  });
  app.post("/orgs/:org/plan/cancel", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    const result = await attempt(
      () => portal.subscriptions.cancel(org.id),
      (text, status) => planPage(request, reply, org, { kind: "error", text, status }),
      web,
    );
    if (!result.ok) return result.reply;
    return planPage(request, reply, org, {
      kind: "ok",
      text: "The plan is cancelled: your keys are refused until you subscribe again.",
    });
  });
  app.post("/orgs/:org/plan/withdraw", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    const result = await attempt(
      () => portal.subscriptions.withdraw(org.id, web.form(request).requestId ?? ""),
      (text, status) => planPage(request, reply, org, { kind: "error", text, status }),
      web,
    );
    if (!result.ok) return result.reply;
    return planPage(request, reply, org, { kind: "ok", text: "The request is withdrawn." });
  });

  // ---- keys -------------------------------------------------------------------------------
  const keysPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    org: Organization,
    extra: {
      status?: number;
      error?: string;
      shown?: { key: OrgKey; value: string; previous?: OrgKey };
      ok?: string;
      name?: string;
    } = {},
  ) => {
    const viewer = request.portal.viewer;
    const [keys, current] = await Promise.all([
      portal.keys.list(org.id),
      portal.subscriptions.current(org.id),
    ]);
    const shown = extra.shown;
    return web.render(request, reply, {
      status: extra.status,
      title: "API keys",
      org,
      notice: extra.error
        ? { kind: "error", text: extra.error }
        : extra.ok
          ? { kind: "ok", text: extra.ok }
          : undefined,
      body: html`<h1>API keys</h1>
        ${current ? "" : notice("info", "Your organization has no plan yet: keys are refused by the gateway until it subscribes.")}
        ${
          shown
            ? html`<section class="card" aria-labelledby="new-key"><h2 id="new-key">The value of key ${shown.key.name}</h2>
              <p><strong>Copy it now: it is shown only this once.</strong> Send it in the <code>x-api-key</code> header.${shown.previous?.expiresDate ? html` The previous value works until ${when(shown.previous.expiresDate)}.` : ""}</p>
              <div class="secret-box"><code class="secret" id="key-value" data-remember-key="${org.id}">${shown.value}</code><button type="button" data-copy="key-value" hidden>Copy</button></div></section>`
            : ""
        }
        <div class="table-wrap"><table><caption class="muted">Keys of ${org.name}</caption><thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead><tbody>
        ${keys.map(
          (k) =>
            html`<tr><th scope="row" id="key-${k.id}">${k.name}</th><td><span class="badge ${k.state}">${k.state}</span></td><td>${when(k.createdDate)}</td><td>${k.expiresDate ? when(k.expiresDate) : ""}</td><td>${
              k.state === "active"
                ? html`<div class="actions"><form class="inline" method="post" action="/orgs/${org.id}/keys/${k.id}/rotate">${csrfField(viewer)}<label for="grace-${k.id}">Old value works for</label><select id="grace-${k.id}" name="graceSeconds">${GRACE_CHOICES.map((c) => html`<option value="${c.seconds}"${c.seconds === 3600 ? html` selected` : ""}>${c.label}</option>`)}</select><button type="submit" class="secondary" aria-describedby="key-${k.id}">Rotate</button></form>
                ${button(viewer, `/orgs/${org.id}/keys/${k.id}/revoke`, "Revoke", { kind: "danger", confirm: `Revoke ${k.name}? It stops working now.`, labelledBy: `key-${k.id}` })}</div>`
                : k.state === "expiring"
                  ? button(viewer, `/orgs/${org.id}/keys/${k.id}/revoke`, "Revoke now", {
                      kind: "danger",
                      labelledBy: `key-${k.id}`,
                    })
                  : ""
            }</td></tr>`,
        )}
        ${keys.length ? "" : html`<tr><td colspan="5">No keys yet.</td></tr>`}
        </tbody></table></div>
        <h2>Create a key</h2>
        <form class="stack" method="post" action="/orgs/${org.id}/keys" novalidate>${csrfField(viewer)}
          ${field({ label: "Name", name: "name", value: extra.name, required: true, hint: "for example production or ci", error: extra.error && extra.name !== undefined ? extra.error : undefined })}
          <div><button type="submit">Create key</button></div></form>`,
    });
  };
  app.get("/orgs/:org/keys", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    return keysPage(request, reply, org);
  });
  app.post("/orgs/:org/keys", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const name = web.form(request).name ?? "";
    const result = await attempt(
      () => portal.keys.create(org.id, name),
      (error, status) => keysPage(request, reply, org, { error, status, name }),
      web,
    );
    if (!result.ok) return result.reply;
    return keysPage(request, reply, org, {
      shown: result.value,
      ok: `Key ${result.value.key.name} created.`,
    });
  });
  app.post("/orgs/:org/keys/:key/rotate", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const { key } = request.params as { key: string };
    const grace = Number(web.form(request).graceSeconds ?? "x");
    const result = await attempt(
      () => portal.keys.rotate(org.id, key, grace),
      (error, status) => keysPage(request, reply, org, { error, status }),
      web,
    );
    if (!result.ok) return result.reply;
    return keysPage(request, reply, org, {
      shown: result.value,
      ok: `Key ${result.value.key.name} rotated.`,
    });
  });
  app.post("/orgs/:org/keys/:key/revoke", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const { key } = request.params as { key: string };
    const result = await attempt(
      () => portal.keys.revoke(org.id, key),
      (error, status) => keysPage(request, reply, org, { error, status }),
      web,
    );
    if (!result.ok) return result.reply;
    return keysPage(request, reply, org, { ok: `Key ${result.value.name} revoked.` });
  });

  // ---- usage ------------------------------------------------------------------------------
  app.get("/orgs/:org/usage", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const current = await portal.subscriptions.current(org.id);
    const view = await portal.usage.view(org.id, current?.usagePlanId);
    const projected = view.projected;
    return web.render(request, reply, {
      title: "Usage",
      org,
      body: html`<h1>Usage</h1><p>From ${view.startDate} to ${view.endDate} (UTC), as the gateway counted admitted requests.</p>
        ${view.plans.length ? "" : html`<p>No usage yet this month.</p>`}
        ${view.plans.map(
          (
            plan,
            index,
          ) => html`<section aria-labelledby="plan-${index}"><h2 id="plan-${index}">Plan ${plan.usagePlanName}${current?.usagePlanId === plan.usagePlanId ? " (current)" : ""}</h2>
            <p>${plan.total.toLocaleString("en")} requests this month${plan.quota ? html`; quota ${plan.quota.limit.toLocaleString("en")} per ${plan.quota.period.toLowerCase()}` : ""}.</p>
            ${barChart({ id: `chart-${index}`, title: `Requests per day on ${plan.usagePlanName}`, labels: view.days, values: plan.daily, limit: plan.quota?.period === "DAY" ? plan.quota.limit : undefined })}
            <div class="table-wrap"><table><caption class="muted">Requests per key on ${plan.usagePlanName}</caption><thead><tr><th scope="col">Key</th><th scope="col" class="num">Today</th><th scope="col" class="num">This month</th><th scope="col" class="num">Remaining quota</th></tr></thead><tbody>
            ${plan.keys.map((k) => html`<tr><th scope="row">${k.keyName}</th><td class="num">${k.used.at(-1) ?? 0}</td><td class="num">${k.total}</td><td class="num">${k.remaining ?? "no quota"}</td></tr>`)}
            </tbody></table></div>
            <details><summary>Requests per day</summary><div class="table-wrap"><table><thead><tr><th scope="col">Day</th>${plan.keys.map((k) => html`<th scope="col" class="num">${k.keyName}</th>`)}<th scope="col" class="num">All keys</th></tr></thead><tbody>
            ${view.days.map((d, i) => html`<tr><th scope="row">${d}</th>${plan.keys.map((k) => html`<td class="num">${k.used[i] ?? 0}</td>`)}<td class="num">${plan.daily[i]}</td></tr>`)}
            </tbody></table></div></details></section>`,
        )}
        <h2>Answers</h2>
        <div class="table-wrap"><table><caption class="muted">Answers per key this month, by status</caption><thead><tr><th scope="col">Key</th><th scope="col" class="num">Successful (1xx-3xx)</th><th scope="col" class="num">Rejected (4xx)</th><th scope="col" class="num">Throttled (429)</th><th scope="col" class="num">Server errors (5xx)</th></tr></thead><tbody>
        ${view.outcomes.map((o) => html`<tr><th scope="row">${o.keyName}</th><td class="num">${o.success}</td><td class="num">${o.clientErrors}</td><td class="num">${o.throttled}</td><td class="num">${o.serverErrors}</td></tr>`)}
        ${view.outcomes.length ? "" : html`<tr><td colspan="5">No answers recorded yet.</td></tr>`}
        </tbody></table></div>
        <h2>Projected bill</h2>
        ${
          projected
            ? html`<p>If this month's invoice were made now: <strong>${projected.total} ${projected.currency}</strong> (plan fees for the days held this month, and the requests so far).</p>
          <div class="table-wrap"><table><thead><tr><th scope="col">Line</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${projected.lines.map((l) => html`<tr><td>${l.description}</td><td class="num">${l.quantity}</td><td class="num">${l.amount}</td></tr>`)}</tbody></table></div>`
            : html`<p>${view.projectedNote}</p>`
        }`,
    });
  });

  // ---- invoices ---------------------------------------------------------------------------
  app.get("/orgs/:org/invoices", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    const invoices = (await portal.deps.billing.invoices.list({ tenantId: org.id })).filter(
      (i) => i.status !== "VOID",
    );
    return web.render(request, reply, {
      title: "Invoices",
      org,
      body: html`<h1>Invoices</h1>
        <div class="table-wrap"><table><caption class="muted">Invoices of ${org.name}</caption><thead><tr><th scope="col">Month</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Open</th></tr></thead><tbody>
        ${invoices.map((i) => html`<tr><th scope="row">${i.period}</th><td>${i.status === "DRAFT" ? "draft (may change)" : "final"}</td><td class="num">${i.total} ${i.currency}</td><td><a href="/orgs/${org.id}/invoices/${i.id}">Printable invoice</a> · <a href="/orgs/${org.id}/invoices/${i.id}/csv" download>CSV</a></td></tr>`)}
        ${invoices.length ? "" : html`<tr><td colspan="4">No invoice yet.</td></tr>`}
        </tbody></table></div>`,
    });
  });
  const ownInvoice = async (request: FastifyRequest, reply: FastifyReply) => {
    const org = await orgOf(request, reply);
    if (!org) return undefined;
    const { id } = request.params as { id: string };
    const invoice = await portal.deps.billing.invoices.get(id).catch(() => undefined);
    if (!invoice || invoice.tenantId !== org.id || invoice.status === "VOID") {
      const { NotFoundError } = await import("../../../core/errors.js");
      throw new NotFoundError("No such invoice");
    }
    return invoice;
  };
  app.get("/orgs/:org/invoices/:id", async (request, reply) => {
    const invoice = await ownInvoice(request, reply);
    if (!invoice) return reply;
    // Billing's printable page: inline CSS only, every value escaped.
    return reply
      .header(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .type("text/html; charset=utf-8")
      .send(invoiceHtml(invoice));
  });
  app.get("/orgs/:org/invoices/:id/csv", async (request, reply) => {
    const invoice = await ownInvoice(request, reply);
    if (!invoice) return reply;
    return reply
      .header("content-disposition", `attachment; filename="invoice-${invoice.period}-${invoice.id}.csv"`)
      .type("text/csv; charset=utf-8")
      .send(invoicesCsv([invoice]));
  });

  // ---- members ----------------------------------------------------------------------------
  const membersPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    org: Organization,
    message?: { kind: "ok" | "error"; text: string; status?: number },
    email = "",
  ) => {
    const viewer = request.portal.viewer;
    const members = await portal.organizations.members(org.id);
    return web.render(request, reply, {
      status: message?.status,
      title: "Members",
      org,
      notice: message,
      body: html`<h1>Members</h1>
        <div class="table-wrap"><table><caption class="muted">Developers of ${org.name}</caption><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>${org.role === "owner" ? html`<th scope="col">Actions</th>` : ""}</tr></thead><tbody>
        ${members.map((m) => html`<tr><th scope="row" id="m-${m.userId}">${m.name}</th><td>${m.email}</td><td>${m.role}</td>${org.role === "owner" ? html`<td>${m.userId === viewer.user?.id ? "" : button(viewer, `/orgs/${org.id}/members/${m.userId}/remove`, "Remove", { kind: "danger", labelledBy: `m-${m.userId}` })}</td>` : ""}</tr>`)}
        </tbody></table></div>
        ${
          org.role === "owner"
            ? html`<h2>Invite a developer</h2><form class="stack" method="post" action="/orgs/${org.id}/members" novalidate>${csrfField(viewer)}
          ${field({ label: "Email", name: "email", type: "email", value: email, required: true })}
          <div class="field"><label for="f-role">Role</label><select id="f-role" name="role"><option value="member">member</option><option value="owner">owner</option></select></div>
          <div><button type="submit">Send invitation</button></div></form>`
            : ""
        }`,
    });
  };
  app.get("/orgs/:org/members", async (request, reply) => {
    const org = await orgOf(request, reply);
    if (!org) return reply;
    return membersPage(request, reply, org);
  });
  app.post("/orgs/:org/members", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    const f = web.form(request);
    const role = f.role === "owner" ? "owner" : "member";
    const result = await attempt(
      () =>
        portal.accounts.invite({
          email: f.email ?? "",
          tenantId: org.id,
          role,
          invitedBy: request.portal.viewer.user!.id,
          organizationName: org.name,
        }),
      (text, status) => membersPage(request, reply, org, { kind: "error", text, status }, f.email),
      web,
    );
    if (!result.ok) return result.reply;
    return membersPage(request, reply, org, {
      kind: "ok",
      text: `Invitation sent to ${result.value.email}.`,
    });
  });
  app.post("/orgs/:org/members/:user/remove", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    const { user } = request.params as { user: string };
    const result = await attempt(
      () => portal.organizations.removeMember(org.id, user),
      (text, status) => membersPage(request, reply, org, { kind: "error", text, status }),
      web,
    );
    if (!result.ok) return result.reply;
    return membersPage(request, reply, org, { kind: "ok", text: "Member removed." });
  });
}
