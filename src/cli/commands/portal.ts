import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { CliError } from "../client.js";
import { type Column, date, print } from "../output.js";
import { byIdOrName, type ClientCommandFlags, clientCommand, clientFrom, numberFlag } from "./common.js";

interface Developer {
  id: string;
  email: string;
  name: string;
  status: string;
  emailVerified: boolean;
  createdDate: number;
}
interface Subscription {
  id: string;
  tenantId: string;
  usagePlanId: string;
  status: string;
  createdDate: number;
}
interface CatalogApi {
  id: string;
  name: string;
  published: boolean;
  stages: Array<{ name: string; published: boolean; plans: Array<{ name: string }> }>;
}
interface CatalogPlan {
  id: string;
  name: string;
  visible: boolean;
  approvalRequired: boolean;
}
interface Mail {
  to: string;
  subject: string;
  text: string;
  createdDate: number;
}

const DEVELOPER_COLUMNS: Column<Developer>[] = [
  { header: "ID", value: (d) => d.id },
  { header: "EMAIL", value: (d) => d.email },
  { header: "NAME", value: (d) => d.name },
  { header: "STATUS", value: (d) => d.status },
  { header: "VERIFIED", value: (d) => d.emailVerified },
  { header: "REGISTERED", value: (d) => date(d.createdDate) },
];
const SUBSCRIPTION_COLUMNS: Column<Subscription>[] = [
  { header: "ID", value: (s) => s.id },
  { header: "TENANT", value: (s) => s.tenantId },
  { header: "PLAN", value: (s) => s.usagePlanId },
  { header: "STATUS", value: (s) => s.status },
  { header: "ASKED", value: (s) => date(s.createdDate) },
];
const PLAN_COLUMNS: Column<CatalogPlan>[] = [
  { header: "ID", value: (p) => p.id },
  { header: "NAME", value: (p) => p.name },
  { header: "SHOWN", value: (p) => p.visible },
  { header: "APPROVAL", value: (p) => (p.approvalRequired ? "required" : "none") },
];

/** `tollgate portal`: the developer portal's admin operations, the same ones the admin console runs. */
export function portalCommand(program: Command): void {
  const portal = program
    .command("portal")
    .description("developer portal: developers, approvals, catalog, plans, mail");

  clientCommand(portal, "developers", "list developers")
    .option("--status <status>", "PENDING, ACTIVE, REFUSED or DISABLED")
    .action(async (flags: ClientCommandFlags & { status?: string }) => {
      const developers = await clientFrom(flags).listAll<Developer>("/portal/developers", {
        status: flags.status,
      });
      print(developers, DEVELOPER_COLUMNS, flags);
    });
  for (const [verb, description] of [
    ["approve", "approve a developer waiting for approval"],
    ["refuse", "refuse a developer waiting for approval"],
    ["disable", "disable a developer's account"],
  ] as const) {
    clientCommand(portal, `${verb}-developer <idOrEmail>`, description).action(
      async (ref: string, flags: ClientCommandFlags) => {
        const client = clientFrom(flags);
        const developers = await client.listAll<Developer>("/portal/developers");
        const developer = developers.find((d) => d.id === ref || d.email === ref.toLowerCase());
        if (!developer) throw new CliError(`No developer has the id or email '${ref}'`);
        print(
          await client.request<Developer>("POST", `/portal/developers/${developer.id}/${verb}`),
          DEVELOPER_COLUMNS,
          flags,
        );
      },
    );
  }
  clientCommand(portal, "invite <email>", "invite an email address to register (the link is mailed)").action(
    async (email: string, flags: ClientCommandFlags) => {
      const invitation = await clientFrom(flags).request<{ id: string; email: string }>(
        "POST",
        "/portal/invitations",
        { body: { email } },
      );
      print(
        invitation,
        [
          { header: "ID", value: (i) => i.id },
          { header: "EMAIL", value: (i) => i.email },
        ],
        flags,
      );
    },
  );

  clientCommand(portal, "catalog", "list REST APIs and stages with what the portal publishes").action(
    async (flags: ClientCommandFlags) => {
      const apis = await clientFrom(flags).listAll<CatalogApi>("/portal/catalog");
      const rows = apis.flatMap((api) => [
        { api: api.name, id: api.id, stage: "(API)", published: api.published, plans: "" },
        ...api.stages.map((s) => ({
          api: api.name,
          id: api.id,
          stage: s.name,
          published: s.published,
          plans: s.plans.map((p) => p.name).join(", "),
        })),
      ]);
      print(
        rows,
        [
          { header: "API", value: (r) => r.api },
          { header: "ID", value: (r) => r.id },
          { header: "STAGE", value: (r) => r.stage },
          { header: "PUBLISHED", value: (r) => r.published },
          { header: "PLANS", value: (r) => r.plans },
        ],
        flags,
      );
    },
  );
  for (const [verb, published] of [
    ["publish", true],
    ["hide", false],
  ] as const) {
    clientCommand(
      portal,
      `${verb} <api> [stages...]`,
      `${verb} a REST API (by id or name) in the portal, or some of its stages`,
    ).action(async (ref: string, stages: string[], flags: ClientCommandFlags) => {
      const client = clientFrom(flags);
      const api = byIdOrName(await client.listAll<CatalogApi>("/portal/catalog"), ref, "REST API");
      if (!stages.length) await client.request("PUT", `/portal/catalog/${api.id}`, { body: { published } });
      for (const stage of stages)
        await client.request("PUT", `/portal/catalog/${api.id}/stages/${encodeURIComponent(stage)}`, {
          body: { published },
        });
      process.stdout.write(
        `${api.name}${stages.length ? ` stage ${stages.join(", ")}` : ""}: ${published ? "published" : "hidden"}\n`,
      );
    });
  }

  clientCommand(portal, "plans", "list usage plans with their portal settings").action(
    async (flags: ClientCommandFlags) => {
      print(await clientFrom(flags).listAll<CatalogPlan>("/portal/plans"), PLAN_COLUMNS, flags);
    },
  );
  clientCommand(portal, "plan <plan>", "set how the portal offers a plan (by id or name)")
    .option("--shown", "show the plan in the portal")
    .option("--hidden", "hide the plan from the portal")
    .option("--approval <mode>", "required or none: whether subscriptions wait for approval")
    .action(
      async (
        ref: string,
        flags: ClientCommandFlags & { shown?: boolean; hidden?: boolean; approval?: string },
      ) => {
        if (flags.approval !== undefined && !["required", "none"].includes(flags.approval)) {
          throw new CliError(`Invalid --approval '${flags.approval}': expected required or none`);
        }
        if (flags.shown && flags.hidden) throw new CliError("Give --shown or --hidden, not both");
        const client = clientFrom(flags);
        const plan = byIdOrName(await client.listAll<CatalogPlan>("/portal/plans"), ref, "usage plan");
        const body = {
          ...(flags.shown || flags.hidden ? { visible: flags.shown === true } : {}),
          ...(flags.approval ? { approvalRequired: flags.approval === "required" } : {}),
        };
        print(
          await client.request<CatalogPlan>("PUT", `/portal/plans/${plan.id}`, { body }),
          PLAN_COLUMNS,
          flags,
        );
      },
    );

  clientCommand(portal, "subscriptions", "list subscriptions made in the portal")
    .option("--status <status>", "PENDING, ACTIVE, ENDED or REFUSED")
    .action(async (flags: ClientCommandFlags & { status?: string }) => {
      print(
        await clientFrom(flags).listAll<Subscription>("/portal/subscriptions", { status: flags.status }),
        SUBSCRIPTION_COLUMNS,
        flags,
      );
    });
  clientCommand(portal, "approve-subscription <id>", "approve a pending subscription").action(
    async (id: string, flags: ClientCommandFlags) => {
      print(
        await clientFrom(flags).request<Subscription>("POST", `/portal/subscriptions/${id}/approve`),
        SUBSCRIPTION_COLUMNS,
        flags,
      );
    },
  );
  clientCommand(portal, "refuse-subscription <id>", "refuse a pending subscription")
    .option("--reason <text>", "shown to the organization's developers")
    .action(async (id: string, flags: ClientCommandFlags & { reason?: string }) => {
      print(
        await clientFrom(flags).request<Subscription>("POST", `/portal/subscriptions/${id}/refuse`, {
          body: { reason: flags.reason },
        }),
        SUBSCRIPTION_COLUMNS,
        flags,
      );
    });

  clientCommand(portal, "upload <file>", "add an OpenAPI document (JSON or YAML) shown as documentation")
    .requiredOption("--name <name>", "its name in the catalog")
    .option("--description <text>", "a line about it")
    .action(async (file: string, flags: ClientCommandFlags & { name: string; description?: string }) => {
      const document = readFileSync(file, "utf8");
      const created = await clientFrom(flags).request<{ id: string; name: string }>(
        "POST",
        "/portal/documents",
        {
          body: { name: flags.name, description: flags.description, document },
        },
      );
      print(
        created,
        [
          { header: "ID", value: (d) => d.id },
          { header: "NAME", value: (d) => d.name },
        ],
        flags,
      );
    });

  clientCommand(portal, "rotate-key <keyId>", "rotate an API key; the old value works for the grace period")
    .option("--grace <seconds>", "seconds the old value keeps working (default 3600)", "3600")
    .action(async (keyId: string, flags: ClientCommandFlags & { grace: string }) => {
      const graceSeconds = numberFlag("--grace", flags.grace, true)!;
      const rotated = await clientFrom(flags).request<{
        key: { id: string; value: string };
        previous: { id: string; expiresDate: number };
      }>("POST", `/apikeys/${keyId}/rotate`, { body: { graceSeconds } });
      print(
        rotated,
        [
          { header: "NEW KEY", value: (r) => r.key.id },
          { header: "VALUE (shown once)", value: (r) => r.key.value },
          { header: "OLD KEY EXPIRES", value: (r) => date(r.previous.expiresDate) },
        ],
        flags,
      );
    });

  clientCommand(
    portal,
    "mail",
    "what the embedded mailer sent (verification, reset and invitation links)",
  ).action(async (flags: ClientCommandFlags) => {
    const { item } = await clientFrom(flags).request<{ item: Mail[] }>("GET", "/portal/mail");
    print(
      item,
      [
        { header: "SENT", value: (m) => date(m.createdDate) },
        { header: "TO", value: (m) => m.to },
        { header: "SUBJECT", value: (m) => m.subject },
        { header: "LINK", value: (m) => /https?:\/\/\S+/.exec(m.text)?.[0] ?? "" },
      ],
      flags,
    );
  });
}
