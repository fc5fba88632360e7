import { safeEqual } from "../../../core/secrets.js";
import { MIN_PASSWORD_LENGTH } from "../../accounts.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField, field, notice, type Viewer } from "../layout.js";
import { renderMarkdown } from "../markdown.js";
import { attempt, type PortalWeb } from "../server.js";

/** Home, getting started, sign-up, email verification, sign-in and out, password reset, invitations, the operator's sign-in. */
export function authPages(web: PortalWeb): void {
  const { app, portal } = web;
  const mode = portal.accounts.registration;

  app.get("/", (request, reply) =>
    web.render(request, reply, {
      title: "Home",
      body: html`<div class="prose">${renderMarkdown(portal.config.pages.home)}</div>`,
    }),
  );
  app.get("/getting-started", (request, reply) =>
    web.render(request, reply, {
      title: "Getting started",
      body: html`<div class="prose">${renderMarkdown(portal.config.pages.gettingStarted)}</div>`,
    }),
  );

  const signUpForm = (viewer: Viewer, values: Record<string, string>, error?: string): SafeHtml => html`
    <h1>Create your account</h1>
    ${mode === "invite" && !values.invitation ? notice("info", "Registration is by invitation: open the link of your invitation to sign up.") : ""}
    ${mode === "request" ? notice("info", "New accounts are approved by the provider before they can sign in.") : ""}
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/sign-up" novalidate>
      ${csrfField(viewer)}
      ${values.invitation ? html`<input type="hidden" name="invitation" value="${values.invitation}">` : ""}
      ${field({ label: "Name", name: "name", value: values.name, autocomplete: "name", required: true })}
      ${field({ label: "Email", name: "email", type: "email", value: values.email, autocomplete: "email", required: true })}
      ${field({ label: "Password", name: "password", type: "password", autocomplete: "new-password", required: true, hint: `at least ${MIN_PASSWORD_LENGTH} characters` })}
      <div><button type="submit">Create account</button></div>
    </form>
    <p>Already registered? <a href="/sign-in">Sign in</a>.</p>`;

  app.get("/sign-up", (request, reply) => {
    const invitation = String((request.query as Record<string, string>).invitation ?? "");
    return web.render(request, reply, {
      title: "Sign up",
      body: signUpForm(request.portal.viewer, { invitation }),
    });
  });
  app.post("/sign-up", async (request, reply) => {
    const f = web.form(request);
    const result = await attempt(
      () =>
        portal.accounts.register({
          email: f.email ?? "",
          name: f.name ?? "",
          password: f.password ?? "",
          invitation: f.invitation || undefined,
        }),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "Sign up",
          body: signUpForm(request.portal.viewer, { ...f, password: "" }, message),
        }),
      web,
    );
    if (!result.ok) return result.reply;
    return web.render(request, reply, {
      title: "Check your email",
      body: html`<h1>Check your email</h1><p>${f.invitation ? "Your account is ready: sign in." : html`We sent a confirmation link to <strong>${f.email}</strong>. Follow it to finish registering.`}</p><p><a href="/sign-in">Sign in</a></p>`,
    });
  });

  app.get("/verify", async (request, reply) => {
    const token = String((request.query as Record<string, string>).token ?? "");
    const result = await attempt(
      () => portal.accounts.verify(token),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "Confirmation",
          body: html`<h1>Confirmation failed</h1>${notice("error", message)}`,
        }),
      web,
    );
    if (!result.ok) return result.reply;
    const pending = result.value.status === "PENDING";
    return web.render(request, reply, {
      title: "Email confirmed",
      body: html`<h1>Email confirmed</h1><p>${pending ? "Thank you. The provider approves new accounts: you will get an email when yours is approved." : html`Your address is confirmed. <a href="/sign-in">Sign in</a>.`}</p>`,
    });
  });

  const signInForm = (viewer: Viewer, values: Record<string, string>, error?: string): SafeHtml => html`
    <h1>Sign in</h1>
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/sign-in" novalidate>
      ${csrfField(viewer)}
      <input type="hidden" name="next" value="${values.next ?? ""}">
      ${field({ label: "Email", name: "email", type: "email", value: values.email, autocomplete: "username", required: true })}
      ${field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true })}
      <div><button type="submit">Sign in</button></div>
    </form>
    <p><a href="/reset">Forgot your password?</a> · <a href="/sign-up">Create an account</a></p>`;

  app.get("/sign-in", (request, reply) => {
    const next = String((request.query as Record<string, string>).next ?? "");
    return web.render(request, reply, {
      title: "Sign in",
      body: signInForm(request.portal.viewer, { next }),
    });
  });
  app.post("/sign-in", async (request, reply) => {
    const f = web.form(request);
    const result = await attempt(
      () => portal.accounts.signIn(f.email ?? "", f.password ?? "", request.ip),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "Sign in",
          body: signInForm(request.portal.viewer, { email: f.email ?? "", next: f.next ?? "" }, message),
        }),
      web,
    );
    if (!result.ok) return result.reply;
    await web.startSession(request, reply, { userId: result.value.id });
    // Only local paths: an absolute URL here would be an open redirect.
    const next = f.next && /^\/(?![/\\])/.test(f.next) ? f.next : "/orgs";
    return reply.redirect(next, 303);
  });
  app.post("/sign-out", async (request, reply) => {
    await web.endSession(request, reply);
    return reply.redirect("/", 303);
  });

  const resetForm = (viewer: Viewer, email = "", error?: string): SafeHtml => html`
    <h1>Reset your password</h1>
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/reset" novalidate>
      ${csrfField(viewer)}
      ${field({ label: "Email", name: "email", type: "email", value: email, autocomplete: "email", required: true })}
      <div><button type="submit">Send a reset link</button></div>
    </form>`;
  app.get("/reset", (request, reply) =>
    web.render(request, reply, { title: "Reset password", body: resetForm(request.portal.viewer) }),
  );
  app.post("/reset", async (request, reply) => {
    const f = web.form(request);
    const result = await attempt(
      () => portal.accounts.requestReset(f.email ?? ""),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "Reset password",
          body: resetForm(request.portal.viewer, f.email, message),
        }),
      web,
    );
    if (!result.ok) return result.reply;
    return web.render(request, reply, {
      title: "Check your email",
      body: html`<h1>Check your email</h1><p>If <strong>${f.email}</strong> has an account, a reset link is on its way. It works for one hour.</p>`,
    });
  });

  const newPasswordForm = (viewer: Viewer, token: string, error?: string): SafeHtml => html`
    <h1>Choose a new password</h1>
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/reset/confirm" novalidate>
      ${csrfField(viewer)}
      <input type="hidden" name="token" value="${token}">
      ${field({ label: "New password", name: "password", type: "password", autocomplete: "new-password", required: true, hint: `at least ${MIN_PASSWORD_LENGTH} characters` })}
      <div><button type="submit">Set password</button></div>
    </form>`;
  app.get("/reset/confirm", async (request, reply) => {
    const token = String((request.query as Record<string, string>).token ?? "");
    if (!(await portal.accounts.resetTokenValid(token))) {
      return web.render(request, reply, {
        status: 400,
        title: "Reset password",
        body: html`<h1>Reset password</h1>${notice("error", "This reset link is not valid any more: ask for a new one.")}<p><a href="/reset">Ask for a new link</a></p>`,
      });
    }
    return web.render(request, reply, {
      title: "New password",
      body: newPasswordForm(request.portal.viewer, token),
    });
  });
  app.post("/reset/confirm", async (request, reply) => {
    const f = web.form(request);
    const result = await attempt(
      () => portal.accounts.resetPassword(f.token ?? "", f.password ?? ""),
      (message, status) =>
        web.render(request, reply, {
          status,
          title: "New password",
          body: newPasswordForm(request.portal.viewer, f.token ?? "", message),
        }),
      web,
    );
    if (!result.ok) return result.reply;
    await web.startSession(request, reply, {});
    return web.render(request, reply, {
      title: "Password changed",
      body: html`<h1>Password changed</h1><p>Every session of your account was signed out. <a href="/sign-in">Sign in</a> with the new password.</p>`,
    });
  });

  app.get("/invitations/:token", async (request, reply) => {
    const { token } = request.params as { token: string };
    const invitation = await portal.accounts.invitation(token);
    const viewer = request.portal.viewer;
    if (!invitation) {
      return web.render(request, reply, {
        status: 400,
        title: "Invitation",
        body: html`<h1>Invitation</h1>${notice("error", "This invitation link is not valid any more: ask for a new one.")}`,
      });
    }
    if (!invitation.registered)
      return reply.redirect(`/sign-up?invitation=${encodeURIComponent(token)}`, 303);
    if (!viewer.user)
      return reply.redirect(`/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}`, 303);
    return web.render(request, reply, {
      title: "Invitation",
      body: html`<h1>Join the organization</h1><p>You are invited as ${invitation.role}.</p>
        <form method="post" action="/invitations/${token}">${csrfField(viewer)}<button type="submit">Accept the invitation</button></form>`,
    });
  });
  app.post("/invitations/:token", async (request, reply) => {
    const user = web.user(request, reply);
    if (!user) return reply;
    const { token } = request.params as { token: string };
    const { tenantId } = await portal.accounts.acceptInvitation(token, user.id);
    return reply.redirect(`/orgs/${tenantId}`, 303);
  });

  // The operator signs in to the console once with the admin API's bearer token; a session follows.
  const adminForm = (viewer: Viewer, error?: string): SafeHtml => html`
    <h1>Admin console</h1>
    <p>Sign in with the admin token of this Tollgate (<code>adminToken</code> in <code>credentials.json</code>, or <code>TOLLGATE_ADMIN_TOKEN</code>).</p>
    ${error ? notice("error", error) : ""}
    <form class="stack" method="post" action="/admin/sign-in" novalidate>
      ${csrfField(viewer)}
      ${field({ label: "Admin token", name: "token", type: "password", autocomplete: "current-password", required: true })}
      <div><button type="submit">Sign in</button></div>
    </form>`;
  app.get("/admin/sign-in", (request, reply) =>
    web.render(request, reply, { title: "Admin sign-in", body: adminForm(request.portal.viewer) }),
  );
  app.post("/admin/sign-in", async (request, reply) => {
    const f = web.form(request);
    const subject = [`admin:${request.ip}`];
    const throttled = await portal.accounts.adminThrottled(subject);
    if (throttled)
      return web.render(request, reply, {
        status: 429,
        title: "Admin sign-in",
        body: adminForm(request.portal.viewer, throttled),
      });
    if (!safeEqual(f.token ?? "", web.adminToken)) {
      await portal.accounts.recordFailure(subject);
      return web.render(request, reply, {
        status: 400,
        title: "Admin sign-in",
        body: adminForm(request.portal.viewer, "That is not the admin token."),
      });
    }
    await web.startSession(request, reply, { admin: true });
    return reply.redirect("/admin", 303);
  });
  app.post("/admin/sign-out", async (request, reply) => {
    await web.endSession(request, reply);
    return reply.redirect("/admin/sign-in", 303);
  });
}
