import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { DomainError, HTTP_STATUS } from "../../core/errors.js";
import { safeEqual } from "../../core/secrets.js";
import { EventsError } from "../../events/index.js";
import type { Portal } from "../portal.js";
import type { Session } from "../sessions.js";
import { PORTAL_CSS } from "./assets/portal-css.js";
import { PORTAL_JS } from "./assets/portal-js.js";
import { REFERENCE_CSS } from "./assets/reference-css.js";
import { REFERENCE_JS } from "./assets/reference-js.js";
import { html, type SafeHtml } from "./html.js";
import { type PageInput, page, type Viewer } from "./layout.js";

/** What the portal's hooks attach to each page request. */
export interface PortalState {
  session: Session;
  viewer: Viewer;
}

declare module "fastify" {
  interface FastifyRequest {
    portal: PortalState;
  }
}

/** Everything a page module needs. */
export interface PortalWeb {
  app: FastifyInstance;
  portal: Portal;
  /** The admin API's bearer token: the operator signs in to the console with it. */
  adminToken: string;
  render(
    request: FastifyRequest,
    reply: FastifyReply,
    input: Omit<PageInput, "viewer" | "path"> & { status?: number },
  ): FastifyReply;
  /** The form fields of a POST, first value of each. */
  form(request: FastifyRequest): Record<string, string>;
  /** Starts a new session for a user or the operator (a new id: the old one is deleted). */
  startSession(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { userId?: string; admin?: boolean },
  ): Promise<void>;
  endSession(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The signed-in developer, or a redirect to sign-in (returns undefined then). */
  user(request: FastifyRequest, reply: FastifyReply): { id: string; name: string; email: string } | undefined;
  /** True for the operator; otherwise redirects to the console's sign-in. */
  admin(request: FastifyRequest, reply: FastifyReply): boolean;
  /** The status of a domain error (400, 404, 409, 429, ...). */
  statusOf(error: DomainError | EventsError): number;
}

export interface PortalServerOptions {
  portal: Portal;
  adminToken: string;
  /** Origin of the gateway that try-it calls (allowed in connect-src on reference pages). */
  gatewayOrigin: string;
  logger?: boolean;
  /** Page modules; each registers its routes. */
  pages: Array<(web: PortalWeb) => void>;
}

const BASE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * The reference page runs Swagger UI, which sets inline `style` attributes (so 'unsafe-inline'
 * for styles only, never scripts) and calls the gateway for try-it (its origin in connect-src).
 */
function referenceCsp(gatewayOrigin: string): string {
  return BASE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "connect-src 'self'",
    `connect-src 'self' ${gatewayOrigin}`,
  );
}

const require = createRequire(import.meta.url);

/** Files served under /assets: ours from strings, Swagger UI's from its npm package. */
function assets(portal: Portal): Map<string, { type: string; body: string | Buffer }> {
  const swagger = (file: string) => readFileSync(require.resolve(`swagger-ui-dist/${file}`));
  const { primary, accent } = portal.config.colors;
  const map = new Map<string, { type: string; body: string | Buffer }>([
    ["portal.css", { type: "text/css; charset=utf-8", body: PORTAL_CSS }],
    [
      "theme.css",
      { type: "text/css; charset=utf-8", body: `:root{--primary:${primary};--accent:${accent}}` },
    ],
    ["portal.js", { type: "text/javascript; charset=utf-8", body: PORTAL_JS }],
    ["reference.js", { type: "text/javascript; charset=utf-8", body: REFERENCE_JS }],
    ["reference.css", { type: "text/css; charset=utf-8", body: REFERENCE_CSS }],
    ["swagger-ui.css", { type: "text/css; charset=utf-8", body: swagger("swagger-ui.css") }],
    [
      "swagger-ui-bundle.js",
      { type: "text/javascript; charset=utf-8", body: swagger("swagger-ui-bundle.js") },
    ],
  ]);
  if (portal.config.logo)
    map.set("logo", { type: portal.config.logo.contentType, body: portal.config.logo.body });
  return map;
}

/** Builds the portal's Fastify server: sessions, CSRF, security headers, assets, then the pages. */
export async function createPortalServer(options: PortalServerOptions): Promise<FastifyInstance> {
  const { portal } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 6 * 1024 * 1024, trustProxy: false });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  app.decorateRequest("portal", undefined as unknown as PortalState);
  const secure = portal.config.publicUrl.startsWith("https:");
  const cookieName = secure ? "__Host-tollgate_session" : "tollgate_session";
  const files = assets(portal);
  const csp = { base: BASE_CSP, reference: referenceCsp(options.gatewayOrigin) };

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "same-origin");
    reply.header("x-frame-options", "DENY");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("content-security-policy", request.url.includes("/reference") ? csp.reference : csp.base);
    if (secure) reply.header("strict-transport-security", "max-age=31536000");
  });

  app.get("/assets/:file", async (request, reply) => {
    const file = files.get((request.params as { file: string }).file);
    if (!file) return reply.status(404).type("text/plain").send("Not found");
    return reply.header("cache-control", "public, max-age=3600").type(file.type).send(file.body);
  });
  app.get("/health", async () => ({ status: "ok" }));

  const setCookie = (reply: FastifyReply, secret: string, maxAgeMs: number) =>
    reply.setCookie(cookieName, secret, {
      httpOnly: true,
      sameSite: "lax",
      secure,
      path: "/",
      maxAge: Math.floor(maxAgeMs / 1000),
    });

  // Every page has a session (anonymous until sign-in), so every form can carry a CSRF token.
  app.addHook("preHandler", async (request, reply) => {
    if (request.url.startsWith("/assets/") || request.url === "/health") return;
    let session = await portal.sessions.get(request.cookies[cookieName]);
    if (session?.userId) {
      const user = await portal.accounts.get(session.userId).catch(() => undefined);
      if (user?.status !== "ACTIVE") {
        await portal.sessions.destroy(session);
        session = undefined;
      }
    }
    if (!session) {
      const created = await portal.sessions.create();
      session = created.session;
      setCookie(reply, created.secret, session.expiresAt - Date.now());
    }
    const user = session.userId ? await portal.accounts.get(session.userId) : undefined;
    request.portal = {
      session,
      viewer: {
        csrf: session.csrfToken,
        admin: session.admin,
        orgs: user ? await portal.organizations.forUser(user.id) : [],
        ...(user ? { user: { id: user.id, name: user.name, email: user.email } } : {}),
      },
    };
    if (request.method === "POST") {
      const token = (request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof token !== "string" || !safeEqual(token, session.csrfToken)) {
        return web.render(request, reply, {
          status: 403,
          title: "Form expired",
          body: html`<h1>This form has expired</h1><p>The form was sent without a valid token: it may be old, or it came from another site. Go back, reload the page and try again.</p>`,
        });
      }
    }
  });

  const web: PortalWeb = {
    app,
    portal,
    adminToken: options.adminToken,
    render(request, reply, input) {
      const body = page(portal.config, {
        ...input,
        viewer: request.portal.viewer,
        path: request.url.split("?")[0] ?? "/",
      });
      return reply
        .status(input.status ?? 200)
        .header("cache-control", "no-store")
        .type("text/html; charset=utf-8")
        .send(body.value);
    },
    form(request) {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries((request.body ?? {}) as Record<string, unknown>)) {
        out[k] = Array.isArray(v) ? String(v[0] ?? "") : String(v ?? "");
      }
      return out;
    },
    async startSession(request, reply, input) {
      await portal.sessions.destroy(request.portal.session);
      const { session, secret } = await portal.sessions.create(input);
      setCookie(reply, secret, session.expiresAt - Date.now());
    },
    async endSession(request, reply) {
      await portal.sessions.destroy(request.portal.session);
      reply.clearCookie(cookieName, { path: "/" });
    },
    user(request, reply) {
      const user = request.portal.viewer.user;
      if (!user) {
        const next = request.method === "GET" ? `?next=${encodeURIComponent(request.url)}` : "";
        reply.redirect(`/sign-in${next}`, 303);
      }
      return user;
    },
    admin(request, reply) {
      if (request.portal.viewer.admin) return true;
      reply.redirect("/admin/sign-in", 303);
      return false;
    },
    statusOf: (error) => (error instanceof EventsError ? eventsStatus(error) : HTTP_STATUS[error.code]),
  };

  app.setNotFoundHandler((request, reply) => {
    if (!request.portal) return reply.status(404).type("text/plain").send("Not found");
    return web.render(request, reply, { status: 404, title: "Not found", body: notFound() });
  });
  app.setErrorHandler((error, request, reply) => {
    if ((error instanceof DomainError || error instanceof EventsError) && request.portal) {
      const status = web.statusOf(error);
      if (status === 404) return web.render(request, reply, { status, title: "Not found", body: notFound() });
      return web.render(request, reply, {
        status,
        title: "Not possible",
        body: html`<h1>That did not work</h1><p>${error.message}</p>`,
      });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500)
      return reply
        .status(status)
        .type("text/plain")
        .send((error as Error).message);
    request.log.error({ err: error }, "portal request failed");
    if (!request.portal) return reply.status(500).type("text/plain").send("Internal error");
    return web.render(request, reply, {
      status: 500,
      title: "Error",
      body: html`<h1>Something went wrong</h1><p>The error was logged. Try again in a moment.</p>`,
    });
  });

  for (const register of options.pages) register(web);
  return app;
}

/** The event bus's errors (webhooks) as page statuses. */
function eventsStatus(error: EventsError): number {
  if (error.code === "ResourceNotFoundException") return 404;
  if (error.code === "ResourceAlreadyExistsException" || error.code === "ConcurrentModificationException")
    return 409;
  if (error.code === "LimitExceededException") return 429;
  if (error.code === "InternalException") return 500;
  return 400;
}

function notFound(): SafeHtml {
  return html`<h1>Not found</h1><p>There is nothing here, or you do not have access to it. <a href="/">Go to the home page</a>.</p>`;
}

/** Runs a form action; a domain error re-renders the form with its message and status. */
export async function attempt<T>(
  action: () => Promise<T>,
  onError: (message: string, status: number) => FastifyReply | Promise<FastifyReply>,
  web: PortalWeb,
): Promise<{ ok: true; value: T } | { ok: false; reply: FastifyReply }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (error instanceof DomainError || error instanceof EventsError)
      return { ok: false, reply: await onError(error.message, web.statusOf(error)) };
    throw error;
  }
}
