import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchBoolean,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { type Database, fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import { checkMethodAuthorizer, loadAuthorizers, syncAuthorizers } from "./authorizers.js";
import { checkCorsConfiguration } from "./cors-configuration.js";
import type {
  ApiSnapshot,
  AuthorizerType,
  CorsConfiguration,
  Integration,
  Method,
  Resource,
} from "./model.js";
import { checkModels, loadModels, syncModels } from "./models.js";
import { readOpenApi } from "./openapi-document.js";
import { type ExportFormat, type ExportType, exportDocument, serializeExport } from "./openapi-export.js";
import { type ApiSettings, type ImportPlan, mergeDefinitions, planImport } from "./openapi-import.js";
import type { JsonObject } from "./openapi-json.js";
import { loadRequestValidators, syncRequestValidators } from "./request-validators.js";
import { parseResourcePolicy } from "./resource-policy.js";
import {
  buildIntegration,
  buildMethod,
  httpMethodOf,
  type IntegrationInput,
  type MethodInput,
  patchIntegration,
  patchMethod,
  pathSegments,
  type ResourceNode,
  ResourceTree,
  toResource,
} from "./resources.js";

/** A REST API in API Gateway's shape (timestamps in epoch seconds). */
export interface RestApi {
  id: string;
  name: string;
  description?: string;
  createdDate: number;
  version?: string;
  /** What the last import or put could not take as written (kept until the next one). */
  warnings?: string[];
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  apiKeySource: "HEADER" | "AUTHORIZER";
  endpointConfiguration: EndpointConfiguration;
  policy?: string;
  tags?: Record<string, string>;
  disableExecuteApiEndpoint: boolean;
  rootResourceId: string;
  /** CORS the gateway answers for this API (Tollgate's, as the HTTP API's field). */
  corsConfiguration?: CorsConfiguration;
}

export interface EndpointConfiguration {
  types: string[];
  ipAddressType?: string;
  vpcEndpointIds?: string[];
}

export interface CreateRestApiInput {
  name: string;
  description?: string;
  version?: string;
  cloneFrom?: string;
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  apiKeySource?: "HEADER" | "AUTHORIZER";
  endpointConfiguration?: Partial<EndpointConfiguration>;
  policy?: string;
  tags?: Record<string, string>;
  disableExecuteApiEndpoint?: boolean;
  corsConfiguration?: unknown;
}

/** Query parameters of ImportRestApi and PutRestApi (AWS's `parameters` map plus `mode` and `failonwarnings`). */
export interface ImportQuery {
  mode?: string;
  failonwarnings?: string;
  basepath?: string;
  endpointConfigurationTypes?: string;
}

/** What GetExport answers: the document and how to label it. */
export interface ApiExport {
  contentType: string;
  fileName: string;
  body: string;
}

/** RestApi members kept in the `attributes` column. */
interface ApiAttributes {
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  endpointConfiguration: EndpointConfiguration;
  policy?: string;
  tags?: Record<string, string>;
  disableExecuteApiEndpoint?: boolean;
  corsConfiguration?: CorsConfiguration;
}

/** What methods of an API may refer to: authorizer types by id, validator ids, model names. */
interface MethodReferences {
  authorizers: Map<string, AuthorizerType>;
  validators: Set<string>;
  models: Set<string>;
}

type ApiRow = Database["rest_apis"];
type ResourceRow = Database["resources"];

const ENDPOINT_TYPES = ["EDGE", "REGIONAL", "PRIVATE"];
const MAX_COMPRESSION_SIZE = 10_485_760;

/**
 * REST APIs: create, import from OpenAPI/Swagger, put (overwrite or merge), their resources,
 * methods and integrations, and export of what a stage serves. Every write is one transaction
 * that is checked in memory first, so a refused request leaves the store as it was.
 */
export class RestApiService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateRestApiInput): Promise<RestApi> {
    if (input.description === "") throw new BadRequestError("Description cannot be an empty string");
    if (input.policy) parseResourcePolicy(input.policy);
    const attributes: ApiAttributes = {
      ...checkedSettings({
        binaryMediaTypes: input.binaryMediaTypes,
        minimumCompressionSize: input.minimumCompressionSize,
      }),
      endpointConfiguration: endpointConfiguration(
        input.endpointConfiguration?.types,
        input.endpointConfiguration,
      ),
      policy: input.policy,
      tags: input.tags,
      disableExecuteApiEndpoint: input.disableExecuteApiEndpoint ?? false,
      ...(input.corsConfiguration !== undefined
        ? { corsConfiguration: checkCorsConfiguration(input.corsConfiguration) }
        : {}),
    };
    return this.store.transaction(async (trx) => {
      const rootId = newId();
      const source = input.cloneFrom ? await this.clonedParts(trx, input.cloneFrom, rootId) : undefined;
      const row = this.newApiRow(input, attributes, source?.definition ?? null, [], rootId);
      await trx.insertInto("rest_apis").values(row).execute();
      await insertNodes(trx, row.id, source?.nodes ?? [rootNode(rootId)]);
      await this.store.bumpRevision(trx);
      return toRestApi(row);
    });
  }

  /** ImportRestApi: a new API from an OpenAPI 3.0/3.1 or Swagger 2.0 file. */
  async importApi(text: string, query: ImportQuery): Promise<RestApi> {
    const plan = await this.plan(text, query);
    const row = this.newApiRow(
      plan.settings,
      {
        ...checkedSettings(plan.settings),
        endpointConfiguration: endpointConfiguration(query.endpointConfigurationTypes?.split(",")),
        policy: plan.settings.policy,
        disableExecuteApiEndpoint: plan.settings.disableExecuteApiEndpoint ?? false,
        corsConfiguration: plan.settings.corsConfiguration,
      },
      toJson(plan.definition),
      plan.warnings,
    );
    await this.store.transaction(async (trx) => {
      await trx.insertInto("rest_apis").values(row).execute();
      const refs = await this.storePolicies(trx, row.id, plan, false);
      const tree = new ResourceTree([rootNode(row.root_resource_id)]);
      applyRoutes(tree, plan);
      checkTree(tree, refs);
      await insertNodes(trx, row.id, tree.all());
      await this.store.bumpRevision(trx);
    });
    return toRestApi(row);
  }

  /**
   * PutRestApi: `overwrite` replaces every resource and method with the document's; `merge` (the
   * default, as AWS) adds or replaces the document's methods and keeps everything else.
   */
  async put(id: string, text: string, query: ImportQuery): Promise<RestApi> {
    const mode = (query.mode ?? "merge").toLowerCase();
    if (mode !== "merge" && mode !== "overwrite") {
      throw new BadRequestError(`Invalid mode '${query.mode}': expected overwrite or merge`);
    }
    const plan = await this.plan(text, query);
    let refs: MethodReferences | undefined;
    const { row } = await this.withTree(
      id,
      (tree) => {
        if (mode === "overwrite") keepOnly(tree, plan);
        applyRoutes(tree, plan);
        checkTree(tree, refs!);
      },
      (row) => putRow(row, plan, mode === "merge"),
      async (trx) => {
        refs = await this.storePolicies(trx, id, plan, mode === "overwrite");
      },
    );
    return toRestApi(row);
  }

  async get(id: string): Promise<RestApi> {
    return toRestApi(await this.apiRow(this.store.db, id));
  }

  async list(): Promise<RestApi[]> {
    const rows = await this.store.db
      .selectFrom("rest_apis")
      .selectAll()
      .orderBy("name")
      .orderBy("id")
      .execute();
    return rows.map(toRestApi);
  }

  async update(id: string, operations: PatchOperation[]): Promise<RestApi> {
    return this.editApi(id, (row, attributes) => {
      for (const op of operations) applyApiPatch(row, attributes, op);
    });
  }

  /** TagResource on a REST API's ARN: adds or replaces the given tags. */
  async tag(id: string, tags: Record<string, string>): Promise<RestApi> {
    return this.editApi(id, (_, attributes) => {
      attributes.tags = { ...attributes.tags, ...tags };
    });
  }

  /** UntagResource on a REST API's ARN: removes the given tag keys (unknown keys are ignored). */
  async untag(id: string, keys: string[]): Promise<RestApi> {
    return this.editApi(id, (_, attributes) => {
      attributes.tags = Object.fromEntries(
        Object.entries(attributes.tags ?? {}).filter(([k]) => !keys.includes(k)),
      );
    });
  }

  /** Deletes the API; its resources, deployments and stages go with it (foreign keys cascade). */
  async delete(id: string): Promise<void> {
    await this.apiRow(this.store.db, id);
    await this.store.transaction(async (trx) => {
      await trx.deleteFrom("rest_apis").where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  /** GetResources: every resource, ordered by path; `embedMethods` includes the methods in full. */
  async resources(apiId: string, embedMethods: boolean): Promise<Resource[]> {
    const tree = await this.readTree(apiId);
    return tree.all().map((n) => toResource(n, embedMethods));
  }

  async resource(apiId: string, resourceId: string, embedMethods: boolean): Promise<Resource> {
    return toResource(nodeIn(await this.readTree(apiId), resourceId), embedMethods);
  }

  async createResource(apiId: string, parentId: string, pathPart: string): Promise<Resource> {
    const { result } = await this.withTree(apiId, (tree) =>
      toResource(tree.addChild(nodeIn(tree, parentId), pathPart, newId()), false),
    );
    return result;
  }

  /** Deletes a resource with everything below it; the root cannot be deleted. */
  async deleteResource(apiId: string, resourceId: string): Promise<void> {
    await this.withTree(apiId, (tree) => {
      const node = nodeIn(tree, resourceId);
      if (node.parentId === null) throw new BadRequestError("Cannot delete the root resource of an API");
      tree.remove(tree.subtree(node.id));
    });
  }

  /** UpdateResource: `/pathPart` renames, `/parentId` moves; paths below follow. */
  async updateResource(apiId: string, resourceId: string, operations: PatchOperation[]): Promise<Resource> {
    const { result } = await this.withTree(apiId, (tree) => {
      const node = nodeIn(tree, resourceId);
      if (node.parentId === null) throw new BadRequestError("Cannot update the root resource of an API");
      let parent = nodeIn(tree, node.parentId);
      let part = node.pathPart!;
      for (const op of operations) {
        const [field, ...rest] = patchSegments(op.path);
        if (op.op === "replace" && field === "pathPart" && !rest.length) part = patchValue(op);
        else if (op.op === "replace" && field === "parentId" && !rest.length)
          parent = nodeIn(tree, patchValue(op));
        else throw unsupportedPatch(op, ["/parentId", "/pathPart"]);
      }
      if (tree.subtree(node.id).includes(parent)) throw new BadRequestError("Resources cannot be cyclical.");
      tree.checkChild(parent, part, undefined, node);
      tree.relocate(node, parent, part);
      return toResource(node, false);
    });
    return result;
  }

  async putMethod(apiId: string, resourceId: string, verb: string, input: MethodInput): Promise<Method> {
    const httpMethod = httpMethodOf(verb);
    const refs = await this.references(apiId);
    return this.editMethods(apiId, resourceId, (methods) => {
      if (methods[httpMethod])
        throw new ConflictError(`Method already exists for this resource: ${httpMethod}`);
      methods[httpMethod] = checkReferences(buildMethod(httpMethod, input), refs);
      return methods[httpMethod];
    });
  }

  async method(apiId: string, resourceId: string, verb: string): Promise<Method> {
    const node = nodeIn(await this.readTree(apiId), resourceId);
    return methodIn(node.methods, verb);
  }

  async deleteMethod(apiId: string, resourceId: string, verb: string): Promise<void> {
    await this.editMethods(apiId, resourceId, (methods) => {
      delete methods[methodIn(methods, verb).httpMethod];
    });
  }

  async updateMethod(
    apiId: string,
    resourceId: string,
    verb: string,
    operations: PatchOperation[],
  ): Promise<Method> {
    const refs = await this.references(apiId);
    return this.editMethods(apiId, resourceId, (methods) => {
      const current = methodIn(methods, verb);
      const next = checkReferences(patchMethod(current, operations), refs);
      methods[current.httpMethod] = current.methodIntegration
        ? { ...next, methodIntegration: current.methodIntegration }
        : next;
      return methods[current.httpMethod]!;
    });
  }

  /** PutIntegration: sets (or replaces) the method's integration. */
  async putIntegration(
    apiId: string,
    resourceId: string,
    verb: string,
    input: IntegrationInput,
  ): Promise<Integration> {
    return this.editMethods(apiId, resourceId, (methods, node) => {
      const method = methodIn(methods, verb);
      const integration = buildIntegration(input, { resourceId: node.id });
      methods[method.httpMethod] = { ...method, methodIntegration: integration };
      return integration;
    });
  }

  async integration(apiId: string, resourceId: string, verb: string): Promise<Integration> {
    return integrationOf(await this.method(apiId, resourceId, verb));
  }

  async deleteIntegration(apiId: string, resourceId: string, verb: string): Promise<void> {
    await this.editMethods(apiId, resourceId, (methods) => {
      const method = methodIn(methods, verb);
      integrationOf(method);
      const { methodIntegration: _, ...rest } = method;
      methods[method.httpMethod] = rest;
    });
  }

  async updateIntegration(
    apiId: string,
    resourceId: string,
    verb: string,
    operations: PatchOperation[],
  ): Promise<Integration> {
    return this.editMethods(apiId, resourceId, (methods, node) => {
      const method = methodIn(methods, verb);
      const integration = patchIntegration(integrationOf(method), operations, node.id);
      methods[method.httpMethod] = { ...method, methodIntegration: integration };
      return integration;
    });
  }

  /**
   * GetExport: the document of what the stage's deployment holds. `accept` chooses JSON (the
   * default) or YAML; `extensions` (`integrations`, `apigateway`) adds API Gateway's extensions.
   */
  async exportApi(
    apiId: string,
    stageName: string,
    exportType: string,
    options: { accept?: string; extensions?: string },
  ): Promise<ApiExport> {
    const api = await this.apiRow(this.store.db, apiId);
    if (exportType !== "oas30" && exportType !== "swagger") {
      throw new BadRequestError(`Invalid export type '${exportType}': Tollgate exports oas30 and swagger`);
    }
    const { format, contentType } = exportFormat(options.accept);
    const stage = await this.store.db
      .selectFrom("stages")
      .innerJoin("deployments", "deployments.id", "stages.deployment_id")
      .select(["deployments.snapshot", "deployments.created_at"])
      .where("stages.rest_api_id", "=", apiId)
      .where("stages.stage_name", "=", stageName)
      .executeTakeFirst();
    if (!stage) throw new NotFoundError(`Invalid stage identifier specified: ${stageName}`);
    const attributes = attributesOf(api);
    const document = exportDocument(fromJson<ApiSnapshot>(stage.snapshot, emptySnapshot(api)), {
      exportType: exportType as ExportType,
      stageName,
      extensions: (options.extensions ?? "").split(",").map((e) => e.trim().toLowerCase()),
      api: {
        version: api.version ?? undefined,
        description: api.description ?? undefined,
        createdDate: seconds(api.created_at),
        binaryMediaTypes: attributes.binaryMediaTypes,
      },
    });
    return {
      contentType,
      fileName: `${exportType}_${new Date(stage.created_at).toISOString().replace(/\.\d{3}Z$/, "Z")}.${format}`,
      body: serializeExport(document, format),
    };
  }

  /** Authorizer types by id, validator ids and model names of an API, for checking methods. */
  private async references(apiId: string): Promise<MethodReferences> {
    await this.apiRow(this.store.db, apiId);
    const [authorizers, validators, models] = await Promise.all([
      loadAuthorizers(this.store.db, apiId),
      loadRequestValidators(this.store.db, apiId),
      loadModels(this.store.db, apiId),
    ]);
    return {
      authorizers: new Map(authorizers.map((a) => [a.id, a.type])),
      validators: new Set(validators.map((v) => v.id)),
      models: new Set(models.map((m) => m.name)),
    };
  }

  /**
   * Stores the authorizers, validators and models an import declares, then points the planned
   * methods at their ids (they hold names until here). Runs inside the import's transaction;
   * returns what the API's methods may refer to afterwards.
   */
  private async storePolicies(
    trx: Tx,
    apiId: string,
    plan: ImportPlan,
    overwrite: boolean,
  ): Promise<MethodReferences> {
    const now = this.clock.now();
    const { policies } = plan;
    const declared = new Set(policies.models.map((m) => m.name));
    const kept = overwrite ? [] : (await loadModels(trx, apiId)).filter((m) => !declared.has(m.name));
    checkModels([...kept, ...policies.models]);
    const authorizerIds = await syncAuthorizers(trx, apiId, policies.authorizers, overwrite, now);
    const validatorIds = await syncRequestValidators(trx, apiId, policies.requestValidators, overwrite, now);
    await syncModels(trx, apiId, policies.models, overwrite, now);
    for (const methods of plan.routes.values()) {
      for (const method of Object.values(methods)) {
        if (method.authorizerId) method.authorizerId = authorizerIds.get(method.authorizerId);
        if (method.requestValidatorId)
          method.requestValidatorId = validatorIds.get(method.requestValidatorId);
        if (!method.authorizerId) delete method.authorizerId;
        if (!method.requestValidatorId) delete method.requestValidatorId;
      }
    }
    return {
      authorizers: new Map((await loadAuthorizers(trx, apiId)).map((a) => [a.id, a.type])),
      validators: new Set(validatorIds.values()),
      models: new Set([...kept.map((m) => m.name), ...declared]),
    };
  }

  private async plan(text: string, query: ImportQuery): Promise<ImportPlan> {
    const document = await readOpenApi(text);
    const plan = planImport(document.document, { basepath: query.basepath });
    plan.warnings.unshift(...document.warnings);
    if (query.failonwarnings?.toLowerCase() === "true" && plan.warnings.length) {
      throw new BadRequestError(
        `Import failed on warnings (failonwarnings=true): ${plan.warnings.map((w) => `${w}.`).join(" ")}`,
      );
    }
    return plan;
  }

  private newApiRow(
    settings: Pick<ApiSettings, "name" | "description" | "version" | "apiKeySource">,
    attributes: ApiAttributes,
    definition: string | null,
    warnings: string[] = [],
    rootResourceId = newId(),
  ): ApiRow {
    return {
      id: newId(),
      name: settings.name,
      description: settings.description ?? null,
      version: settings.version ?? null,
      api_key_source: settings.apiKeySource ?? "HEADER",
      attributes: toJson(attributes),
      definition,
      warnings: toJson(warnings),
      root_resource_id: rootResourceId,
      created_at: this.clock.now(),
    };
  }

  /** The resources of another API under fresh ids (its root becomes `rootId`), and its document. */
  private async clonedParts(trx: Tx, sourceId: string, rootId: string) {
    const source = await this.apiRow(trx, sourceId);
    const nodes = await loadNodes(trx, sourceId);
    const ids = new Map(nodes.map((n) => [n.id, n.parentId === null ? rootId : newId()]));
    const copies = nodes.map((n) => {
      const id = ids.get(n.id)!;
      const methods = Object.entries(n.methods).map(([verb, m]) => [verb, withCacheNamespace(m, id, n.id)]);
      return {
        ...n,
        id,
        parentId: n.parentId === null ? null : ids.get(n.parentId)!,
        methods: Object.fromEntries(methods),
      };
    });
    return { nodes: copies, definition: source.definition };
  }

  /** Edits the API row and its attributes in memory, then stores both in one transaction. */
  private async editApi(
    id: string,
    edit: (row: ApiRow, attributes: ApiAttributes) => void,
  ): Promise<RestApi> {
    const row = { ...(await this.apiRow(this.store.db, id)) };
    const attributes = attributesOf(row);
    edit(row, attributes);
    row.attributes = toJson(attributes);
    await this.store.transaction(async (trx) => {
      await trx.updateTable("rest_apis").set(row).where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
    return toRestApi(row);
  }

  private async apiRow(db: Tx, id: string): Promise<ApiRow> {
    const row = await db.selectFrom("rest_apis").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid API identifier specified: ${id}`);
    return row;
  }

  private async readTree(apiId: string): Promise<ResourceTree> {
    await this.apiRow(this.store.db, apiId);
    return new ResourceTree(await loadNodes(this.store.db, apiId));
  }

  /**
   * Runs `edit` on the API's resource tree inside one transaction, then writes what changed:
   * removed resources, changed ones, new ones; `rowAfter` gives the API row to store with them.
   */
  private async withTree<T>(
    apiId: string,
    edit: (tree: ResourceTree) => T,
    rowAfter?: (row: ApiRow) => ApiRow,
    prepare?: (trx: Tx) => Promise<void>,
  ): Promise<{ result: T; row: ApiRow }> {
    try {
      return await this.store.transaction(async (trx) => {
        let row = await this.apiRow(trx, apiId);
        await prepare?.(trx);
        const before = await loadNodes(trx, apiId);
        const tree = new ResourceTree(structuredClone(before));
        const result = edit(tree);
        if (rowAfter) row = rowAfter(row);
        await writeChanges(trx, apiId, before, tree.all());
        if (rowAfter) await trx.updateTable("rest_apis").set(row).where("id", "=", apiId).execute();
        await this.store.bumpRevision(trx);
        return { result, row };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError("A resource with that path was created concurrently");
      throw error;
    }
  }

  private async editMethods<T>(
    apiId: string,
    resourceId: string,
    edit: (methods: Record<string, Method>, node: ResourceNode) => T,
  ): Promise<T> {
    const { result } = await this.withTree(apiId, (tree) => {
      const node = nodeIn(tree, resourceId);
      return edit(node.methods, node);
    });
    return result;
  }
}

/**
 * The API as a deployment freezes it: settings, every resource with its methods in full, and the
 * OpenAPI document. DeploymentService stores this in `deployments.snapshot`; pass a transaction
 * to read inside it. Throws NotFoundError for an unknown API.
 */
export async function snapshotApi(source: Store | Tx, restApiId: string): Promise<ApiSnapshot> {
  const db = "bumpRevision" in source ? source.db : source;
  const row = await db.selectFrom("rest_apis").selectAll().where("id", "=", restApiId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid API identifier specified: ${restApiId}`);
  const tree = new ResourceTree(await loadNodes(db, restApiId));
  const attributes = attributesOf(row);
  const [authorizers, requestValidators, models] = await Promise.all([
    loadAuthorizers(db, restApiId),
    loadRequestValidators(db, restApiId),
    loadModels(db, restApiId),
  ]);
  return {
    restApiId,
    name: row.name,
    apiKeySource: row.api_key_source === "AUTHORIZER" ? "AUTHORIZER" : "HEADER",
    resources: tree.all().map((n) => toResource(n, true)),
    definition: fromJson<Record<string, unknown> | null>(row.definition, null),
    authorizers,
    requestValidators,
    models,
    ...(attributes.policy ? { policy: attributes.policy } : {}),
    ...(attributes.corsConfiguration ? { corsConfiguration: attributes.corsConfiguration } : {}),
  };
}

function toRestApi(row: ApiRow): RestApi {
  const attributes = attributesOf(row);
  const warnings = fromJson<string[]>(row.warnings, []);
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    createdDate: seconds(row.created_at),
    ...(row.version !== null ? { version: row.version } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(attributes.binaryMediaTypes?.length ? { binaryMediaTypes: attributes.binaryMediaTypes } : {}),
    ...(attributes.minimumCompressionSize !== undefined
      ? { minimumCompressionSize: attributes.minimumCompressionSize }
      : {}),
    apiKeySource: row.api_key_source === "AUTHORIZER" ? "AUTHORIZER" : "HEADER",
    endpointConfiguration: attributes.endpointConfiguration,
    ...(attributes.policy ? { policy: attributes.policy } : {}),
    ...(attributes.tags && Object.keys(attributes.tags).length ? { tags: attributes.tags } : {}),
    disableExecuteApiEndpoint: attributes.disableExecuteApiEndpoint ?? false,
    rootResourceId: row.root_resource_id,
    ...(attributes.corsConfiguration ? { corsConfiguration: attributes.corsConfiguration } : {}),
  };
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function attributesOf(row: ApiRow): ApiAttributes {
  return fromJson<ApiAttributes>(row.attributes, { endpointConfiguration: { types: ["EDGE"] } });
}

function checkedSettings(settings: Omit<ApiSettings, "name">): Partial<ApiAttributes> {
  const size = settings.minimumCompressionSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 0 || size > MAX_COMPRESSION_SIZE)) {
    throw new BadRequestError(
      `Invalid minimum compression size ${size}: must be between 0 and ${MAX_COMPRESSION_SIZE}`,
    );
  }
  return { binaryMediaTypes: settings.binaryMediaTypes, minimumCompressionSize: size };
}

function endpointConfiguration(
  types: string[] | undefined,
  rest: Partial<EndpointConfiguration> = {},
): EndpointConfiguration {
  const chosen = (types?.length ? types : ["EDGE"]).map((t) => t.trim().toUpperCase());
  if (chosen.length !== 1 || !ENDPOINT_TYPES.includes(chosen[0]!)) {
    throw new BadRequestError(
      `Invalid endpoint configuration types [${types?.join(", ")}]: give exactly one of ${ENDPOINT_TYPES.join(", ")}`,
    );
  }
  return {
    types: chosen,
    ipAddressType: rest.ipAddressType ?? "ipv4",
    ...(rest.vpcEndpointIds?.length ? { vpcEndpointIds: rest.vpcEndpointIds } : {}),
  };
}

function applyApiPatch(row: ApiRow, attributes: ApiAttributes, op: PatchOperation): void {
  const [field, ...rest] = patchSegments(op.path);
  const key = rest.join("/");
  const replace = op.op === "replace" && !rest.length;
  if (replace && field === "name") {
    row.name = patchValue(op);
    if (!row.name.trim()) throw new BadRequestError("Invalid value for /name: the name cannot be empty");
  } else if (replace && field === "description") row.description = op.value || null;
  else if (replace && field === "version") row.version = op.value || null;
  else if (replace && field === "apiKeySource") {
    const value = patchValue(op).toUpperCase();
    if (value !== "HEADER" && value !== "AUTHORIZER") {
      throw new BadRequestError(
        `Invalid value '${op.value}' for /apiKeySource: expected HEADER or AUTHORIZER`,
      );
    }
    row.api_key_source = value;
  } else if (replace && field === "minimumCompressionSize") {
    attributes.minimumCompressionSize = op.value
      ? checkedSettings({ minimumCompressionSize: patchNumber(op, { integer: true }) }).minimumCompressionSize
      : undefined;
  } else if (replace && field === "disableExecuteApiEndpoint")
    attributes.disableExecuteApiEndpoint = patchBoolean(op);
  else if (replace && field === "policy") {
    if (op.value) parseResourcePolicy(op.value, row.id);
    attributes.policy = op.value || undefined;
  } else if (field === "corsConfiguration" && !rest.length && (op.op === "replace" || op.op === "remove")) {
    attributes.corsConfiguration =
      op.op === "remove" || !op.value ? undefined : checkCorsConfiguration(parseJsonValue(op));
  } else if (field === "binaryMediaTypes" && key && ["add", "remove", "replace"].includes(op.op)) {
    // The type is the path (`/binaryMediaTypes/image~1png`); replace puts the value in its place.
    const others = (attributes.binaryMediaTypes ?? []).filter((t) => t !== key);
    attributes.binaryMediaTypes =
      op.op === "remove" ? others : [...others, op.op === "add" ? key : patchValue(op)];
  } else if (op.op === "replace" && field === "endpointConfiguration" && rest[0] === "types") {
    attributes.endpointConfiguration = endpointConfiguration(
      [patchValue(op)],
      attributes.endpointConfiguration,
    );
  } else {
    throw unsupportedPatch(op, [
      "/name",
      "/description",
      "/version",
      "/apiKeySource",
      "/minimumCompressionSize",
      "/disableExecuteApiEndpoint",
      "/policy",
      "/corsConfiguration",
      "/binaryMediaTypes/{type}",
      "/endpointConfiguration/types/{type}",
    ]);
  }
}

/** Places the planned methods on the tree, creating every prefix of every path as a resource. */
function applyRoutes(tree: ResourceTree, plan: ImportPlan): void {
  for (const [path, methods] of plan.routes) {
    const node = tree.ensurePath(path, newId);
    for (const [verb, method] of Object.entries(methods))
      node.methods[verb] = withCacheNamespace(method, node.id);
  }
}

/** The API row after a put: the document's settings; in a merge, unstated ones stay as they were. */
function putRow(row: ApiRow, plan: ImportPlan, merge: boolean): ApiRow {
  const attributes = attributesOf(row);
  const stated = {
    ...checkedSettings(plan.settings),
    policy: plan.settings.policy,
    corsConfiguration: plan.settings.corsConfiguration,
  };
  const previous = fromJson<JsonObject | null>(row.definition, null);
  const keep = <V>(value: V | undefined, old: V, reset: V): V => value ?? (merge ? old : reset);
  return {
    ...row,
    name: plan.settings.name,
    description: keep(plan.settings.description, row.description, null),
    version: keep(plan.settings.version, row.version, null),
    api_key_source: keep(plan.settings.apiKeySource, row.api_key_source, "HEADER"),
    attributes: toJson({ ...attributes, ...(merge ? definedOnly(stated) : stated) }),
    definition: toJson(merge && previous ? mergeDefinitions(previous, plan.definition) : plan.definition),
    warnings: toJson(plan.warnings),
  };
}

/** Overwrite: keeps (method-less) only the resources the plan needs, so ids survive where paths do. */
function keepOnly(tree: ResourceTree, plan: ImportPlan): void {
  const needed = new Set(["/"]);
  for (const path of plan.routes.keys()) {
    const parts = pathSegments(path);
    for (let i = 1; i <= parts.length; i++) needed.add(`/${parts.slice(0, i).join("/")}`);
  }
  tree.remove(tree.all().filter((n) => !needed.has(n.path)));
  for (const node of tree.all()) node.methods = {};
}

// An integration's cache namespace defaults to its resource's id, as AWS's does.
function withCacheNamespace(method: Method, resourceId: string, replacing?: string): Method {
  const integration = method.methodIntegration;
  if (!integration || (integration.cacheNamespace && integration.cacheNamespace !== replacing)) return method;
  return { ...method, methodIntegration: { ...integration, cacheNamespace: resourceId } };
}

/** A method whose authorizer, validator and models exist in its API; BadRequestError otherwise. */
function checkReferences(method: Method, refs: MethodReferences, where?: string): Method {
  const at = where ? ` (${where})` : "";
  try {
    checkMethodAuthorizer(method, refs.authorizers);
  } catch (error) {
    throw new BadRequestError(`${(error as Error).message}${at}`);
  }
  if (method.requestValidatorId && !refs.validators.has(method.requestValidatorId)) {
    throw new BadRequestError(
      `Invalid Request Validator identifier specified: ${method.requestValidatorId}${at}`,
    );
  }
  for (const [contentType, model] of Object.entries(method.requestModels ?? {})) {
    if (!refs.models.has(model)) {
      throw new BadRequestError(
        `Invalid model name '${model}' for content type ${contentType}: the API has no such model${at}`,
      );
    }
  }
  return method;
}

/** Every method of the tree checked against what the API has. */
function checkTree(tree: ResourceTree, refs: MethodReferences): void {
  for (const node of tree.all()) {
    for (const [verb, method] of Object.entries(node.methods))
      checkReferences(method, refs, `${verb} ${node.path}`);
  }
}

function parseJsonValue(op: PatchOperation): unknown {
  try {
    return JSON.parse(op.value ?? "");
  } catch (error) {
    throw new BadRequestError(`Invalid value for ${op.path}: not JSON (${(error as Error).message})`);
  }
}

function nodeIn(tree: ResourceTree, id: string): ResourceNode {
  const node = tree.get(id);
  if (!node) throw new NotFoundError(`Invalid Resource identifier specified: ${id}`);
  return node;
}

function methodIn(methods: Record<string, Method>, verb: string): Method {
  const method = methods[verb.toUpperCase()];
  if (!method) throw new NotFoundError(`Invalid Method identifier specified: ${verb}`);
  return method;
}

function integrationOf(method: Method): Integration {
  if (!method.methodIntegration) throw new NotFoundError("Invalid Integration identifier specified");
  return method.methodIntegration;
}

function exportFormat(accept: string | undefined): { format: ExportFormat; contentType: string } {
  const value = (accept ?? "").toLowerCase();
  if (/yaml/.test(value)) return { format: "yaml", contentType: "application/yaml" };
  if (value.includes("application/json")) return { format: "json", contentType: "application/json" };
  // With no preference AWS sends JSON labelled as a download.
  if (!value || value.includes("*/*")) return { format: "json", contentType: "application/octet-stream" };
  throw new BadRequestError(
    `Unsupported Accept header '${accept}': use application/json or application/yaml`,
  );
}

function emptySnapshot(api: ApiRow): ApiSnapshot {
  return { restApiId: api.id, name: api.name, apiKeySource: "HEADER", resources: [], definition: null };
}

function rootNode(id: string): ResourceNode {
  return { id, parentId: null, pathPart: null, path: "/", methods: {} };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function loadNodes(db: Tx, apiId: string): Promise<ResourceNode[]> {
  const rows = await db.selectFrom("resources").selectAll().where("rest_api_id", "=", apiId).execute();
  return rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    pathPart: r.path_part,
    path: r.path,
    methods: fromJson<Record<string, Method>>(r.methods, {}),
  }));
}

function toRow(apiId: string, node: ResourceNode): ResourceRow {
  return {
    id: node.id,
    rest_api_id: apiId,
    parent_id: node.parentId,
    path_part: node.pathPart,
    path: node.path,
    methods: toJson(node.methods),
  };
}

async function insertNodes(db: Tx, apiId: string, nodes: ResourceNode[]): Promise<void> {
  // Chunks keep each statement under the bound-parameter limits of both databases.
  for (let i = 0; i < nodes.length; i += 100) {
    await db
      .insertInto("resources")
      .values(nodes.slice(i, i + 100).map((n) => toRow(apiId, n)))
      .execute();
  }
}

async function saveNodes(db: Tx, nodes: ResourceNode[]): Promise<void> {
  for (const node of nodes) {
    await db
      .updateTable("resources")
      .set({
        parent_id: node.parentId,
        path_part: node.pathPart,
        path: node.path,
        methods: toJson(node.methods),
      })
      .where("id", "=", node.id)
      .execute();
  }
}

/** Deletes, then updates, then inserts, so that no intermediate state repeats a path. */
async function writeChanges(
  db: Tx,
  apiId: string,
  before: ResourceNode[],
  after: ResourceNode[],
): Promise<void> {
  const old = new Map(before.map((n) => [n.id, JSON.stringify(toRow(apiId, n))]));
  const now = new Set(after.map((n) => n.id));
  const removed = before.filter((n) => !now.has(n.id)).map((n) => n.id);
  for (let i = 0; i < removed.length; i += 100) {
    await db
      .deleteFrom("resources")
      .where("id", "in", removed.slice(i, i + 100))
      .execute();
  }
  await saveNodes(
    db,
    after.filter((n) => old.has(n.id) && old.get(n.id) !== JSON.stringify(toRow(apiId, n))),
  );
  await insertNodes(
    db,
    apiId,
    after.filter((n) => !old.has(n.id)),
  );
}
