import type { PortalConfig } from "../config.js";
import type { Organization } from "../organizations.js";
import { html, type SafeHtml } from "./html.js";

/** Who is looking at a page, and the form token their forms carry. */
export interface Viewer {
  csrf: string;
  user?: { id: string; name: string; email: string };
  admin: boolean;
  orgs: Organization[];
}

export interface PageInput {
  title: string;
  viewer: Viewer;
  body: SafeHtml;
  /** The path of the page, to mark the current navigation entry. */
  path: string;
  /** The organization the page belongs to: shows its navigation. */
  org?: Organization;
  /** Extra stylesheets and scripts of this page (served by the portal). */
  styles?: string[];
  scripts?: string[];
  /** A message at the top: `ok`, `error` or `info`. */
  notice?: { kind: "ok" | "error" | "info"; text: string };
}

/** The hidden field every form carries. */
export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** A labelled input with its hint and error, wired with aria-describedby. */
export function field(input: {
  label: string;
  name: string;
  type?: string;
  value?: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  required?: boolean;
  attrs?: SafeHtml;
}): SafeHtml {
  const id = `f-${input.name}`;
  const described = [input.hint ? `${id}-hint` : "", input.error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return html`<div class="field${input.error ? " invalid" : ""}">
    <label for="${id}">${input.label}${input.hint ? html` <span class="hint" id="${id}-hint">${input.hint}</span>` : ""}</label>
    <input id="${id}" name="${input.name}" type="${input.type ?? "text"}" value="${input.value ?? ""}"${input.autocomplete ? html` autocomplete="${input.autocomplete}"` : ""}${input.required ? html` required` : ""}${described ? html` aria-describedby="${described}"` : ""}${input.error ? html` aria-invalid="true"` : ""}${input.attrs ?? ""}>
    ${input.error ? html`<span class="error-text" id="${id}-error">${input.error}</span>` : ""}
  </div>`;
}

/** A one-button form posting to `action` (with the CSRF token). */
export function button(
  viewer: Viewer,
  action: string,
  label: string,
  options: {
    kind?: "secondary" | "danger";
    confirm?: string;
    fields?: Record<string, string>;
    labelledBy?: string;
  } = {},
): SafeHtml {
  return html`<form class="inline" method="post" action="${action}"${options.confirm ? html` data-confirm="${options.confirm}"` : ""}>${csrfField(viewer)}${Object.entries(options.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${options.kind ? html` class="${options.kind}"` : ""}${options.labelledBy ? html` aria-describedby="${options.labelledBy}"` : ""}>${label}</button></form>`;
}

export function notice(kind: "ok" | "error" | "info", text: string): SafeHtml {
  return html`<div class="alert ${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</div>`;
}

/** The whole document around a page's body. */
export function page(config: PortalConfig, input: PageInput): SafeHtml {
  const { viewer } = input;
  const current = (href: string) =>
    input.path === href || (href !== "/" && input.path.startsWith(`${href}/`))
      ? html` aria-current="page"`
      : "";
  const mainNav = viewer.admin
    ? [
        ["/admin", "Overview"],
        ["/admin/developers", "Developers"],
        ["/admin/catalog", "Catalog"],
        ["/admin/plans", "Plans"],
        ["/admin/subscriptions", "Subscriptions"],
        ["/admin/organizations", "Organizations"],
        ["/admin/usage", "Usage"],
        ["/admin/invoices", "Invoices"],
        ["/admin/mail", "Mail"],
      ]
    : [
        ["/", "Home"],
        ["/getting-started", "Getting started"],
        ["/catalog", "APIs"],
        ...(viewer.user ? [["/orgs", "Organizations"]] : []),
      ];
  const account = viewer.user
    ? html`<span class="who">${viewer.user.name}</span><form method="post" action="/sign-out">${csrfField(viewer)}<button type="submit">Sign out</button></form>`
    : viewer.admin
      ? html`<span class="who">Operator</span><form method="post" action="/admin/sign-out">${csrfField(viewer)}<button type="submit">Sign out</button></form>`
      : html`<a href="/sign-in"${current("/sign-in")}>Sign in</a> <a href="/sign-up"${current("/sign-up")}>Sign up</a>`;
  const org = input.org;
  const orgNav = org
    ? html`<nav class="org" aria-label="${org.name}"><ul>
        ${[
          [`/orgs/${org.id}`, "Overview"],
          [`/orgs/${org.id}/plan`, "Plan"],
          [`/orgs/${org.id}/keys`, "API keys"],
          [`/orgs/${org.id}/usage`, "Usage"],
          [`/orgs/${org.id}/invoices`, "Invoices"],
          [`/orgs/${org.id}/webhooks`, "Webhooks"],
          [`/orgs/${org.id}/members`, "Members"],
        ].map(
          ([href, label]) =>
            html`<li><a href="${href}"${input.path === href ? html` aria-current="page"` : ""}>${label}</a></li>`,
        )}
      </ul></nav>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · ${config.title}</title>
<link rel="stylesheet" href="/assets/portal.css">
<link rel="stylesheet" href="/assets/theme.css">
${(input.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
  <a class="brand" href="${viewer.admin ? "/admin" : "/"}">${config.logo ? html`<img src="/assets/logo" alt="">` : ""}<span>${config.title}${viewer.admin ? " · admin" : ""}</span></a>
  <nav class="main" aria-label="Main"><ul>${mainNav.map(([href, label]) => html`<li><a href="${href}"${current(href!)}>${label}</a></li>`)}</ul></nav>
  <div class="actions">${account}</div>
</div></header>
${orgNav}
<main id="main">
${input.notice ? notice(input.notice.kind, input.notice.text) : ""}
${input.body}
</main>
<footer>Served by Tollgate.</footer>
<script src="/assets/portal.js" defer></script>
${(input.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</body>
</html>`;
}
