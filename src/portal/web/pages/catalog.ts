import type { CatalogPlan } from "../../catalog.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField, type Viewer } from "../layout.js";
import type { PortalWeb } from "../server.js";

/** A plan's terms in words: price, rate, burst, quota. */
export function planTerms(plan: CatalogPlan): SafeHtml {
  const price = plan.price;
  const fee = price ? `${price.monthlyFee} ${price.currency} a month` : "No charge";
  const included = price?.includedRequests
    ? `, ${price.includedRequests.toLocaleString("en")} requests included`
    : "";
  const overage = price?.tiers.length
    ? `, then from ${price.tiers[0]!.unitAmount} ${price.currency} per 1,000`
    : "";
  return html`<dl class="facts">
    <dt>Price</dt><dd>${fee}${included}${overage}</dd>
    <dt>Rate</dt><dd>${plan.throttle?.rateLimit !== undefined ? `${plan.throttle.rateLimit} requests/s, burst ${plan.throttle.burstLimit ?? 0}` : "not limited"}</dd>
    <dt>Quota</dt><dd>${plan.quota?.limit !== undefined ? `${plan.quota.limit.toLocaleString("en")} per ${String(plan.quota.period ?? "MONTH").toLowerCase()}` : "none"}</dd>
    ${plan.approvalRequired ? html`<dt>Approval</dt><dd>the provider approves subscriptions</dd>` : ""}
  </dl>`;
}

/** The subscribe control of a plan for the viewer's organizations (posts to the organization's plan page). */
function subscribeForm(viewer: Viewer, plan: CatalogPlan, idSuffix: string): SafeHtml {
  if (!viewer.user) return html`<p><a href="/sign-in">Sign in</a> to subscribe.</p>`;
  const owned = viewer.orgs;
  if (!owned.length) return html`<p><a href="/orgs/new">Create an organization</a> to subscribe.</p>`;
  const id = `org-${plan.id}-${idSuffix}`;
  return html`<form class="inline" method="post" action="/subscribe">${csrfField(viewer)}<input type="hidden" name="planId" value="${plan.id}">
    ${owned.length > 1 ? html`<label for="${id}">Organization</label><select id="${id}" name="orgId">${owned.map((o) => html`<option value="${o.id}">${o.name}</option>`)}</select>` : html`<input type="hidden" name="orgId" value="${owned[0]!.id}">`}
    <button type="submit">${plan.approvalRequired ? "Request" : "Subscribe to"} ${plan.name}</button></form>`;
}

/** The catalog, API stage pages with their plans and curl line, the reference with try-it, and OpenAPI downloads. */
export function catalogPages(web: PortalWeb): void {
  const { app, portal } = web;

  app.get("/catalog", async (request, reply) => {
    const [apis, documents] = await Promise.all([
      portal.catalog.apis({ publishedOnly: true }),
      portal.catalog.documents({ publishedOnly: true }),
    ]);
    return web.render(request, reply, {
      title: "APIs",
      body: html`<h1>APIs</h1>
        ${apis.length || documents.length ? "" : html`<p>No API is published yet.</p>`}
        <div class="cards">${apis.map(
          (
            api,
          ) => html`<section class="card" aria-labelledby="api-${api.id}"><h2 id="api-${api.id}">${api.name}</h2>
            ${api.description ? html`<p>${api.description}</p>` : ""}
            <ul>${api.stages.map((s) => html`<li><a href="/apis/${api.id}/${s.name}">Stage ${s.name}</a>: ${s.plans.length} plan${s.plans.length === 1 ? "" : "s"} (${s.plans.map((p) => p.name).join(", ") || "none"})</li>`)}</ul></section>`,
        )}
        ${documents.map((d) => html`<section class="card" aria-labelledby="doc-${d.id}"><h2 id="doc-${d.id}">${d.name}</h2>${d.description ? html`<p>${d.description}</p>` : ""}<p><a href="/documents/${d.id}/reference">Reference</a> · <a href="/documents/${d.id}/openapi.json" download>OpenAPI file</a></p></section>`)}
        </div>`,
    });
  });

  app.get("/apis/:api/:stage", async (request, reply) => {
    const { api: apiId, stage: stageName } = request.params as { api: string; stage: string };
    const { api, stage } = await portal.catalog.publishedStage(apiId, stageName);
    const document = await portal.catalog.referenceDocument(apiId, stageName);
    const base = `${portal.config.gatewayUrl}/${stageName}`;
    const firstGet =
      Object.entries((document.paths ?? {}) as Record<string, Record<string, unknown>>).find(
        ([, item]) => item.get,
      )?.[0] ?? "/";
    const viewer = request.portal.viewer;
    return web.render(request, reply, {
      title: `${api.name} (${stage.name})`,
      body: html`<h1>${api.name} <span class="muted">stage ${stage.name}</span></h1>
        ${api.description ? html`<p>${api.description}</p>` : ""}
        <p class="actions"><a class="button" href="/apis/${api.id}/${stage.name}/reference">API reference and try-it</a>
        <a class="button secondary" href="/apis/${api.id}/${stage.name}/openapi.json" download="${api.name}-${stage.name}.json">Download the OpenAPI file</a></p>
        <h2>Call it</h2>
        <p>Base URL: <code>${base}</code>. Send your key in the <code>x-api-key</code> header:</p>
        <pre id="curl-line">curl -H "x-api-key: YOUR_API_KEY" ${base}${firstGet}</pre>
        <button type="button" class="secondary" data-copy="curl-line" hidden>Copy</button>
        <h2>Plans for this stage</h2>
        ${stage.plans.length ? "" : html`<p>No plan covers this stage yet.</p>`}
        <div class="cards">${stage.plans.map(
          (
            plan,
          ) => html`<section class="card" aria-labelledby="plan-${plan.id}"><h3 id="plan-${plan.id}">${plan.name}</h3>
            ${plan.description ? html`<p>${plan.description}</p>` : ""}${planTerms(plan)}${subscribeForm(viewer, plan, stage.name)}</section>`,
        )}</div>`,
    });
  });

  app.get("/apis/:api/:stage/openapi.json", async (request, reply) => {
    const { api, stage } = request.params as { api: string; stage: string };
    const document = await portal.catalog.referenceDocument(api, stage);
    return reply
      .header("content-disposition", `attachment; filename="${api}-${stage}-openapi.json"`)
      .type("application/json")
      .send(JSON.stringify(document, null, 2));
  });

  const referencePage = (
    viewer: Viewer,
    input: { title: string; spec: string; back: string; org?: string; tryIt: boolean },
  ): SafeHtml => html`
    <h1>${input.title}</h1>
    <p><a href="${input.back}">Back</a> · <a href="${input.spec}" download>Download the OpenAPI file</a></p>
    ${
      input.tryIt
        ? html`<form class="stack no-print" method="get" action="">
            ${viewer.orgs.length > 1 ? html`<div class="field"><label for="reference-org">Organization</label><select id="reference-org" name="org">${viewer.orgs.map((o) => html`<option value="${o.id}"${o.id === input.org ? html` selected` : ""}>${o.name}</option>`)}</select></div><div><button type="submit" class="secondary">Switch</button></div>` : ""}
            <div class="field"><label for="reference-key">API key for try-it <span class="hint">the key you created in this browser tab is filled in; requests go to the gateway</span></label>
            <input id="reference-key" type="password" autocomplete="off" spellcheck="false"></div></form>`
        : html`<p class="muted">This document is documentation only: its requests are not served by this gateway.</p>`
    }
    <div id="reference" data-spec="${input.spec}" data-org="${input.org ?? ""}"><p class="muted">The interactive reference needs JavaScript. <a href="${input.spec}">Read the OpenAPI file</a>.</p></div>`;

  app.get("/apis/:api/:stage/reference", async (request, reply) => {
    const { api: apiId, stage: stageName } = request.params as { api: string; stage: string };
    const { api, stage } = await portal.catalog.publishedStage(apiId, stageName);
    const viewer = request.portal.viewer;
    const wanted = String((request.query as Record<string, string>).org ?? "");
    const org = viewer.orgs.find((o) => o.id === wanted) ?? viewer.orgs[0];
    return web.render(request, reply, {
      title: `${api.name} reference`,
      styles: ["/assets/swagger-ui.css", "/assets/reference.css"],
      scripts: ["/assets/swagger-ui-bundle.js", "/assets/reference.js"],
      body: referencePage(viewer, {
        title: `${api.name} (${stage.name}) reference`,
        spec: `/apis/${api.id}/${stage.name}/openapi.json`,
        back: `/apis/${api.id}/${stage.name}`,
        org: org?.id,
        tryIt: true,
      }),
    });
  });

  app.get("/documents/:id/openapi.json", async (request, reply) => {
    const { id } = request.params as { id: string };
    const document = await portal.catalog.document(id, { publishedOnly: !request.portal.viewer.admin });
    return reply
      .header("content-disposition", `attachment; filename="${id}-openapi.json"`)
      .type("application/json")
      .send(JSON.stringify(document.content, null, 2));
  });
  app.get("/documents/:id/reference", async (request, reply) => {
    const { id } = request.params as { id: string };
    const document = await portal.catalog.document(id, { publishedOnly: !request.portal.viewer.admin });
    return web.render(request, reply, {
      title: `${document.name} reference`,
      styles: ["/assets/swagger-ui.css", "/assets/reference.css"],
      scripts: ["/assets/swagger-ui-bundle.js", "/assets/reference.js"],
      body: referencePage(request.portal.viewer, {
        title: document.name,
        spec: `/documents/${id}/openapi.json`,
        back: "/catalog",
        tryIt: false,
      }),
    });
  });
}
