import type { FastifyReply, FastifyRequest } from "fastify";
import { BadRequestError } from "../../../core/errors.js";
import { utcDay } from "../../../metering/index.js";
import { html, type SafeHtml } from "../html.js";
import { button, csrfField, field, notice } from "../layout.js";
import { attempt, type PortalWeb } from "../server.js";
import { planTerms } from "./catalog.js";

const when = (seconds: number) =>
  `${new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16)} UTC`;
type Message = { kind: "ok" | "error"; text: string; status?: number };

/**
 * The admin console: a view on the same operations the admin API (`/portal/...`, and the
 * existing API Gateway and billing operations) and the CLI run. Each POST here calls the
 * method its admin operation calls.
 */
export function adminPages(web: PortalWeb): void {
  const { app, portal } = web;
  const d = portal.deps;

  /** A console page: the operator only; POSTs run `action`, then show the page with its outcome. */
  const consolePage = (path: string, title: string, body: (request: FastifyRequest) => Promise<SafeHtml>) => {
    const show = async (request: FastifyRequest, reply: FastifyReply, message?: Message) =>
      web.render(request, reply, {
        status: message?.status,
        title,
        notice: message,
        body: await body(request),
      });
    app.get(path, async (request, reply) => (web.admin(request, reply) ? show(request, reply) : reply));
    return show;
  };
  const action = (
    path: string,
    show: (request: FastifyRequest, reply: FastifyReply, message?: Message) => Promise<FastifyReply>,
    run: (request: FastifyRequest, form: Record<string, string>) => Promise<string>,
  ) =>
    app.post(path, async (request, reply) => {
      if (!web.admin(request, reply)) return reply;
      const result = await attempt(
        () => run(request, web.form(request)),
        (text, status) => show(request, reply, { kind: "error", text, status }),
        web,
      );
      if (!result.ok) return result.reply;
      return show(request, reply, { kind: "ok", text: result.value });
    });
  const param = (request: FastifyRequest, name: string) => (request.params as Record<string, string>)[name]!;

  // ---- overview and developers ----------------------------------------------------------------
  const developersTable = async (request: FastifyRequest, status?: string) => {
    const viewer = request.portal.viewer;
    const developers = await portal.accounts.list(status ? { status } : {});
    return html`<div class="table-wrap"><table><caption class="muted">${status ? `Developers ${status.toLowerCase()}` : "Every developer"}</caption><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Email confirmed</th><th scope="col">Registered</th><th scope="col">Actions</th></tr></thead><tbody>
      ${developers.map(
        (
          dev,
        ) => html`<tr><th scope="row" id="dev-${dev.id}">${dev.name}</th><td>${dev.email}</td><td><span class="badge ${dev.status.toLowerCase()}">${dev.status.toLowerCase()}</span></td><td>${dev.emailVerified ? "yes" : "no"}</td><td>${when(dev.createdDate)}</td><td><div class="actions">
          ${dev.status !== "ACTIVE" ? button(viewer, `/admin/developers/${dev.id}/approve`, "Approve", { labelledBy: `dev-${dev.id}` }) : ""}
          ${dev.status === "PENDING" ? button(viewer, `/admin/developers/${dev.id}/refuse`, "Refuse", { kind: "danger", labelledBy: `dev-${dev.id}` }) : ""}
          ${dev.status === "ACTIVE" ? button(viewer, `/admin/developers/${dev.id}/disable`, "Disable", { kind: "danger", labelledBy: `dev-${dev.id}` }) : ""}
        </div></td></tr>`,
      )}
      ${developers.length ? "" : html`<tr><td colspan="6">None.</td></tr>`}</tbody></table></div>`;
  };
  const subscriptionsTable = async (request: FastifyRequest, status?: string) => {
    const viewer = request.portal.viewer;
    const [subscriptions, tenants, plans] = await Promise.all([
      portal.subscriptions.list(status ? { status } : {}),
      d.tenants.list(),
      d.usagePlans.list(),
    ]);
    const tenant = (id: string) => tenants.find((t) => t.id === id)?.name ?? id;
    const plan = (id: string) => plans.find((p) => p.id === id)?.name ?? id;
    return html`<div class="table-wrap"><table><caption class="muted">${status ? `Subscriptions ${status.toLowerCase()}` : "Every subscription"}</caption><thead><tr><th scope="col">Organization</th><th scope="col">Plan</th><th scope="col">Status</th><th scope="col">Asked</th><th scope="col">Actions</th></tr></thead><tbody>
      ${subscriptions.map(
        (s) =>
          html`<tr><th scope="row" id="sub-${s.id}">${tenant(s.tenantId)}</th><td>${plan(s.usagePlanId)}</td><td><span class="badge ${s.status.toLowerCase()}">${s.status.toLowerCase()}</span></td><td>${when(s.createdDate)}</td><td>${
            s.status === "PENDING"
              ? html`<div class="actions">${button(viewer, `/admin/subscriptions/${s.id}/approve`, "Approve", { labelledBy: `sub-${s.id}` })}${button(viewer, `/admin/subscriptions/${s.id}/refuse`, "Refuse", { kind: "danger", labelledBy: `sub-${s.id}` })}</div>`
              : ""
          }</td></tr>`,
      )}
      ${subscriptions.length ? "" : html`<tr><td colspan="5">None.</td></tr>`}</tbody></table></div>`;
  };

  const overview = consolePage("/admin", "Admin console", async (request) => {
    const viewer = request.portal.viewer;
    return html`<h1>Admin console</h1>
      <p>Registration mode: <strong>${portal.accounts.registration}</strong>. Every action here is also an admin API operation and a <code>tollgate portal</code> command.</p>
      <h2>Developers waiting for approval</h2>${await developersTable(request, "PENDING")}
      <h2>Subscriptions waiting for approval</h2>${await subscriptionsTable(request, "PENDING")}
      <h2>Invite a developer</h2>
      <form class="stack" method="post" action="/admin/invitations" novalidate>${csrfField(viewer)}${field({ label: "Email", name: "email", type: "email", required: true })}<div><button type="submit">Send invitation</button></div></form>`;
  });
  const developers = consolePage(
    "/admin/developers",
    "Developers",
    async (request) => html`<h1>Developers</h1>${await developersTable(request)}`,
  );
  for (const [verb, run, done] of [
    ["approve", (id: string) => portal.accounts.approve(id), "approved"],
    ["refuse", (id: string) => portal.accounts.refuse(id), "refused"],
    ["disable", (id: string) => portal.accounts.disable(id), "disabled"],
  ] as const) {
    action(
      `/admin/developers/:id/${verb}`,
      overview,
      async (request) => `${(await run(param(request, "id"))).email} ${done}.`,
    );
  }
  void developers;
  action(
    "/admin/invitations",
    overview,
    async (_request, f) =>
      `Invitation sent to ${(await portal.accounts.invite({ email: f.email ?? "", invitedBy: "admin" })).email}.`,
  );

  // ---- subscriptions ------------------------------------------------------------------------------
  const subscriptions = consolePage(
    "/admin/subscriptions",
    "Subscriptions",
    async (request) => html`<h1>Subscriptions</h1>${await subscriptionsTable(request)}`,
  );
  action("/admin/subscriptions/:id/approve", subscriptions, async (request) => {
    await portal.subscriptions.approve(param(request, "id"));
    return "Subscription approved: the organization's keys are on the plan.";
  });
  action("/admin/subscriptions/:id/refuse", subscriptions, async (request, f) => {
    await portal.subscriptions.refuse(param(request, "id"), f.reason);
    return "Subscription refused.";
  });

  // ---- catalog --------------------------------------------------------------------------------------
  const catalog = consolePage("/admin/catalog", "Catalog", async (request) => {
    const viewer = request.portal.viewer;
    const [apis, documents] = await Promise.all([portal.catalog.apis(), portal.catalog.documents()]);
    const toggle = (path: string, published: boolean, label: string) =>
      button(viewer, path, published ? `Hide ${label}` : `Publish ${label}`, {
        kind: published ? "secondary" : undefined,
        fields: { published: published ? "false" : "true" },
      });
    return html`<h1>Catalog</h1><p>An API shows in the portal when it and at least one of its stages are published.</p>
      ${apis.map(
        (
          api,
        ) => html`<section class="card" aria-labelledby="capi-${api.id}"><h2 id="capi-${api.id}">${api.name} <span class="badge ${api.published ? "active" : "disabled"}">${api.published ? "published" : "hidden"}</span></h2>
          <p>${toggle(`/admin/catalog/${api.id}`, api.published, api.name)}</p>
          <div class="table-wrap"><table><thead><tr><th scope="col">Stage</th><th scope="col">Shown</th><th scope="col">Plans covering it</th><th scope="col">Action</th></tr></thead><tbody>
          ${api.stages.map((s) => html`<tr><th scope="row">${s.name}</th><td>${s.published ? "published" : "hidden"}</td><td>${s.plans.map((p) => p.name).join(", ")}</td><td>${toggle(`/admin/catalog/${api.id}/${s.name}`, s.published, `stage ${s.name}`)}</td></tr>`)}
          </tbody></table></div></section>`,
      )}
      <h2>Extra OpenAPI documents</h2>
      <div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Shown</th><th scope="col">Actions</th></tr></thead><tbody>
      ${documents.map((doc) => html`<tr><th scope="row" id="doc-${doc.id}"><a href="/documents/${doc.id}/reference">${doc.name}</a></th><td>${doc.published ? "published" : "hidden"}</td><td><div class="actions">${toggle(`/admin/documents/${doc.id}`, doc.published, "")}${button(viewer, `/admin/documents/${doc.id}/delete`, "Delete", { kind: "danger", labelledBy: `doc-${doc.id}` })}</div></td></tr>`)}
      ${documents.length ? "" : html`<tr><td colspan="3">None.</td></tr>`}</tbody></table></div>
      <form class="stack" method="post" action="/admin/documents" novalidate>${csrfField(viewer)}
        ${field({ label: "Name", name: "name", required: true })}
        ${field({ label: "Description", name: "description" })}
        <div class="field"><label for="f-document">OpenAPI document <span class="hint">JSON or YAML, OpenAPI 3 or Swagger 2</span></label><textarea id="f-document" name="document" required></textarea></div>
        <div><button type="submit">Upload</button></div></form>`;
  });
  action("/admin/catalog/:api", catalog, async (request, f) => {
    await portal.catalog.publish(param(request, "api"), undefined, f.published === "true");
    return f.published === "true" ? "API published." : "API hidden.";
  });
  action("/admin/catalog/:api/:stage", catalog, async (request, f) => {
    await portal.catalog.publish(param(request, "api"), param(request, "stage"), f.published === "true");
    return f.published === "true" ? "Stage published." : "Stage hidden.";
  });
  action("/admin/documents", catalog, async (_request, f) => {
    const doc = await portal.catalog.addDocument({
      name: f.name ?? "",
      description: f.description,
      document: f.document ?? "",
    });
    return `Document ${doc.name} uploaded.`;
  });
  action("/admin/documents/:id", catalog, async (request, f) => {
    await portal.catalog.setDocumentPublished(param(request, "id"), f.published === "true");
    return "Document updated.";
  });
  action("/admin/documents/:id/delete", catalog, async (request) => {
    await portal.catalog.deleteDocument(param(request, "id"));
    return "Document deleted.";
  });

  // ---- plans ------------------------------------------------------------------------------------------
  const plans = consolePage("/admin/plans", "Plans", async (request) => {
    const viewer = request.portal.viewer;
    const all = await portal.catalog.plans();
    return html`<h1>Plans</h1>${all.map((plan) => {
      const p = plan.price;
      const tiers = p?.tiers.map((t) => `${t.upTo ?? "inf"}:${t.unitAmount}`).join(" ") ?? "";
      return html`<section class="card" aria-labelledby="ap-${plan.id}"><h2 id="ap-${plan.id}">${plan.name}</h2>${planTerms(plan)}
        <form class="stack" method="post" action="/admin/plans/${plan.id}" novalidate>${csrfField(viewer)}
          ${field({ label: "Description", name: "description", value: plan.description ?? "" })}
          <div class="field"><label for="vis-${plan.id}">Shown in the portal</label><select id="vis-${plan.id}" name="visible"><option value="true"${plan.visible ? html` selected` : ""}>yes</option><option value="false"${plan.visible ? "" : html` selected`}>no</option></select></div>
          <div class="field"><label for="appr-${plan.id}">Subscriptions</label><select id="appr-${plan.id}" name="approvalRequired"><option value="false"${plan.approvalRequired ? "" : html` selected`}>start at once</option><option value="true"${plan.approvalRequired ? html` selected` : ""}>need approval</option></select></div>
          <div><button type="submit">Save ${plan.name}</button></div></form>
        <h3>Price</h3>
        <form class="stack" method="post" action="/admin/plans/${plan.id}/price" novalidate>${csrfField(viewer)}
          ${field({ label: "Currency", name: "currency", value: p?.currency ?? "USD", attrs: html` id="cur-${plan.id}"` })}
          ${field({ label: "Monthly fee", name: "monthlyFee", value: p?.monthlyFee ?? "0" })}
          ${field({ label: "Included requests a month", name: "includedRequests", type: "number", value: String(p?.includedRequests ?? 0) })}
          ${field({ label: "Overage tiers", name: "tiers", value: tiers, hint: "upTo:price-per-1000 separated by spaces, the last upTo inf; empty for none" })}
          <div><button type="submit">Save the price of ${plan.name}</button></div></form></section>`;
    })}`;
  });
  action("/admin/plans/:id", plans, async (request, f) => {
    const id = param(request, "id");
    await d.usagePlans.update(id, [{ op: "replace", path: "/description", value: f.description ?? "" }]);
    await portal.catalog.setPlan(id, {
      visible: f.visible !== "false",
      approvalRequired: f.approvalRequired === "true",
    });
    return "Plan saved.";
  });
  action("/admin/plans/:id/price", plans, async (request, f) => {
    const included = Number(f.includedRequests ?? "0");
    if (!Number.isInteger(included) || included < 0)
      throw new BadRequestError("Included requests must be a whole number, 0 or more.");
    const tiers = (f.tiers ?? "").trim()
      ? (f.tiers ?? "")
          .trim()
          .split(/\s+/)
          .map((t) => {
            const [upTo, unitAmount] = t.split(":");
            if (!upTo || !unitAmount)
              throw new BadRequestError(
                `Invalid tier '${t}': write upTo:price, like 100000:0.50 or inf:0.25.`,
              );
            return upTo === "inf" ? { unitAmount } : { upTo: Number(upTo), unitAmount };
          })
      : [];
    await d.billing.prices.put(param(request, "id"), {
      currency: f.currency ?? "",
      monthlyFee: f.monthlyFee ?? "0",
      includedRequests: included,
      tiers,
    });
    return "Price saved.";
  });

  // ---- organizations and keys -----------------------------------------------------------------------
  const organizations = consolePage("/admin/organizations", "Organizations", async (request) => {
    const viewer = request.portal.viewer;
    const tenants = await d.tenants.list();
    return html`<h1>Organizations</h1><div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead><tbody>
      ${tenants.map((t) => html`<tr><th scope="row" id="t-${t.id}"><a href="/admin/organizations/${t.id}">${t.name}</a></th><td>${t.enabled ? "enabled" : "disabled"}</td><td>${button(viewer, `/admin/organizations/${t.id}/enabled`, t.enabled ? "Disable" : "Enable", { kind: t.enabled ? "danger" : undefined, fields: { enabled: t.enabled ? "false" : "true" }, labelledBy: `t-${t.id}` })}</td></tr>`)}
      </tbody></table></div>`;
  });
  const organization = async (request: FastifyRequest, reply: FastifyReply, message?: Message) => {
    const viewer = request.portal.viewer;
    const id = param(request, "id");
    const tenant = await d.tenants.get(id);
    const [keys, members, current] = await Promise.all([
      d.apiKeys.list({ customerId: id }),
      portal.organizations.members(id),
      portal.subscriptions.current(id),
    ]);
    const plan = current ? await d.usagePlans.get(current.usagePlanId) : undefined;
    return web.render(request, reply, {
      status: message?.status,
      title: tenant.name,
      notice: message,
      body: html`<h1>${tenant.name}</h1><p>${tenant.enabled ? "Enabled" : "Disabled: its keys are refused"}. Plan: ${plan?.name ?? "none"}.</p>
        <h2>Keys</h2><p class="muted">Key values are never shown here.</p>
        <div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Enabled</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead><tbody>
        ${keys.map(
          (
            k,
          ) => html`<tr><th scope="row" id="k-${k.id}">${k.name ?? ""}</th><td><code>${k.id}</code></td><td>${k.enabled ? "yes" : "no"}</td><td>${k.expiresDate ? when(k.expiresDate) : ""}</td><td><div class="actions">
          ${k.expiresDate && k.expiresDate * 1000 <= Date.now() ? "" : button(viewer, `/admin/organizations/${id}/keys/${k.id}/enabled`, k.enabled ? "Disable" : "Enable", { kind: k.enabled ? "danger" : undefined, fields: { enabled: k.enabled ? "false" : "true" }, labelledBy: `k-${k.id}` })}
          ${plan?.quota ? html`<form class="inline" method="post" action="/admin/organizations/${id}/keys/${k.id}/topup">${csrfField(viewer)}<label for="top-${k.id}">Extra requests</label><input id="top-${k.id}" name="requests" type="number" min="1" value="1000"><button type="submit" class="secondary">Top up</button></form>` : ""}
        </div></td></tr>`,
        )}
        ${keys.length ? "" : html`<tr><td colspan="5">No keys.</td></tr>`}</tbody></table></div>
        <h2>Members</h2><ul>${members.map((m) => html`<li>${m.name} (${m.email}), ${m.role}</li>`)}</ul>`,
    });
  };
  app.get("/admin/organizations/:id", async (request, reply) =>
    web.admin(request, reply) ? organization(request, reply) : reply,
  );
  action("/admin/organizations/:id/enabled", organizations, async (request, f) => {
    const tenant = await d.tenants.update(param(request, "id"), [
      { op: "replace", path: "/enabled", value: f.enabled === "true" ? "true" : "false" },
    ]);
    return `${tenant.name} ${tenant.enabled ? "enabled" : "disabled"}.`;
  });
  action("/admin/organizations/:id/keys/:key/enabled", organization, async (request, f) => {
    const key = await own(request);
    await d.apiKeys.update(key, [
      { op: "replace", path: "/enabled", value: f.enabled === "true" ? "true" : "false" },
    ]);
    return f.enabled === "true" ? "Key enabled." : "Key disabled.";
  });
  action("/admin/organizations/:id/keys/:key/topup", organization, async (request, f) => {
    const key = await own(request);
    const current = await portal.subscriptions.current(param(request, "id"));
    if (!current) throw new BadRequestError("The organization has no plan to top up.");
    const requests = Number(f.requests);
    if (!Number.isInteger(requests) || requests < 1 || requests > 2_000_000_000)
      throw new BadRequestError("Top up by a whole number of requests, 1 or more.");
    const remaining = await d.metering.extendQuota(
      current.usagePlanId,
      key,
      requests,
      "admin console top-up",
    );
    return `Quota extended by ${requests}: ${remaining} requests remain this period.`;
  });
  /** The key of the URL, when it belongs to the organization of the URL. */
  const own = async (request: FastifyRequest) => {
    const key = await d.apiKeys.get(param(request, "key"));
    if (key.customerId !== param(request, "id"))
      throw new BadRequestError("That key is not of this organization.");
    return key.id;
  };

  // ---- usage, invoices, mail ----------------------------------------------------------------------------
  consolePage("/admin/usage", "Usage", async () => {
    await d.commitUsage?.().catch(() => {});
    const endDate = utcDay(d.clock.now());
    const startDate = `${endDate.slice(0, 8)}01`;
    const report = await d.metering.report({ startDate, endDate, groupBy: "tenant,plan", limit: 500 });
    return html`<h1>Usage across tenants</h1><p>Admitted requests from ${startDate} to ${endDate} (the usage report, <code>GET /usage</code>).</p>
      <div class="table-wrap"><table><thead><tr><th scope="col">Tenant</th><th scope="col">Plan</th><th scope="col" class="num">Requests</th></tr></thead><tbody>
      ${report.item.map((r) => html`<tr><th scope="row">${r.tenantName ?? r.tenantId ?? ""}</th><td>${r.usagePlanName ?? r.usagePlanId ?? ""}</td><td class="num">${r.requests}</td></tr>`)}
      ${report.item.length ? "" : html`<tr><td colspan="3">No usage this month.</td></tr>`}</tbody></table></div>`;
  });
  const invoices = consolePage("/admin/invoices", "Invoices", async (request) => {
    const viewer = request.portal.viewer;
    const list = await d.billing.invoices.list();
    const lastMonth = new Date(
      Date.UTC(new Date(d.clock.now()).getUTCFullYear(), new Date(d.clock.now()).getUTCMonth() - 1, 1),
    )
      .toISOString()
      .slice(0, 7);
    return html`<h1>Invoices</h1>
      <form class="stack" method="post" action="/admin/invoices/generate" novalidate>${csrfField(viewer)}${field({ label: "Month", name: "period", value: lastMonth, hint: "YYYY-MM" })}<div><button type="submit">Generate for every organization</button></div></form>
      <div class="table-wrap"><table><thead><tr><th scope="col">Tenant</th><th scope="col">Month</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Actions</th></tr></thead><tbody>
      ${list.map((i) => html`<tr><th scope="row" id="inv-${i.id}">${i.tenantName}</th><td>${i.period}</td><td>${i.status.toLowerCase()}</td><td class="num">${i.total} ${i.currency}</td><td>${i.status === "DRAFT" ? button(viewer, `/admin/invoices/${i.id}/finalize`, "Finalize", { labelledBy: `inv-${i.id}` }) : ""}</td></tr>`)}
      ${list.length ? "" : html`<tr><td colspan="5">No invoices.</td></tr>`}</tbody></table></div>`;
  });
  action("/admin/invoices/generate", invoices, async (_request, f) => {
    if (!/^\d{4}-\d{2}$/.test(f.period ?? "")) throw new BadRequestError("Give the month as YYYY-MM.");
    let made = 0;
    const skipped: string[] = [];
    for (const tenant of await d.tenants.list()) {
      try {
        await d.billing.invoices.generate(tenant.id, f.period!);
        made++;
      } catch (error) {
        if (!(error instanceof BadRequestError)) throw error;
        skipped.push(tenant.name);
      }
    }
    return `${made} invoice${made === 1 ? "" : "s"} generated for ${f.period}${skipped.length ? `; nothing to bill for ${skipped.join(", ")}` : ""}.`;
  });
  action("/admin/invoices/:id/finalize", invoices, async (request) => {
    const invoice = await d.billing.invoices.finalize(param(request, "id"));
    return `Invoice of ${invoice.tenantName} for ${invoice.period} finalized.`;
  });
  consolePage("/admin/mail", "Mail", async () => {
    if (!d.mailer.keepsOutbox) return html`<h1>Mail</h1><p>Mail goes out by SMTP; nothing is kept here.</p>`;
    const mail = await portal.sentMail();
    return html`<h1>Mail</h1><p>The embedded mailer writes each message to the log and keeps it here, so you can follow verification and reset links without SMTP.</p>
      ${mail.map((m) => html`<section class="card" aria-label="Mail to ${m.to}"><p><strong>${m.subject}</strong><br>To ${m.to}, ${when(m.createdDate)}</p><pre>${m.text}</pre></section>`)}
      ${mail.length ? "" : html`<p>No mail yet.</p>`}`;
  });
  void notice;
}
