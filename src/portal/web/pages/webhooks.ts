import type { FastifyReply, FastifyRequest } from "fastify";
import { BadRequestError, NotFoundError } from "../../../core/errors.js";
import type { Organization } from "../../organizations.js";
import { html, type SafeHtml } from "../html.js";
import { button, csrfField, field, notice } from "../layout.js";
import { attempt, type PortalWeb } from "../server.js";

const when = (seconds: number) =>
  `${new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC`;
type Message = { kind: "ok" | "error"; text: string; status?: number };

/**
 * An organization's webhook endpoints, on the event bus's domain API (`events.webhooks`):
 * register an endpoint for event types, see its signing secret once, rotate it, send a test
 * event, follow each delivery with its attempts, replay one, turn it off, delete it.
 */
export function webhookPages(web: PortalWeb): void {
  const { app, portal } = web;
  const webhooks = portal.deps.events?.webhooks;

  const orgOf = async (request: FastifyRequest, reply: FastifyReply, need: "member" | "owner" = "member") => {
    const user = web.user(request, reply);
    if (!user) return undefined;
    return portal.organizations.access(user.id, (request.params as { org: string }).org, need);
  };
  const secretBox = (secret: string, what: string): SafeHtml =>
    html`<section class="card" aria-labelledby="secret-title"><h2 id="secret-title">${what}</h2>
      <p><strong>Copy it now: it is shown only this once.</strong> Verify each request's <code>webhook-signature</code> with it (Standard Webhooks).</p>
      <div class="secret-box"><code class="secret" id="webhook-secret">${secret}</code><button type="button" data-copy="webhook-secret" hidden>Copy</button></div></section>`;

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    org: Organization,
    extra: { message?: Message; secret?: string; values?: Record<string, string> } = {},
  ) => {
    const viewer = request.portal.viewer;
    if (!webhooks)
      return web.render(request, reply, {
        title: "Webhooks",
        org,
        body: html`<h1>Webhooks</h1><p>Webhook endpoints are not available on this server.</p>`,
      });
    const [endpoints, types] = [await webhooks.list(org.id), webhooks.eventTypes()];
    const chosen = new Set((extra.values?.eventTypes ?? "").split(",").filter(Boolean));
    return web.render(request, reply, {
      status: extra.message?.status,
      title: "Webhooks",
      org,
      notice: extra.message,
      body: html`<h1>Webhooks</h1>
        <p>The provider's events about your organization are sent, signed, to your HTTPS endpoints.</p>
        ${extra.secret ? secretBox(extra.secret, "The endpoint's signing secret") : ""}
        <div class="table-wrap"><table><caption class="muted">Endpoints of ${org.name}</caption><thead><tr><th scope="col">URL</th><th scope="col">Event types</th><th scope="col">State</th><th scope="col">Created</th></tr></thead><tbody>
        ${endpoints.map((e) => html`<tr><th scope="row"><a href="/orgs/${org.id}/webhooks/${e.id}">${e.url}</a></th><td>${e.eventTypes.length ? e.eventTypes.join(", ") : "every event"}</td><td><span class="badge ${e.enabled ? "active" : "disabled"}">${e.enabled ? "on" : "off"}</span></td><td>${when(e.createdDate)}</td></tr>`)}
        ${endpoints.length ? "" : html`<tr><td colspan="4">No endpoints yet.</td></tr>`}
        </tbody></table></div>
        ${
          org.role === "owner"
            ? html`<h2>Add an endpoint</h2>
          <form class="stack" method="post" action="/orgs/${org.id}/webhooks" novalidate>${csrfField(viewer)}
            ${field({ label: "URL", name: "url", type: "url", value: extra.values?.url, required: true, hint: "https://..." })}
            <fieldset class="field"><legend>Event types <span class="hint">none checked: every event</span></legend>
              ${types.map((t, i) => html`<div><input type="checkbox" id="type-${i}" name="eventType" value="${t}"${chosen.has(t) ? html` checked` : ""}> <label for="type-${i}" class="inline-label">${t}</label></div>`)}
            </fieldset>
            ${field({ label: "Other event types", name: "otherTypes", value: extra.values?.otherTypes, hint: "the provider's own, separated by commas" })}
            ${field({ label: "Description", name: "description", value: extra.values?.description })}
            <div><button type="submit">Add endpoint</button></div></form>`
            : html`<p class="muted">Only owners add endpoints.</p>`
        }`,
    });
  };

  const endpointPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    org: Organization,
    extra: { message?: Message; secret?: string } = {},
  ) => {
    const viewer = request.portal.viewer;
    const { id } = request.params as { id: string };
    const endpoint = await webhooks!.get(org.id, id);
    const { items } = await webhooks!.deliveries(org.id, id, { limit: 50 });
    const owner = org.role === "owner";
    const base = `/orgs/${org.id}/webhooks/${id}`;
    return web.render(request, reply, {
      status: extra.message?.status,
      title: "Webhook endpoint",
      org,
      notice: extra.message,
      body: html`<h1>Webhook endpoint</h1>
        ${extra.secret ? secretBox(extra.secret, "The new signing secret") : ""}
        <dl class="facts"><dt>URL</dt><dd><code>${endpoint.url}</code></dd>
          <dt>Event types</dt><dd>${endpoint.eventTypes.length ? endpoint.eventTypes.join(", ") : "every event"}</dd>
          <dt>State</dt><dd>${endpoint.enabled ? "on" : "off"}</dd>
          <dt>Secrets</dt><dd>${endpoint.secrets.map((s) => html`<div>created ${when(s.CreationTime)}${s.ExpirationTime ? html`, stops ${when(s.ExpirationTime)}` : " (current)"}</div>`)}</dd>
          ${endpoint.description ? html`<dt>Description</dt><dd>${endpoint.description}</dd>` : ""}</dl>
        ${
          owner
            ? html`<p class="actions">${button(viewer, `${base}/test`, "Send a test event")}
            ${button(viewer, `${base}/rotate`, "Rotate the secret", { kind: "secondary" })}
            ${button(viewer, `${base}/enabled`, endpoint.enabled ? "Turn off" : "Turn on", { kind: "secondary", fields: { enabled: endpoint.enabled ? "false" : "true" } })}
            ${button(viewer, `${base}/delete`, "Delete", { kind: "danger", confirm: "Delete this endpoint?" })}</p>
            <p class="muted">After a rotation the previous secret still signs for 24 hours, so receivers can switch.</p>`
            : ""
        }
        <h2>Deliveries</h2>
        <div class="table-wrap"><table><caption class="muted">Newest first</caption><thead><tr><th scope="col">Delivery</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last response</th><th scope="col">Created</th>${owner ? html`<th scope="col">Actions</th>` : ""}</tr></thead><tbody>
        ${items.map(
          (d) =>
            html`<tr><th scope="row" id="d-${d.DeliveryId}"><a href="${base}/deliveries/${d.DeliveryId}">${d.DeliveryId.slice(0, 12)}</a></th><td><span class="badge ${d.Status === "DELIVERED" ? "active" : d.Status === "FAILED" ? "expired" : "pending"}">${d.Status.toLowerCase()}</span></td><td class="num">${d.Attempts}</td><td>${d.LastStatusCode ?? ""}${d.LastError ? html` ${d.LastError}` : ""}</td><td>${when(d.CreationTime)}</td>${owner ? html`<td>${button(viewer, `${base}/deliveries/${d.DeliveryId}/replay`, "Replay", { kind: "secondary", labelledBy: `d-${d.DeliveryId}` })}</td>` : ""}</tr>`,
        )}
        ${items.length ? "" : html`<tr><td colspan="6">No deliveries yet.</td></tr>`}
        </tbody></table></div>
        <p><a href="/orgs/${org.id}/webhooks">All endpoints</a></p>`,
    });
  };

  app.get("/orgs/:org/webhooks", async (request, reply) => {
    const org = await orgOf(request, reply);
    return org ? listPage(request, reply, org) : reply;
  });
  app.post("/orgs/:org/webhooks", async (request, reply) => {
    const org = await orgOf(request, reply, "owner");
    if (!org) return reply;
    if (!webhooks) throw new NotFoundError("Webhooks are not available");
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const checked = ([] as unknown[]).concat(raw.eventType ?? []).map(String);
    const f = web.form(request);
    const other = (f.otherTypes ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const values = { ...f, eventTypes: [...checked, ...other].join(",") };
    const url = (f.url ?? "").trim();
    const result = await attempt(
      async () => {
        // The portal asks for HTTPS; the event bus refuses other schemes unless the operator allows http.
        if (!/^https?:\/\//.test(url))
          throw new BadRequestError("Enter the endpoint's URL, starting with https://.");
        return webhooks.create(org.id, {
          url,
          eventTypes: [...checked, ...other],
          ...(f.description?.trim() ? { description: f.description.trim() } : {}),
        });
      },
      (text, status) => listPage(request, reply, org, { message: { kind: "error", text, status }, values }),
      web,
    );
    if (!result.ok) return result.reply;
    return listPage(request, reply, org, {
      message: { kind: "ok", text: "Endpoint added." },
      secret: result.value.secret,
    });
  });

  const own = async (request: FastifyRequest, reply: FastifyReply, need: "member" | "owner" = "member") => {
    const org = await orgOf(request, reply, need);
    if (!org) return undefined;
    if (!webhooks) throw new NotFoundError("Webhooks are not available");
    // Another organization's endpoint id is a NotFound from the event bus (it is scoped by tenant).
    await webhooks.get(org.id, (request.params as { id: string }).id);
    return org;
  };
  app.get("/orgs/:org/webhooks/:id", async (request, reply) => {
    const org = await own(request, reply);
    return org ? endpointPage(request, reply, org) : reply;
  });
  const action = (
    path: string,
    run: (
      org: Organization,
      request: FastifyRequest,
      form: Record<string, string>,
    ) => Promise<{ text: string; secret?: string }>,
  ) =>
    app.post(path, async (request, reply) => {
      const org = await own(request, reply, "owner");
      if (!org) return reply;
      const result = await attempt(
        () => run(org, request, web.form(request)),
        (text, status) => endpointPage(request, reply, org, { message: { kind: "error", text, status } }),
        web,
      );
      if (!result.ok) return result.reply;
      return endpointPage(request, reply, org, {
        message: { kind: "ok", text: result.value.text },
        secret: result.value.secret,
      });
    });
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  action("/orgs/:org/webhooks/:id/test", async (org, request) => {
    await webhooks!.sendTest(org.id, id(request));
    return { text: "Test event sent: its delivery is below." };
  });
  action("/orgs/:org/webhooks/:id/rotate", async (org, request) => {
    const { secret } = await webhooks!.rotateSecret(org.id, id(request));
    return { text: "Secret rotated.", secret };
  });
  action("/orgs/:org/webhooks/:id/enabled", async (org, request, f) => {
    const endpoint = await webhooks!.update(org.id, id(request), { enabled: f.enabled === "true" });
    return { text: endpoint.enabled ? "Endpoint turned on." : "Endpoint turned off." };
  });
  action("/orgs/:org/webhooks/:id/deliveries/:delivery/replay", async (org, request) => {
    const delivery = (request.params as { delivery: string }).delivery;
    await ownDelivery(org.id, id(request), delivery);
    await webhooks!.replay(org.id, delivery);
    return { text: "Delivery replayed as a new delivery." };
  });
  app.post("/orgs/:org/webhooks/:id/delete", async (request, reply) => {
    const org = await own(request, reply, "owner");
    if (!org) return reply;
    await webhooks!.delete(org.id, id(request));
    return listPage(request, reply, org, { message: { kind: "ok", text: "Endpoint deleted." } });
  });

  /** The delivery, when it went to this endpoint of this organization. */
  const ownDelivery = async (tenantId: string, endpointId: string, deliveryId: string) => {
    const detail = await webhooks!.delivery(tenantId, deliveryId).catch(() => undefined);
    if (!detail || detail.Delivery.Rule !== `webhook-${endpointId}`)
      throw new NotFoundError("No such delivery");
    return detail;
  };
  app.get("/orgs/:org/webhooks/:id/deliveries/:delivery", async (request, reply) => {
    const org = await own(request, reply);
    if (!org) return reply;
    const detail = await ownDelivery(org.id, id(request), (request.params as { delivery: string }).delivery);
    let event = detail.Event;
    try {
      event = JSON.stringify(JSON.parse(detail.Event), null, 2);
    } catch {}
    return web.render(request, reply, {
      title: "Delivery",
      org,
      body: html`<h1>Delivery ${detail.Delivery.DeliveryId}</h1>
        <p>Status: <strong>${detail.Delivery.Status.toLowerCase()}</strong>. <a href="/orgs/${org.id}/webhooks/${id(request)}">Back to the endpoint</a></p>
        <h2>Attempts</h2>
        <div class="table-wrap"><table><thead><tr><th scope="col" class="num">Attempt</th><th scope="col">Outcome</th><th scope="col">Status code</th><th scope="col" class="num">Latency (ms)</th><th scope="col">Error</th><th scope="col">Time</th></tr></thead><tbody>
        ${detail.Attempts.map((a) => html`<tr><th scope="row" class="num">${a.Attempt}</th><td>${a.Outcome.toLowerCase()}</td><td>${a.StatusCode ?? ""}</td><td class="num">${a.LatencyMs}</td><td>${a.Error ?? ""}</td><td>${when(a.Time)}</td></tr>`)}
        ${detail.Attempts.length ? "" : html`<tr><td colspan="6">No attempt yet.</td></tr>`}
        </tbody></table></div>
        <h2>Event</h2><pre tabindex="0">${event}</pre>`,
    });
  });
  void notice;
}
