import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { Portal } from "../../portal/index.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds } from "../shapes.js";
import { ApiKeyShape } from "./api-keys.js";

const DeveloperShape = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  status: z.enum(["PENDING", "ACTIVE", "REFUSED", "DISABLED"]),
  emailVerified: z.boolean(),
  createdDate: EpochSeconds,
});
const InvitationShape = z.object({
  id: z.string(),
  email: z.string(),
  tenantId: z.string().optional(),
  role: z.enum(["owner", "member"]),
  invitedBy: z.string(),
  createdDate: EpochSeconds,
  expiresDate: EpochSeconds,
  accepted: z.boolean(),
});
const SubscriptionShape = z.object({
  id: z.string(),
  tenantId: z.string(),
  usagePlanId: z.string(),
  status: z.enum(["PENDING", "ACTIVE", "ENDED", "REFUSED"]),
  requestedBy: z.string(),
  reason: z.string().optional(),
  createdDate: EpochSeconds,
  decidedDate: EpochSeconds.optional(),
});
const CatalogPlanShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  visible: z.boolean(),
  approvalRequired: z.boolean(),
  apiStages: z.array(z.object({ apiId: z.string(), stage: z.string() })),
});
const CatalogApiShape = z.object({
  id: z.string(),
  name: z.string(),
  published: z.boolean(),
  stages: z.array(
    z.object({
      name: z.string(),
      published: z.boolean(),
      plans: z.array(z.object({ id: z.string(), name: z.string() })),
    }),
  ),
});
const DocumentShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  published: z.boolean(),
  createdDate: EpochSeconds,
});
const MailShape = z.object({
  id: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  createdDate: EpochSeconds,
});
const Published = z.object({ published: z.boolean() });
const PAGE = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };

/**
 * The developer portal's operations (Tollgate's own, in API Gateway's style): approvals of
 * developers and subscriptions, invitations, the catalog, portal settings of plans, extra
 * OpenAPI documents, the embedded mailer's outbox, and key rotation, revocation and quota
 * extensions. The admin console runs the same domain methods.
 */
export function portalRoutes({
  portal,
  apiKeys,
  metering,
}: AdminServices & { portal: Portal }): AdminRoute[] {
  const one = "/portal/developers/{developer_id}";
  return [
    route({
      operationId: "GetPortalDevelopers",
      method: "GET",
      path: "/portal/developers",
      summary: "List the portal's developers, newest first",
      query: { status: "PENDING, ACTIVE, REFUSED or DISABLED", ...PAGE },
      response: collection(DeveloperShape),
      status: 200,
      handle: async ({ query }) =>
        paginate(await portal.accounts.list({ status: query.status }), query.limit, query.position),
    }),
    route({
      operationId: "GetPortalDeveloper",
      method: "GET",
      path: one,
      summary: "Get a developer",
      response: DeveloperShape,
      status: 200,
      handle: ({ params }) => portal.accounts.get(params.developer_id!),
    }),
    route({
      operationId: "ApprovePortalDeveloper",
      method: "POST",
      path: `${one}/approve`,
      summary: "Approve a developer waiting for approval (or re-enable a refused or disabled one)",
      response: DeveloperShape,
      status: 200,
      handle: ({ params }) => portal.accounts.approve(params.developer_id!),
    }),
    route({
      operationId: "RefusePortalDeveloper",
      method: "POST",
      path: `${one}/refuse`,
      summary: "Refuse a developer waiting for approval",
      response: DeveloperShape,
      status: 200,
      handle: ({ params }) => portal.accounts.refuse(params.developer_id!),
    }),
    route({
      operationId: "DisablePortalDeveloper",
      method: "POST",
      path: `${one}/disable`,
      summary: "Disable a developer: their sessions end and they cannot sign in",
      response: DeveloperShape,
      status: 200,
      handle: ({ params }) => portal.accounts.disable(params.developer_id!),
    }),
    route({
      operationId: "CreatePortalInvitation",
      method: "POST",
      path: "/portal/invitations",
      summary: "Invite an email address to register (the link is mailed)",
      body: z.object({ email: z.string().min(3).max(254) }),
      response: InvitationShape,
      status: 201,
      handle: ({ body }) => portal.accounts.invite({ email: body.email, invitedBy: "admin" }),
    }),
    route({
      operationId: "GetPortalInvitations",
      method: "GET",
      path: "/portal/invitations",
      summary: "List invitations, newest first",
      query: PAGE,
      response: collection(InvitationShape),
      status: 200,
      handle: async ({ query }) => paginate(await portal.accounts.invitations(), query.limit, query.position),
    }),
    route({
      operationId: "GetPortalCatalog",
      method: "GET",
      path: "/portal/catalog",
      summary: "Every REST API with its stages, what is published, and the plans covering each stage",
      query: PAGE,
      response: collection(CatalogApiShape),
      status: 200,
      handle: async ({ query }) => paginate(await portal.catalog.apis(), query.limit, query.position),
    }),
    route({
      operationId: "PutPortalApiPublication",
      method: "PUT",
      path: "/portal/catalog/{restapi_id}",
      summary: "Publish or hide a REST API in the portal",
      body: Published,
      status: 200,
      response: Published,
      handle: async ({ params, body }) => {
        await portal.catalog.publish(params.restapi_id!, undefined, body.published);
        return body;
      },
    }),
    route({
      operationId: "PutPortalStagePublication",
      method: "PUT",
      path: "/portal/catalog/{restapi_id}/stages/{stage_name}",
      summary: "Publish or hide a stage of a REST API in the portal",
      body: Published,
      status: 200,
      response: Published,
      handle: async ({ params, body }) => {
        await portal.catalog.publish(params.restapi_id!, params.stage_name!, body.published);
        return body;
      },
    }),
    route({
      operationId: "GetPortalPlans",
      method: "GET",
      path: "/portal/plans",
      summary: "Usage plans with their portal settings (shown, approval required)",
      query: PAGE,
      response: collection(CatalogPlanShape),
      status: 200,
      handle: async ({ query }) => paginate(await portal.catalog.plans(), query.limit, query.position),
    }),
    route({
      operationId: "UpdatePortalPlan",
      method: "PUT",
      path: "/portal/plans/{usageplanId}",
      summary: "Show or hide a plan in the portal, and whether subscriptions need approval",
      body: z.object({ visible: z.boolean().optional(), approvalRequired: z.boolean().optional() }),
      response: CatalogPlanShape,
      status: 200,
      handle: ({ params, body }) => portal.catalog.setPlan(params.usageplanId!, body),
    }),
    route({
      operationId: "CreatePortalDocument",
      method: "POST",
      path: "/portal/documents",
      summary: "Add an OpenAPI document (JSON or YAML text in `document`) shown as documentation",
      body: z.object({
        name: z.string().min(1).max(100),
        description: z.string().max(1000).optional(),
        document: z.string().min(1),
        published: z.boolean().optional(),
      }),
      response: DocumentShape,
      status: 201,
      handle: ({ body }) => portal.catalog.addDocument(body),
    }),
    route({
      operationId: "GetPortalDocuments",
      method: "GET",
      path: "/portal/documents",
      summary: "List the extra OpenAPI documents",
      query: PAGE,
      response: collection(DocumentShape),
      status: 200,
      handle: async ({ query }) => paginate(await portal.catalog.documents(), query.limit, query.position),
    }),
    route({
      operationId: "UpdatePortalDocument",
      method: "PUT",
      path: "/portal/documents/{document_id}",
      summary: "Publish or hide an extra document",
      body: Published,
      response: DocumentShape,
      status: 200,
      handle: ({ params, body }) => portal.catalog.setDocumentPublished(params.document_id!, body.published),
    }),
    route({
      operationId: "DeletePortalDocument",
      method: "DELETE",
      path: "/portal/documents/{document_id}",
      summary: "Delete an extra document",
      status: 202,
      handle: ({ params }) => portal.catalog.deleteDocument(params.document_id!),
    }),
    route({
      operationId: "GetPortalSubscriptions",
      method: "GET",
      path: "/portal/subscriptions",
      summary: "Subscriptions made in the portal, oldest first",
      query: { status: "PENDING, ACTIVE, ENDED or REFUSED", ...PAGE },
      response: collection(SubscriptionShape),
      status: 200,
      handle: async ({ query }) =>
        paginate(await portal.subscriptions.list({ status: query.status }), query.limit, query.position),
    }),
    route({
      operationId: "ApprovePortalSubscription",
      method: "POST",
      path: "/portal/subscriptions/{subscription_id}/approve",
      summary: "Approve a pending subscription: the organization's keys move to the plan",
      response: SubscriptionShape,
      status: 200,
      handle: ({ params }) => portal.subscriptions.approve(params.subscription_id!),
    }),
    route({
      operationId: "RefusePortalSubscription",
      method: "POST",
      path: "/portal/subscriptions/{subscription_id}/refuse",
      summary: "Refuse a pending subscription, with a reason the developers see",
      body: z.object({ reason: z.string().max(500).optional() }),
      response: SubscriptionShape,
      status: 200,
      handle: ({ params, body }) => portal.subscriptions.refuse(params.subscription_id!, body.reason),
    }),
    route({
      operationId: "GetPortalMail",
      method: "GET",
      path: "/portal/mail",
      summary: "What the embedded mailer sent (verification, reset and invitation links), newest first",
      query: { limit: "at most this many (100)" },
      response: z.object({ item: z.array(MailShape) }),
      status: 200,
      handle: async ({ query }) => ({ item: await portal.sentMail(Number(query.limit ?? 100) || 100) }),
    }),
    route({
      operationId: "RotateApiKey",
      method: "POST",
      path: "/apikeys/{api_Key}/rotate",
      summary:
        "Rotate a key: a new key (value in the answer) takes its plans; the old one works for graceSeconds more",
      body: z.object({ graceSeconds: z.number().int().min(0) }),
      response: z.object({ key: ApiKeyShape, previous: ApiKeyShape }),
      status: 201,
      handle: ({ params, body }) => apiKeys.rotate(params.api_Key!, { graceSeconds: body.graceSeconds }),
    }),
    route({
      operationId: "RevokeApiKey",
      method: "POST",
      path: "/apikeys/{api_Key}/revoke",
      summary: "Revoke a key for good: disabled now and marked expired",
      response: ApiKeyShape,
      status: 200,
      handle: ({ params }) => apiKeys.revoke(params.api_Key!),
    }),
    route({
      operationId: "CreateQuotaExtension",
      method: "POST",
      path: "/usageplans/{usageplanId}/keys/{keyId}/quotaextensions",
      summary:
        "Top up a key's quota in the current period by `requests` (as a top-up does, without billing it)",
      body: z.object({
        requests: z.number().int().min(1).max(2_000_000_000),
        reason: z.string().max(200).optional(),
      }),
      response: z.object({ remaining: z.number() }),
      status: 201,
      handle: async ({ params, body }) => ({
        remaining: await metering.extendQuota(
          params.usageplanId!,
          params.keyId!,
          body.requests,
          body.reason ?? "admin top-up",
        ),
      }),
    }),
  ];
}
