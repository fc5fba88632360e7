import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations } from "../shapes.js";

const HeaderPattern = z.object({ name: z.string(), pattern: z.string() });

export const IpSetShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  addresses: z.array(z.string()),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

export const FirewallRuleShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  priority: z.number(),
  action: z.enum(["BLOCK", "ALLOW"]),
  enabled: z.boolean(),
  ipSetIds: z.array(z.string()).optional(),
  methods: z.array(z.string()).optional(),
  pathPatterns: z.array(z.string()).optional(),
  headerPatterns: z.array(HeaderPattern).optional(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

export const IpRateLimitShape = z.object({
  id: z.string(),
  name: z.string(),
  restApiId: z.string().optional(),
  stage: z.string().optional(),
  rateLimit: z.number(),
  burstLimit: z.number(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const CreateIpSet = z.object({
  name: z.string(),
  description: z.string().optional(),
  addresses: z.array(z.string()).default([]),
});

const CreateRule = z.object({
  name: z.string(),
  description: z.string().optional(),
  priority: z.number().int(),
  action: z.string(),
  enabled: z.boolean().optional(),
  ipSetIds: z.array(z.string()).optional(),
  methods: z.array(z.string()).optional(),
  pathPatterns: z.array(z.string()).optional(),
  headerPatterns: z.array(HeaderPattern).optional(),
});

const CreateIpRateLimit = z.object({
  name: z.string(),
  restApiId: z.string().optional(),
  stage: z.string().optional(),
  rateLimit: z.number(),
  burstLimit: z.number().int(),
});

const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };

/** The firewall: Tollgate's own resources, in API Gateway's style. */
export function firewallRoutes({ firewall }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateFirewallIpSet",
      method: "POST",
      path: "/firewall/ipsets",
      summary: "Create an IP set: IPv4 and IPv6 addresses and CIDR blocks that rules refer to",
      body: CreateIpSet,
      response: IpSetShape,
      status: 201,
      handle: ({ body }) => firewall.createIpSet(body),
    }),
    route({
      operationId: "GetFirewallIpSets",
      method: "GET",
      path: "/firewall/ipsets",
      summary: "List IP sets",
      query: PAGING,
      response: collection(IpSetShape),
      status: 200,
      handle: async ({ query }) => paginate(await firewall.listIpSets(), query.limit, query.position),
    }),
    route({
      operationId: "GetFirewallIpSet",
      method: "GET",
      path: "/firewall/ipsets/{ipset_id}",
      summary: "Get an IP set",
      response: IpSetShape,
      status: 200,
      handle: ({ params }) => firewall.getIpSet(params.ipset_id!),
    }),
    route({
      operationId: "UpdateFirewallIpSet",
      method: "PATCH",
      path: "/firewall/ipsets/{ipset_id}",
      summary:
        "Update an IP set: replace /name, /description; add or remove /addresses (one per operation); replace /addresses (comma-separated)",
      body: PatchOperations,
      response: IpSetShape,
      status: 200,
      handle: ({ params, body }) => firewall.updateIpSet(params.ipset_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteFirewallIpSet",
      method: "DELETE",
      path: "/firewall/ipsets/{ipset_id}",
      summary: "Delete an IP set no rule uses",
      status: 202,
      handle: ({ params }) => firewall.deleteIpSet(params.ipset_id!),
    }),
    route({
      operationId: "CreateFirewallRule",
      method: "POST",
      path: "/firewall/rules",
      summary:
        "Create a rule that blocks (or lets through) requests by IP set, method, path or header pattern, before routing",
      body: CreateRule,
      response: FirewallRuleShape,
      status: 201,
      handle: ({ body }) => firewall.createRule(body as never),
    }),
    route({
      operationId: "GetFirewallRules",
      method: "GET",
      path: "/firewall/rules",
      summary: "List rules in the order they run (priority, then name)",
      query: PAGING,
      response: collection(FirewallRuleShape),
      status: 200,
      handle: async ({ query }) => paginate(await firewall.listRules(), query.limit, query.position),
    }),
    route({
      operationId: "GetFirewallRule",
      method: "GET",
      path: "/firewall/rules/{rule_id}",
      summary: "Get a rule",
      response: FirewallRuleShape,
      status: 200,
      handle: ({ params }) => firewall.getRule(params.rule_id!),
    }),
    route({
      operationId: "UpdateFirewallRule",
      method: "PATCH",
      path: "/firewall/rules/{rule_id}",
      summary:
        "Update a rule: replace /name, /description, /priority, /action, /enabled, /ipSetIds and /methods (comma-separated), /pathPatterns and /headerPatterns (JSON lists)",
      body: PatchOperations,
      response: FirewallRuleShape,
      status: 200,
      handle: ({ params, body }) => firewall.updateRule(params.rule_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteFirewallRule",
      method: "DELETE",
      path: "/firewall/rules/{rule_id}",
      summary: "Delete a rule",
      status: 202,
      handle: ({ params }) => firewall.deleteRule(params.rule_id!),
    }),
    route({
      operationId: "CreateFirewallIpRateLimit",
      method: "POST",
      path: "/firewall/ipratelimits",
      summary:
        "Create a token bucket per client address for requests without a key, on one API and stage or all",
      body: CreateIpRateLimit,
      response: IpRateLimitShape,
      status: 201,
      handle: ({ body }) => firewall.createIpRateLimit(body),
    }),
    route({
      operationId: "GetFirewallIpRateLimits",
      method: "GET",
      path: "/firewall/ipratelimits",
      summary: "List IP rate limits",
      query: PAGING,
      response: collection(IpRateLimitShape),
      status: 200,
      handle: async ({ query }) => paginate(await firewall.listIpRateLimits(), query.limit, query.position),
    }),
    route({
      operationId: "GetFirewallIpRateLimit",
      method: "GET",
      path: "/firewall/ipratelimits/{limit_id}",
      summary: "Get an IP rate limit",
      response: IpRateLimitShape,
      status: 200,
      handle: ({ params }) => firewall.getIpRateLimit(params.limit_id!),
    }),
    route({
      operationId: "UpdateFirewallIpRateLimit",
      method: "PATCH",
      path: "/firewall/ipratelimits/{limit_id}",
      summary:
        "Update an IP rate limit: replace /name, /rateLimit, /burstLimit; replace or remove /restApiId, /stage",
      body: PatchOperations,
      response: IpRateLimitShape,
      status: 200,
      handle: ({ params, body }) => firewall.updateIpRateLimit(params.limit_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteFirewallIpRateLimit",
      method: "DELETE",
      path: "/firewall/ipratelimits/{limit_id}",
      summary: "Delete an IP rate limit",
      status: 202,
      handle: ({ params }) => firewall.deleteIpRateLimit(params.limit_id!),
    }),
  ];
}
