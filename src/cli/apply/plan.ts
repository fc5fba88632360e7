import type { ApiKey, RestApi, Stage, Tenant, UsagePlan } from "../shapes.js";
import {
  type Change,
  type ExecContext,
  type FieldChange,
  idOf,
  type LazyOp,
  methodKey,
  normalizeMethodKey,
  oneNamed,
  type PatchOp,
} from "./changes.js";
import type {
  DesiredApi,
  DesiredConfig,
  KeyConfig,
  PlanConfig,
  StageConfig,
  TenantConfig,
} from "./config.js";
import { planFirewall } from "./firewall.js";
import { cacheDiff } from "./stage-cache.js";
import { type CanaryPlan, canaryPlan } from "./stage-canary.js";
import type { ServerState } from "./state.js";

/** The REST API tag that holds the sha256 of the OpenAPI file it was last imported from. */
export const SOURCE_TAG = "tollgate:source-sha256";

/** Names to ids of the resources the file names that already exist. */
interface KnownIds {
  apis: Map<string, string>;
  plans: Map<string, string>;
  tenants: Map<string, string>;
  ipSets: Map<string, string>;
}

/** The changes that make the server match the file, in the order they must run. */
export interface Plan {
  changes: Change[];
  /** Resources the file does not name, left alone without `prune` (`tenant bob`). */
  unmanaged: string[];
  known: KnownIds;
}

export interface PlanOptions {
  /** Delete what the file does not name. */
  prune?: boolean;
}

/**
 * The plan step: compares the file with the server and lists the changes. Nothing is written;
 * each change carries how to carry it out. An empty plan means the server already matches.
 */
export function planChanges(config: DesiredConfig, state: ServerState, options: PlanOptions = {}): Plan {
  const known: KnownIds = { apis: new Map(), plans: new Map(), tenants: new Map(), ipSets: new Map() };
  const changes: Change[] = [];
  for (const api of config.apis) changes.push(...planApi(api, state, known));
  for (const plan of config.usagePlans) changes.push(...planUsagePlan(plan, state, known));
  for (const tenant of config.tenants) changes.push(...planTenant(tenant, state, known));
  const matchedKeys = new Set<string>();
  for (const tenant of config.tenants) changes.push(...planKeys(tenant, state, known, matchedKeys));
  const leftovers = planLeftovers(config, state, known, matchedKeys);
  if (config.firewall && state.firewall) {
    const firewall = planFirewall(config.firewall, state.firewall, known);
    changes.push(...firewall.changes);
    leftovers.unshift(...firewall.leftovers);
  }
  if (options.prune) changes.push(...leftovers);
  return { changes, unmanaged: options.prune ? [] : leftovers.map((c) => `${c.kind} ${c.name}`), known };
}

// ---- REST APIs and stages ----

function planApi(api: DesiredApi, state: ServerState, known: KnownIds): Change[] {
  const current = oneNamed(state.apis, api.name, "REST API");
  if (!current) {
    return [
      {
        action: "create",
        kind: "api",
        name: api.name,
        fields: [{ field: "openapi", to: `${api.openapi} (sha256 ${short(api.sha256)})` }],
        async run(ctx) {
          // Created with its source tag, then filled from the document. An API whose document
          // the server refused is deleted again: its tag would claim a source it does not hold.
          const created = await ctx.client.request<RestApi>("POST", "/restapis", {
            body: { name: api.name, tags: { [SOURCE_TAG]: api.sha256 } },
          });
          try {
            await putDocument(ctx, created.id, api);
          } catch (error) {
            await ctx.client.request("DELETE", `/restapis/${created.id}`).catch(() => undefined);
            throw error;
          }
          ctx.apis.set(api.name, created.id);
        },
      },
      ...api.stages.map((stage) => createStage(api, stage)),
    ];
  }
  known.apis.set(api.name, current.id);
  const changes: Change[] = [];
  const recorded = current.tags?.[SOURCE_TAG];
  const sourceChanged = recorded !== api.sha256;
  if (sourceChanged) {
    changes.push({
      action: "update",
      kind: "api",
      name: api.name,
      fields: [
        { field: "openapi sha256", from: recorded ? short(recorded) : "(none)", to: short(api.sha256) },
      ],
      async run(ctx) {
        await putDocument(ctx, current.id, api);
        const arn = `arn:aws:apigateway:us-east-1::/restapis/${current.id}`;
        await ctx.client.request("PUT", `/tags/${encodeURIComponent(arn)}`, {
          body: { tags: { [SOURCE_TAG]: api.sha256 } },
        });
      },
    });
  }
  const stages = state.stages.get(current.id) ?? [];
  for (const stage of api.stages) {
    const existing = stages.find((s) => s.stageName === stage.name);
    const change = existing
      ? updateStage(api, stage, existing, {
          redeploy: sourceChanged,
          canaryRunsDocument: runsDocument(state.canaryDeployments, current.id, existing, api),
        })
      : createStage(api, stage);
    if (change) changes.push(change);
  }
  return changes;
}

/**
 * Replaces the API's resources and methods with the OpenAPI document's (PutRestApi, overwrite),
 * titled with the API's name so that the next apply finds it by name.
 */
async function putDocument(ctx: ExecContext, apiId: string, api: DesiredApi): Promise<void> {
  const info = (api.document.info ?? {}) as Record<string, unknown>;
  await ctx.client.request("PUT", `/restapis/${apiId}`, {
    query: { mode: "overwrite" },
    rawBody: JSON.stringify({ ...api.document, info: { ...info, title: api.name } }),
  });
}

/** A new stage: deployed, then set as the file says (a canary starts on the stage's deployment). */
function createStage(api: DesiredApi, stage: StageConfig): Change {
  const fresh = { redeploy: false, canaryRunsDocument: false };
  const diff = (current: Stage) => {
    const settings = stageDiff(stage, current);
    const canary = canaryPlan(stage.canary, current, fresh);
    return { ops: [...settings.ops, ...canary.ops], fields: [...settings.fields, ...canary.fields] };
  };
  return {
    action: "create",
    kind: "stage",
    name: `${api.name}/${stage.name}`,
    fields: diff({ stageName: stage.name }).fields,
    async run(ctx) {
      const apiId = idOf(ctx.apis, api.name, "API");
      await deploy(ctx, apiId, stage.name, api);
      // Settings go through the same diff as updates, against the stage as the server made it.
      const created = await ctx.client.request<Stage>("GET", `/restapis/${apiId}/stages/${stage.name}`);
      await patchStage(ctx, apiId, stage.name, diff(created).ops);
    },
  };
}

/**
 * An existing stage: a changed OpenAPI file is deployed to it (to its canary while the file
 * gives it one), then its settings are patched in one UpdateStage.
 */
function updateStage(
  api: DesiredApi,
  stage: StageConfig,
  current: Stage,
  context: { redeploy: boolean; canaryRunsDocument: boolean },
): Change | undefined {
  const settings = stageDiff(stage, current);
  const canary = canaryPlan(stage.canary, current, context);
  const ops = [...settings.ops, ...canary.ops];
  const toBase = context.redeploy && !canary.deployAsCanary;
  if (!context.redeploy && !ops.length) return undefined;
  return {
    action: "update",
    kind: "stage",
    name: `${api.name}/${stage.name}`,
    fields: [
      ...(toBase
        ? [{ field: "deployment", from: current.deploymentId, to: "(new: the OpenAPI file changed)" }]
        : []),
      ...settings.fields,
      ...canary.fields,
    ],
    async run(ctx) {
      const apiId = idOf(ctx.apis, api.name, "API");
      if (context.redeploy) await deploy(ctx, apiId, stage.name, api, canary.deployAsCanary);
      await patchStage(ctx, apiId, stage.name, ops);
    },
  };
}

/** CreateDeployment of the API to the stage, or to its canary with `canarySettings`. */
async function deploy(
  ctx: ExecContext,
  apiId: string,
  stageName: string,
  api: DesiredApi,
  canarySettings?: CanaryPlan["deployAsCanary"],
): Promise<void> {
  await ctx.client.request("POST", `/restapis/${apiId}/deployments`, {
    body: { stageName, description: deploymentDescription(api), canarySettings },
  });
}

/** How apply describes the deployments it makes; it names the document by its sha256. */
function deploymentDescription(api: DesiredApi): string {
  return `tollgate apply: ${api.openapi} (sha256 ${short(api.sha256)})`;
}

/** Whether the stage's canary runs a deployment apply made of the file's current document. */
function runsDocument(
  deployments: ServerState["canaryDeployments"],
  apiId: string,
  stage: Stage,
  api: DesiredApi,
): boolean {
  const id = stage.canarySettings?.deploymentId;
  const description = id ? deployments.get(`${apiId}/${id}`)?.description : undefined;
  return (
    description?.startsWith("tollgate apply: ") === true &&
    description.endsWith(`(sha256 ${short(api.sha256)})`)
  );
}

async function patchStage(ctx: ExecContext, apiId: string, stageName: string, ops: PatchOp[]): Promise<void> {
  if (!ops.length) return;
  await ctx.client.request("PATCH", `/restapis/${apiId}/stages/${stageName}`, {
    body: { patchOperations: ops },
  });
}

/**
 * Stated description, the complete variable set when stated, each stated method throttle and
 * the stated cache settings.
 */
function stageDiff(desired: StageConfig, current: Stage): { ops: PatchOp[]; fields: FieldChange[] } {
  const ops: PatchOp[] = [];
  const fields: FieldChange[] = [];
  if (desired.description !== undefined && desired.description !== (current.description ?? "")) {
    ops.push({ op: "replace", path: "/description", value: desired.description });
    fields.push({ field: "description", from: current.description, to: desired.description });
  }
  if (desired.variables) {
    const have = current.variables ?? {};
    for (const [name, value] of Object.entries(desired.variables)) {
      if (have[name] === value) continue;
      ops.push({ op: "replace", path: `/variables/${name}`, value });
      fields.push({ field: `variables.${name}`, from: have[name], to: value });
    }
    for (const name of Object.keys(have)) {
      if (name in desired.variables) continue;
      ops.push({ op: "remove", path: `/variables/${name}` });
      fields.push({ field: `variables.${name}`, from: have[name] });
    }
  }
  const settings = new Map(
    Object.entries(current.methodSettings ?? {}).map(([key, s]) => [normalizeMethodKey(key), s]),
  );
  for (const [key, throttle] of Object.entries(desired.throttle ?? {})) {
    const have = settings.get(key);
    const { patchPath } = methodKey(key);
    const pairs = [
      ["rateLimit", have?.throttlingRateLimit, throttle.rateLimit],
      ["burstLimit", have?.throttlingBurstLimit, throttle.burstLimit],
    ] as const;
    for (const [name, from, to] of pairs) {
      if (from === to) continue;
      ops.push({ op: "replace", path: `${patchPath}/throttling/${name}`, value: String(to) });
      fields.push({ field: `throttle.${key}.${name}`, from, to });
    }
  }
  const cache = cacheDiff(desired.cache, current);
  return { ops: [...ops, ...cache.ops], fields: [...fields, ...cache.fields] };
}

// ---- usage plans ----

function planUsagePlan(plan: PlanConfig, state: ServerState, known: KnownIds): Change[] {
  const current = oneNamed(state.plans, plan.name, "usage plan");
  if (!current) {
    return [
      {
        action: "create",
        kind: "usage plan",
        name: plan.name,
        fields: [
          ...(plan.throttle ? [{ field: "throttle", to: plan.throttle }] : []),
          ...(plan.quota ? [{ field: "quota", to: plan.quota }] : []),
          ...(plan.apiStages?.length
            ? [{ field: "apiStages", to: plan.apiStages.map((s) => `${s.api}:${s.stage}`).join(", ") }]
            : []),
        ],
        async run(ctx) {
          const created = await ctx.client.request<UsagePlan>("POST", "/usageplans", {
            body: {
              name: plan.name,
              description: plan.description,
              throttle: plan.throttle ?? undefined,
              quota: plan.quota ?? undefined,
              apiStages: plan.apiStages?.map((s) => ({
                apiId: idOf(ctx.apis, s.api, "API"),
                stage: s.stage,
                throttle: s.throttle,
              })),
            },
          });
          ctx.plans.set(plan.name, created.id);
        },
      },
    ];
  }
  known.plans.set(plan.name, current.id);
  const { ops, fields } = usagePlanDiff(plan, current, known);
  if (!ops.length) return [];
  return [
    {
      action: "update",
      kind: "usage plan",
      name: plan.name,
      fields,
      async run(ctx) {
        await ctx.client.request("PATCH", `/usageplans/${current.id}`, {
          body: { patchOperations: ops.map((op) => op(ctx)) },
        });
      },
    },
  ];
}

function usagePlanDiff(
  desired: PlanConfig,
  current: UsagePlan,
  known: KnownIds,
): { ops: LazyOp[]; fields: FieldChange[] } {
  const ops: LazyOp[] = [];
  const fields: FieldChange[] = [];
  const change = (op: PatchOp | LazyOp, field: FieldChange) => {
    ops.push(typeof op === "function" ? op : () => op);
    fields.push(field);
  };
  if (desired.description !== undefined && desired.description !== (current.description ?? "")) {
    change(
      { op: "replace", path: "/description", value: desired.description },
      { field: "description", from: current.description, to: desired.description },
    );
  }
  limitsDiff("throttle", desired.throttle, current.throttle, ["rateLimit", "burstLimit"], change);
  // The file's offset defaults to 0; a server may leave a zero offset out.
  const currentQuota = current.quota && { ...current.quota, offset: current.quota.offset ?? 0 };
  limitsDiff("quota", desired.quota, currentQuota, ["limit", "period", "offset"], change);
  if (desired.apiStages) apiStagesDiff(desired.apiStages, current.apiStages ?? [], known, change);
  return { ops, fields };
}

/** `null` removes the whole object; a stated object replaces each member that differs. */
function limitsDiff<T extends object>(
  name: string,
  desired: T | null | undefined,
  current: Partial<T> | undefined,
  members: Array<keyof T & string>,
  change: (op: PatchOp, field: FieldChange) => void,
): void {
  if (desired === undefined) return;
  if (desired === null) {
    if (current) change({ op: "remove", path: `/${name}` }, { field: name, from: current });
    return;
  }
  for (const member of members) {
    const from = current?.[member];
    const to = desired[member];
    if (from === to) continue;
    change(
      { op: "replace", path: `/${name}/${member}`, value: String(to) },
      { field: `${name}.${member}`, from, to },
    );
  }
}

type PlanStage = NonNullable<PlanConfig["apiStages"]>[number];

/** The stated API stages are the plan's complete set; each stated throttle map is complete too. */
function apiStagesDiff(
  desired: PlanStage[],
  current: NonNullable<UsagePlan["apiStages"]>,
  known: KnownIds,
  change: (op: PatchOp | LazyOp, field: FieldChange) => void,
): void {
  const nameOfApi = new Map([...known.apis].map(([name, id]) => [id, name]));
  const wanted = new Map(desired.map((s) => [`${s.api}:${s.stage}`, s]));
  const have = new Set<string>();
  for (const stage of current) {
    const name = nameOfApi.get(stage.apiId);
    const label = `${name ?? stage.apiId}:${stage.stage}`;
    const want = name === undefined ? undefined : wanted.get(label);
    const idStage = `${stage.apiId}:${stage.stage}`;
    if (!want) {
      change({ op: "remove", path: "/apiStages", value: idStage }, { field: "apiStages", from: label });
      continue;
    }
    have.add(label);
    if (want.throttle) methodThrottleDiff(label, () => idStage, want.throttle, stage.throttle ?? {}, change);
  }
  for (const [label, want] of wanted) {
    if (have.has(label)) continue;
    const idStage = (ctx: ExecContext) => `${idOf(ctx.apis, want.api, "API")}:${want.stage}`;
    change((ctx) => ({ op: "add", path: "/apiStages", value: idStage(ctx) }), {
      field: "apiStages",
      to: label,
    });
    if (want.throttle) methodThrottleDiff(label, idStage, want.throttle, {}, change);
  }
}

function methodThrottleDiff(
  label: string,
  idStage: (ctx: ExecContext) => string,
  desired: Record<string, { rateLimit: number; burstLimit: number }>,
  current: Record<string, { rateLimit?: number; burstLimit?: number }>,
  change: (op: LazyOp, field: FieldChange) => void,
): void {
  const base = (ctx: ExecContext, key: string) =>
    `/apiStages/${idStage(ctx)}/throttle${methodKey(key).patchPath}`;
  for (const [key, throttle] of Object.entries(desired)) {
    for (const member of ["rateLimit", "burstLimit"] as const) {
      const from = current[key]?.[member];
      const to = throttle[member];
      if (from === to) continue;
      change((ctx) => ({ op: "replace", path: `${base(ctx, key)}/${member}`, value: String(to) }), {
        field: `apiStages.${label}.throttle.${key}.${member}`,
        from,
        to,
      });
    }
  }
  for (const key of Object.keys(current)) {
    if (key in desired) continue;
    change((ctx) => ({ op: "remove", path: base(ctx, key) }), {
      field: `apiStages.${label}.throttle.${key}`,
      from: current[key],
    });
  }
}

// ---- tenants and their keys ----

function planTenant(tenant: TenantConfig, state: ServerState, known: KnownIds): Change[] {
  const current = state.tenants.find((t) => t.name === tenant.name);
  const { ops, fields } = tenantDiff(tenant, current, known);
  if (!current) {
    return [
      {
        action: "create",
        kind: "tenant",
        name: tenant.name,
        fields,
        async run(ctx) {
          const created = await ctx.client.request<{ id: string }>("POST", "/tenants", {
            body: { name: tenant.name, description: tenant.description },
          });
          ctx.tenants.set(tenant.name, created.id);
          const access = ops(ctx).filter((op) => op.path !== "/description");
          if (access.length) {
            await ctx.client.request("PATCH", `/tenants/${created.id}`, {
              body: { patchOperations: access },
            });
          }
        },
      },
    ];
  }
  known.tenants.set(tenant.name, current.id);
  if (!fields.length) return [];
  return [
    {
      action: "update",
      kind: "tenant",
      name: tenant.name,
      fields,
      async run(ctx) {
        await ctx.client.request("PATCH", `/tenants/${current.id}`, { body: { patchOperations: ops(ctx) } });
      },
    },
  ];
}

/**
 * Stated description, block and access lists against the tenant's. Access patterns may start
 * with the name of an API of the file, which becomes its id.
 */
function tenantDiff(
  desired: TenantConfig,
  current: Tenant | undefined,
  known: KnownIds,
): { ops: (ctx: ExecContext) => PatchOp[]; fields: FieldChange[] } {
  const fields: FieldChange[] = [];
  const lazy: LazyOp[] = [];
  if (desired.description !== undefined && desired.description !== (current?.description ?? "")) {
    fields.push({ field: "description", from: current?.description, to: desired.description });
    lazy.push(() => ({ op: "replace", path: "/description", value: desired.description }));
  }
  if (desired.blocked !== undefined && desired.blocked !== (current?.blocked ?? false)) {
    fields.push({ field: "blocked", from: current?.blocked ?? false, to: desired.blocked });
    lazy.push(() => ({ op: "replace", path: "/blocked", value: String(desired.blocked) }));
  }
  if (desired.blockReason !== undefined && desired.blockReason !== (current?.blockReason ?? "")) {
    fields.push({ field: "blockReason", from: current?.blockReason, to: desired.blockReason });
    lazy.push(() => ({ op: "replace", path: "/blockReason", value: desired.blockReason }));
  }
  for (const field of ["allowedResources", "deniedResources"] as const) {
    const want = desired[field];
    if (want === undefined) continue;
    const have = current?.[field] ?? [];
    const planned = want.map((p) => withApiId(p, known.apis));
    if (planned.join("\n") === have.join("\n")) continue;
    fields.push({ field, from: have, to: want });
    lazy.push((ctx) => ({
      op: "replace",
      path: `/${field}`,
      value: JSON.stringify(want.map((p) => withApiId(p, ctx.apis))),
    }));
  }
  return { ops: (ctx) => lazy.map((op) => op(ctx)), fields };
}

/** `petstore/prod/GET/*` with the id of the file's API `petstore` in place of its name. */
function withApiId(pattern: string, apis: Map<string, string>): string {
  const slash = pattern.indexOf("/");
  const head = slash === -1 ? pattern : pattern.slice(0, slash);
  const id = apis.get(head);
  return id === undefined ? pattern : `${id}${slash === -1 ? "" : pattern.slice(slash)}`;
}

function planKeys(tenant: TenantConfig, state: ServerState, known: KnownIds, matched: Set<string>): Change[] {
  const tenantId = known.tenants.get(tenant.name);
  const owned = tenantId ? state.keys.filter((k) => k.customerId === tenantId) : [];
  const changes: Change[] = [];
  for (const key of tenant.keys) {
    const current = oneNamed(owned, key.name, `API key of tenant '${tenant.name}'`);
    if (!current) {
      changes.push(createKey(tenant, key));
      continue;
    }
    matched.add(current.id);
    // A key's value cannot change: a new value means a new key, then the old one goes.
    if (key.value !== undefined && current.value !== key.value) {
      const create = createKey(tenant, key);
      changes.push({
        ...create,
        action: "replace",
        fields: [{ field: "value", from: "(hidden)", to: "(hidden, from the file)" }],
        async run(ctx) {
          await create.run(ctx);
          await ctx.client.request("DELETE", `/apikeys/${current.id}`);
        },
      });
      continue;
    }
    const change = updateKey(tenant, key, current, state, known);
    if (change) changes.push(change);
  }
  return changes;
}

function keyCreateFields(key: KeyConfig): FieldChange[] {
  return [
    { field: "plan", to: key.plan },
    { field: "value", to: key.value === undefined ? "(generated)" : "(hidden, from the file)" },
    ...(key.enabled === false ? [{ field: "enabled", to: false }] : []),
  ];
}

function createKey(tenant: TenantConfig, key: KeyConfig): Change {
  return {
    action: "create",
    kind: "api key",
    name: `${tenant.name}/${key.name}`,
    fields: keyCreateFields(key),
    async run(ctx) {
      const created = await ctx.client.request<ApiKey>("POST", "/apikeys", {
        body: {
          name: key.name,
          description: key.description,
          enabled: key.enabled ?? true,
          customerId: idOf(ctx.tenants, tenant.name, "tenant"),
          value: key.value,
        },
      });
      await ctx.client.request("POST", `/usageplans/${idOf(ctx.plans, key.plan, "usage plan")}/keys`, {
        body: { keyId: created.id, keyType: "API_KEY" },
      });
      ctx.createdKeys.push({
        tenant: tenant.name,
        name: key.name,
        plan: key.plan,
        id: created.id,
        // Values the file supplied are known already; only generated ones are shown.
        ...(key.value === undefined && created.value ? { value: created.value } : {}),
      });
    },
  };
}

function updateKey(
  tenant: TenantConfig,
  key: KeyConfig,
  current: ApiKey,
  state: ServerState,
  known: KnownIds,
): Change | undefined {
  const ops: PatchOp[] = [];
  const fields: FieldChange[] = [];
  if (key.enabled !== undefined && key.enabled !== (current.enabled ?? true)) {
    ops.push({ op: "replace", path: "/enabled", value: String(key.enabled) });
    fields.push({ field: "enabled", from: current.enabled, to: key.enabled });
  }
  if (key.description !== undefined && key.description !== (current.description ?? "")) {
    ops.push({ op: "replace", path: "/description", value: key.description });
    fields.push({ field: "description", from: current.description, to: key.description });
  }
  const on = state.planIdsByKey.get(current.id) ?? [];
  const want = known.plans.get(key.plan);
  // A key belongs to exactly the plan the file names (AWS refuses a key on two plans sharing a stage).
  const detach = on.filter((id) => id !== want);
  const attach = want === undefined || !on.includes(want);
  if (detach.length || attach) {
    const planName = (id: string) => state.plans.find((p) => p.id === id)?.name ?? id;
    fields.push({ field: "plan", from: on.map(planName).join(", ") || "(none)", to: key.plan });
  }
  if (!fields.length) return undefined;
  return {
    action: "update",
    kind: "api key",
    name: `${tenant.name}/${key.name}`,
    fields,
    async run(ctx) {
      if (ops.length) {
        await ctx.client.request("PATCH", `/apikeys/${current.id}`, { body: { patchOperations: ops } });
      }
      for (const planId of detach)
        await ctx.client.request("DELETE", `/usageplans/${planId}/keys/${current.id}`);
      if (attach) {
        await ctx.client.request("POST", `/usageplans/${idOf(ctx.plans, key.plan, "usage plan")}/keys`, {
          body: { keyId: current.id, keyType: "API_KEY" },
        });
      }
    },
  };
}

// ---- what the file does not name ----

/**
 * Deletions of everything the file does not name: keys first, APIs last. A usage plan loses its
 * API stages before it goes, and an API or stage leaves every plan first, as API Gateway refuses
 * to delete what a plan still covers.
 */
function planLeftovers(
  config: DesiredConfig,
  state: ServerState,
  known: KnownIds,
  matchedKeys: Set<string>,
): Change[] {
  const remove = (
    kind: Change["kind"],
    name: string,
    path: string,
    before?: (ctx: ExecContext) => Promise<void>,
  ) => ({
    action: "delete" as const,
    kind,
    name,
    fields: [],
    async run(ctx: ExecContext) {
      await before?.(ctx);
      await ctx.client.request("DELETE", path);
    },
  });
  const tenantName = new Map(state.tenants.map((t) => [t.id, t.name]));
  const named = (items: Array<{ name: string }>) => new Set(items.map((i) => i.name));
  const apis = named(config.apis);
  const plans = named(config.usagePlans);
  const tenants = named(config.tenants);
  const changes: Change[] = [];
  for (const key of state.keys) {
    if (matchedKeys.has(key.id)) continue;
    const owner = (key.customerId && tenantName.get(key.customerId)) || "(no tenant)";
    changes.push(remove("api key", `${owner}/${key.name ?? key.id}`, `/apikeys/${key.id}`));
  }
  for (const plan of state.plans) {
    if (plans.has(plan.name)) continue;
    changes.push(
      remove("usage plan", plan.name, `/usageplans/${plan.id}`, (ctx) =>
        removeApiStages(ctx, [plan], () => true),
      ),
    );
  }
  for (const tenant of state.tenants) {
    if (!tenants.has(tenant.name)) changes.push(remove("tenant", tenant.name, `/tenants/${tenant.id}`));
  }
  for (const api of config.apis) {
    const apiId = known.apis.get(api.name);
    if (!apiId) continue;
    for (const stage of state.stages.get(apiId) ?? []) {
      if (api.stages.some((s) => s.name === stage.stageName)) continue;
      const path = `/restapis/${apiId}/stages/${stage.stageName}`;
      changes.push(
        remove("stage", `${api.name}/${stage.stageName}`, path, async (ctx) =>
          removeApiStages(
            ctx,
            await ctx.client.listAll<UsagePlan>("/usageplans"),
            (s) => s.apiId === apiId && s.stage === stage.stageName,
          ),
        ),
      );
    }
  }
  for (const api of state.apis) {
    if (apis.has(api.name)) continue;
    changes.push(
      remove("api", `${api.name} (${api.id})`, `/restapis/${api.id}`, async (ctx) =>
        removeApiStages(ctx, await ctx.client.listAll<UsagePlan>("/usageplans"), (s) => s.apiId === api.id),
      ),
    );
  }
  return changes;
}

/** Takes the API stages that `match` selects out of the plans that have any. */
async function removeApiStages(
  ctx: ExecContext,
  plans: UsagePlan[],
  match: (stage: { apiId: string; stage: string }) => boolean,
): Promise<void> {
  for (const plan of plans) {
    const ops = (plan.apiStages ?? [])
      .filter(match)
      .map((s) => ({ op: "remove", path: "/apiStages", value: `${s.apiId}:${s.stage}` }));
    if (ops.length)
      await ctx.client.request("PATCH", `/usageplans/${plan.id}`, { body: { patchOperations: ops } });
  }
}

function short(sha256: string): string {
  return sha256.slice(0, 12);
}
