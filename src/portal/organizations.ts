import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, DomainError, NotFoundError } from "../core/errors.js";
import type { Tenant, TenantService } from "../plans/index.js";
import type { Store } from "../store/index.js";

export type Role = "owner" | "member";

/** An organization the developer belongs to: a tenant and the developer's role in it. */
export interface Organization {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  role: Role;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

/** Access refused: the developer is not a member (or not an owner) of the organization. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super("ForbiddenException", message);
  }
}

/** Tag marking a tenant created from the portal. */
export const PORTAL_TENANT_TAG = "tollgate:portal";

/**
 * Organizations are tenants; developers belong to them as owners or members. Every
 * organization-scoped read or write in the portal goes through `access`, which answers
 * NotFound for an organization the developer does not belong to (its existence is not revealed).
 */
export class OrganizationService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tenants: TenantService,
  ) {}

  /** Creates an organization (a tenant) with the developer as its owner. */
  async create(userId: string, input: { name: string; description?: string }): Promise<Organization> {
    const name = input.name.trim();
    if (!/^[\p{L}\p{N}][\p{L}\p{N} ._&'-]{0,63}$/u.test(name)) {
      throw new BadRequestError(
        "Name the organization with 1 to 64 letters, digits, spaces or . _ & ' - (starting with a letter or digit).",
      );
    }
    const tenant = await this.tenants.create({
      name,
      ...(input.description?.trim() ? { description: input.description.trim().slice(0, 500) } : {}),
      tags: { [PORTAL_TENANT_TAG]: "true" },
    });
    await this.store.db
      .insertInto("portal_memberships")
      .values({ tenant_id: tenant.id, user_id: userId, role: "owner", created_at: this.clock.now() })
      .execute();
    return toOrganization(tenant, "owner");
  }

  /** The developer's organizations, by name. */
  async forUser(userId: string): Promise<Organization[]> {
    const rows = await this.store.db
      .selectFrom("portal_memberships")
      .innerJoin("tenants", "tenants.id", "portal_memberships.tenant_id")
      .select([
        "tenants.id",
        "tenants.name",
        "tenants.description",
        "tenants.enabled",
        "portal_memberships.role",
      ])
      .where("portal_memberships.user_id", "=", userId)
      .orderBy("tenants.name")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      ...(r.description ? { description: r.description } : {}),
      enabled: r.enabled === 1,
      role: r.role as Role,
    }));
  }

  /**
   * The organization, when the developer belongs to it (with `owner`, as its owner). Anything
   * else is a NotFoundError, whatever the id: another organization's id tells nothing.
   */
  async access(userId: string, tenantId: string, need: Role = "member"): Promise<Organization> {
    const org = (await this.forUser(userId)).find((o) => o.id === tenantId);
    if (!org) throw new NotFoundError("No such organization");
    if (need === "owner" && org.role !== "owner")
      throw new ForbiddenError("Only an owner of the organization can do this.");
    return org;
  }

  async members(tenantId: string): Promise<Member[]> {
    const rows = await this.store.db
      .selectFrom("portal_memberships")
      .innerJoin("portal_users", "portal_users.id", "portal_memberships.user_id")
      .select(["portal_users.id", "portal_users.email", "portal_users.name", "portal_memberships.role"])
      .where("portal_memberships.tenant_id", "=", tenantId)
      .orderBy("portal_users.email")
      .execute();
    return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role as Role }));
  }

  /** Removes a member; the last owner stays. */
  async removeMember(tenantId: string, userId: string): Promise<void> {
    const members = await this.members(tenantId);
    const member = members.find((m) => m.userId === userId);
    if (!member) throw new NotFoundError("No such member");
    if (member.role === "owner" && members.filter((m) => m.role === "owner").length === 1) {
      throw new ConflictError("An organization keeps at least one owner.");
    }
    await this.store.db
      .deleteFrom("portal_memberships")
      .where("tenant_id", "=", tenantId)
      .where("user_id", "=", userId)
      .execute();
  }
}

function toOrganization(tenant: Tenant, role: Role): Organization {
  return {
    id: tenant.id,
    name: tenant.name,
    ...(tenant.description ? { description: tenant.description } : {}),
    enabled: tenant.enabled,
    role,
  };
}
