/**
 * Portal: the developer portal and the admin console, served on their own port. Owns
 * developers' accounts (scrypt passwords, verification and reset by mail), sessions in the
 * store with CSRF tokens, organizations (tenants) and roles, the catalog of published APIs and
 * plans, subscriptions with approval, organization keys with rotation, usage and invoice views,
 * and the console's pages. The admin API and the CLI call the same `Portal` methods.
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { type Mailer, SmtpMailer } from "./mailer.js";
import type { Portal } from "./portal.js";
import { adminPages } from "./web/pages/admin.js";
import { authPages } from "./web/pages/auth.js";
import { catalogPages } from "./web/pages/catalog.js";
import { orgPages } from "./web/pages/orgs.js";
import { webhookPages } from "./web/pages/webhooks.js";
import { createPortalServer } from "./web/server.js";

export type { Developer, DeveloperStatus, Invitation } from "./accounts.js";
export { AccountService, LOGIN_FAILURES_PER_EMAIL } from "./accounts.js";
export type { CatalogApi, CatalogDocument, CatalogPlan } from "./catalog.js";
export { loadPortalConfig, type PortalConfig, type RegistrationMode } from "./config.js";
export { LogMailer, type Mailer, type MailMessage, SmtpMailer } from "./mailer.js";
export type { OrgKey } from "./org-keys.js";
export { GRACE_CHOICES } from "./org-keys.js";
export { type Organization, PORTAL_TENANT_TAG } from "./organizations.js";
export { Portal, type PortalDependencies, type SentMail } from "./portal.js";
export type { PortalSubscription } from "./subscriptions.js";

export interface RunningPortal {
  app: FastifyInstance;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts the portal's server for `portal` on `host:port`. */
export async function startPortal(
  portal: Portal,
  options: {
    host: string;
    port: number;
    adminToken: string;
    gatewayOrigin: string;
    logger?: boolean;
    mailer?: Mailer;
  },
): Promise<RunningPortal> {
  const app = await createPortalServer({
    portal,
    adminToken: options.adminToken,
    gatewayOrigin: options.gatewayOrigin,
    logger: options.logger,
    pages: [authPages, catalogPages, orgPages, webhookPages, adminPages],
  });
  await app.listen({ host: options.host, port: options.port });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    port,
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
    async close() {
      await app.close();
      if (options.mailer instanceof SmtpMailer) options.mailer.close();
    },
  };
}
