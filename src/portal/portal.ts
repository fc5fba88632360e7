import type { RestApiService, StageService } from "../apis/index.js";
import type { Billing } from "../billing/index.js";
import type { Clock } from "../core/clock.js";
import type { Events } from "../events/index.js";
import type { MeteringService } from "../metering/index.js";
import type { ApiKeyService, TenantService, UsagePlanService } from "../plans/index.js";
import type { Store } from "../store/index.js";
import { AccountService } from "./accounts.js";
import { CatalogService } from "./catalog.js";
import type { PortalConfig } from "./config.js";
import type { Mailer } from "./mailer.js";
import { OrgKeyService } from "./org-keys.js";
import { OrgUsageService } from "./org-usage.js";
import { OrganizationService } from "./organizations.js";
import { SessionService } from "./sessions.js";
import { SubscriptionDesk } from "./subscriptions.js";

/** The domain services the portal is built on. */
export interface PortalDependencies {
  store: Store;
  clock: Clock;
  mailer: Mailer;
  config: PortalConfig;
  tenants: TenantService;
  restApis: RestApiService;
  stages: StageService;
  usagePlans: UsagePlanService;
  apiKeys: ApiKeyService;
  metering: MeteringService;
  billing: Billing;
  /** The event bus: its `webhooks` domain API serves the organizations' webhook endpoints. */
  events?: Pick<Events, "webhooks">;
  /** Commits usage the gateway counted but has not written yet, before usage is read. */
  commitUsage?: () => Promise<void>;
}

/** A message the embedded mailer sent (the admin console lists them). */
export interface SentMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  /** Epoch seconds. */
  createdDate: number;
}

/**
 * The portal's domain: developers' accounts and sessions, organizations, the catalog,
 * subscriptions, keys and usage. The web pages, the admin console, the admin API
 * (`/portal/...`) and the CLI all call these same methods.
 */
export class Portal {
  readonly accounts: AccountService;
  readonly sessions: SessionService;
  readonly organizations: OrganizationService;
  readonly catalog: CatalogService;
  readonly subscriptions: SubscriptionDesk;
  readonly keys: OrgKeyService;
  readonly usage: OrgUsageService;

  constructor(readonly deps: PortalDependencies) {
    const { store, clock, config } = deps;
    // The config object itself: its publicUrl is settled once the server listens.
    this.accounts = new AccountService(store, clock, deps.mailer, config);
    this.sessions = new SessionService(store, clock, config.sessionHours * 3600 * 1000);
    this.organizations = new OrganizationService(store, clock, deps.tenants);
    this.catalog = new CatalogService(store, clock, deps, config);
    this.subscriptions = new SubscriptionDesk(store, clock, this.catalog, deps.apiKeys, deps.billing);
    this.keys = new OrgKeyService(clock, deps.apiKeys, this.subscriptions);
    this.usage = new OrgUsageService(store, clock, deps);
  }

  get config(): PortalConfig {
    return this.deps.config;
  }

  /** What the embedded mailer sent, newest first (empty with SMTP). */
  async sentMail(limit = 100): Promise<SentMail[]> {
    const rows = await this.deps.store.db
      .selectFrom("portal_mail")
      .selectAll()
      .orderBy("created_at", "desc")
      .limit(Math.min(Math.max(limit, 1), 500))
      .execute();
    return rows.map((r) => ({
      id: r.id,
      to: r.to_address,
      subject: r.subject,
      text: r.body,
      createdDate: Math.floor(r.created_at / 1000),
    }));
  }
}
