import { parse as parseYaml } from "yaml";
import type { RestApiService, StageService } from "../apis/index.js";
import type { Billing, PlanPrice } from "../billing/index.js";
import type { Clock } from "../core/clock.js";
import { BadRequestError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { UsagePlanService } from "../plans/index.js";
import { type Store, toJson } from "../store/index.js";

/** A usage plan as the portal offers it. */
export interface CatalogPlan {
  id: string;
  name: string;
  description?: string;
  throttle?: { rateLimit?: number; burstLimit?: number };
  quota?: { limit?: number; period?: string; offset?: number };
  price?: PlanPrice;
  visible: boolean;
  approvalRequired: boolean;
  /** The API stages it covers, `apiId:stage`. */
  apiStages: Array<{ apiId: string; stage: string }>;
}

/** A stage of an API in the catalog, with the plans that cover it. */
export interface CatalogStage {
  name: string;
  description?: string;
  published: boolean;
  /** Visible plans covering this stage (an API stage can be in several plans). */
  plans: CatalogPlan[];
}

export interface CatalogApi {
  id: string;
  name: string;
  description?: string;
  version?: string;
  published: boolean;
  stages: CatalogStage[];
}

/** An extra OpenAPI document (documentation only). */
export interface CatalogDocument {
  id: string;
  name: string;
  description?: string;
  published: boolean;
  createdDate: number;
}

/**
 * The catalog: which APIs and stages are published, which plans are shown and whether they need
 * approval, extra OpenAPI documents, and the reference document of a published stage pointing at
 * the gateway. Nothing is published until the provider says so.
 */
export class CatalogService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly services: {
      restApis: RestApiService;
      stages: StageService;
      usagePlans: UsagePlanService;
      billing: Billing;
    },
    private readonly urls: { readonly gatewayUrl: string },
  ) {}

  /** Publishes or hides an API (`stage` absent) or one of its stages. */
  async publish(apiId: string, stage: string | undefined, published: boolean): Promise<void> {
    await this.services.restApis.get(apiId);
    if (stage !== undefined) await this.services.stages.get(apiId, stage);
    const row = {
      rest_api_id: apiId,
      stage_name: stage ?? "",
      published: published ? 1 : 0,
      updated_at: this.clock.now(),
    };
    await this.store.db
      .insertInto("portal_catalog")
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(["rest_api_id", "stage_name"])
          .doUpdateSet({ published: row.published, updated_at: row.updated_at }),
      )
      .execute();
  }

  /** Every API with its stages and what is published (the admin view), or only the published (`publishedOnly`). */
  async apis(options: { publishedOnly?: boolean } = {}): Promise<CatalogApi[]> {
    const [apis, flags, plans] = await Promise.all([
      this.services.restApis.list(),
      this.store.db.selectFrom("portal_catalog").selectAll().execute(),
      this.plans(),
    ]);
    const published = new Set(
      flags.filter((f) => f.published === 1).map((f) => `${f.rest_api_id}/${f.stage_name}`),
    );
    const out: CatalogApi[] = [];
    for (const api of apis) {
      const apiPublished = published.has(`${api.id}/`);
      if (options.publishedOnly && !apiPublished) continue;
      const stages: CatalogStage[] = [];
      for (const stage of await this.services.stages.list(api.id)) {
        const stagePublished = published.has(`${api.id}/${stage.stageName}`);
        if (options.publishedOnly && !stagePublished) continue;
        stages.push({
          name: stage.stageName,
          ...(stage.description ? { description: stage.description } : {}),
          published: stagePublished,
          plans: plans.filter(
            (p) =>
              (p.visible || !options.publishedOnly) &&
              p.apiStages.some((s) => s.apiId === api.id && s.stage === stage.stageName),
          ),
        });
      }
      if (options.publishedOnly && !stages.length) continue;
      out.push({
        id: api.id,
        name: api.name,
        ...(api.description ? { description: api.description } : {}),
        ...(api.version ? { version: api.version } : {}),
        published: apiPublished,
        stages,
      });
    }
    return out;
  }

  /** A published API stage, or a NotFoundError (hidden ones do not exist for developers). */
  async publishedStage(apiId: string, stage: string): Promise<{ api: CatalogApi; stage: CatalogStage }> {
    const api = (await this.apis({ publishedOnly: true })).find((a) => a.id === apiId);
    const found = api?.stages.find((s) => s.name === stage);
    if (!api || !found) throw new NotFoundError(`No published API stage ${apiId}/${stage}`);
    return { api, stage: found };
  }

  /** The OpenAPI 3 document of a published stage, its server set to the gateway's public URL. */
  async referenceDocument(apiId: string, stage: string): Promise<Record<string, unknown>> {
    await this.publishedStage(apiId, stage);
    const exported = await this.services.restApis.exportApi(apiId, stage, "oas30", {
      accept: "application/json",
    });
    const document = JSON.parse(exported.body) as Record<string, unknown>;
    document.servers = [
      { url: `${this.urls.gatewayUrl}/${stage}`, description: `Stage ${stage} through the gateway` },
    ];
    return document;
  }

  /** Every usage plan with its portal settings and price. */
  async plans(): Promise<CatalogPlan[]> {
    const [plans, settings, prices] = await Promise.all([
      this.services.usagePlans.list(),
      this.store.db.selectFrom("portal_plans").selectAll().execute(),
      this.services.billing.prices.list(),
    ]);
    return plans
      .map((p) => {
        const s = settings.find((r) => r.usage_plan_id === p.id);
        const price = prices.find((r) => r.usagePlanId === p.id);
        return {
          id: p.id,
          name: p.name,
          ...(p.description ? { description: p.description } : {}),
          ...(p.throttle ? { throttle: p.throttle } : {}),
          ...(p.quota ? { quota: p.quota } : {}),
          ...(price ? { price } : {}),
          visible: s ? s.visible === 1 : true,
          approvalRequired: s ? s.approval_required === 1 : false,
          apiStages: p.apiStages.map((a) => ({ apiId: a.apiId, stage: a.stage })),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async plan(id: string): Promise<CatalogPlan> {
    const plan = (await this.plans()).find((p) => p.id === id);
    if (!plan) throw new NotFoundError(`Invalid usage plan identifier specified: ${id}`);
    return plan;
  }

  /** Shows or hides a plan in the portal, and whether subscribing to it needs approval. */
  async setPlan(id: string, input: { visible?: boolean; approvalRequired?: boolean }): Promise<CatalogPlan> {
    const current = await this.plan(id);
    const row = {
      usage_plan_id: id,
      visible: (input.visible ?? current.visible) ? 1 : 0,
      approval_required: (input.approvalRequired ?? current.approvalRequired) ? 1 : 0,
      updated_at: this.clock.now(),
    };
    await this.store.db
      .insertInto("portal_plans")
      .values(row)
      .onConflict((oc) =>
        oc.column("usage_plan_id").doUpdateSet({
          visible: row.visible,
          approval_required: row.approval_required,
          updated_at: row.updated_at,
        }),
      )
      .execute();
    return this.plan(id);
  }

  /** Adds an OpenAPI document (JSON or YAML, OpenAPI 3 or Swagger 2) shown as documentation. */
  async addDocument(input: {
    name: string;
    description?: string;
    document: string;
    published?: boolean;
  }): Promise<CatalogDocument> {
    const name = input.name.trim();
    if (!name || name.length > 100)
      throw new BadRequestError("Give the document a name of 1 to 100 characters.");
    const parsed = parseOpenApi(input.document);
    const now = this.clock.now();
    const row = {
      id: newId(),
      name,
      description: input.description?.trim() || null,
      document: toJson(parsed),
      published: input.published === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    };
    await this.store.db.insertInto("portal_documents").values(row).execute();
    return toDocument(row);
  }

  async documents(options: { publishedOnly?: boolean } = {}): Promise<CatalogDocument[]> {
    let query = this.store.db
      .selectFrom("portal_documents")
      .select(["id", "name", "description", "published", "created_at"]);
    if (options.publishedOnly) query = query.where("published", "=", 1);
    return (await query.orderBy("name").execute()).map(toDocument);
  }

  /** A document's OpenAPI content; hidden documents only for the admin (`publishedOnly` false). */
  async document(
    id: string,
    options: { publishedOnly?: boolean } = {},
  ): Promise<CatalogDocument & { content: Record<string, unknown> }> {
    const row = await this.store.db
      .selectFrom("portal_documents")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row || (options.publishedOnly && row.published !== 1))
      throw new NotFoundError(`Invalid document identifier specified: ${id}`);
    return { ...toDocument(row), content: JSON.parse(row.document) as Record<string, unknown> };
  }

  async setDocumentPublished(id: string, published: boolean): Promise<CatalogDocument> {
    await this.document(id);
    await this.store.db
      .updateTable("portal_documents")
      .set({ published: published ? 1 : 0, updated_at: this.clock.now() })
      .where("id", "=", id)
      .execute();
    return this.document(id);
  }

  async deleteDocument(id: string): Promise<void> {
    await this.document(id);
    await this.store.db.deleteFrom("portal_documents").where("id", "=", id).execute();
  }
}

/** Reads an OpenAPI 3 or Swagger 2 document from JSON or YAML, with a clear message when it is not one. */
export function parseOpenApi(text: string): Record<string, unknown> {
  if (!text.trim()) throw new BadRequestError("The OpenAPI document is empty.");
  if (text.length > 5 * 1024 * 1024) throw new BadRequestError("The OpenAPI document is larger than 5 MiB.");
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new BadRequestError(
      `The document is neither JSON nor YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const doc = parsed as Record<string, unknown> | null;
  const version = doc && typeof doc === "object" ? String(doc.openapi ?? doc.swagger ?? "") : "";
  if (!/^(3\.[01]|2\.0)/.test(version) || typeof doc?.info !== "object" || typeof doc?.paths !== "object") {
    throw new BadRequestError(
      "This is not an OpenAPI 3 or Swagger 2 document: it needs 'openapi' (or 'swagger'), 'info' and 'paths'.",
    );
  }
  return doc;
}

function toDocument(row: {
  id: string;
  name: string;
  description: string | null;
  published: number;
  created_at: number;
}): CatalogDocument {
  return {
    id: row.id,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    published: row.published === 1,
    createdDate: Math.floor(row.created_at / 1000),
  };
}
