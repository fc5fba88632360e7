import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { type PatchOperation, patchSegments, patchValue, unsupportedPatch } from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, type Tx, toJson } from "../store/index.js";
import { validTags } from "./stages.js";

export type EndpointType = "EDGE" | "REGIONAL" | "PRIVATE";

export interface EndpointConfiguration {
  /** Exactly one type, as AWS allows. */
  types: EndpointType[];
  ipAddressType?: string;
}

export interface MutualTlsAuthentication {
  truststoreUri?: string;
  truststoreVersion?: string;
  truststoreWarnings?: string[];
}

/**
 * A custom domain name. Tollgate serves the name itself (point its DNS at the gateway), so the
 * target AWS would name, `distributionDomainName` (EDGE) or `regionalDomainName` (REGIONAL),
 * is the domain name.
 */
export interface DomainName {
  domainName: string;
  certificateName?: string;
  certificateArn?: string;
  /** Epoch seconds; set when a certificate is named. */
  certificateUploadDate?: number;
  regionalDomainName?: string;
  regionalCertificateName?: string;
  regionalCertificateArn?: string;
  distributionDomainName?: string;
  endpointConfiguration: EndpointConfiguration;
  domainNameStatus: "AVAILABLE";
  securityPolicy: string;
  tags: Record<string, string>;
  mutualTlsAuthentication?: MutualTlsAuthentication;
  ownershipVerificationCertificateArn?: string;
  routingMode: string;
}

/**
 * CreateDomainName's input. Certificate bodies and private keys are accepted for AWS
 * compatibility but never stored: TLS for custom domains terminates in front of Tollgate.
 */
export interface CreateDomainNameInput {
  domainName: string;
  certificateName?: string;
  certificateBody?: string;
  certificatePrivateKey?: string;
  certificateChain?: string;
  certificateArn?: string;
  regionalCertificateName?: string;
  regionalCertificateArn?: string;
  endpointConfiguration?: { types?: string[]; ipAddressType?: string };
  tags?: Record<string, string>;
  securityPolicy?: string;
  mutualTlsAuthentication?: { truststoreUri?: string; truststoreVersion?: string };
  ownershipVerificationCertificateArn?: string;
  routingMode?: string;
}

/** Routes requests for `domainName/basePath/...` to a REST API (and stage). */
export interface BasePathMapping {
  /** `(none)` for the mapping without a base path, as AWS returns it. */
  basePath: string;
  restApiId: string;
  stage?: string;
}

export interface CreateBasePathMappingInput {
  basePath?: string;
  restApiId: string;
  stage?: string;
}

/** The `attributes` column: the DomainName shape but its name and what is derived on read. */
type DomainAttributes = Omit<
  DomainName,
  "domainName" | "regionalDomainName" | "distributionDomainName" | "domainNameStatus"
>;

type MappingRow = { domain_name: string; base_path: string; rest_api_id: string; stage: string | null };

const NO_BASE_PATH = "(none)";
const ENDPOINT_TYPES: EndpointType[] = ["EDGE", "REGIONAL", "PRIVATE"];
const SECURITY_POLICIES = [
  "TLS_1_0",
  "TLS_1_2",
  "SecurityPolicy_TLS12_2018_EDGE",
  "SecurityPolicy_TLS12_PFS_2025_EDGE",
  "SecurityPolicy_TLS13_2025_EDGE",
  "SecurityPolicy_TLS13_1_2_2021_06",
  "SecurityPolicy_TLS13_1_3_2025_09",
  "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
  "SecurityPolicy_TLS13_1_2_PQ_2025_09",
  "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
  "SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09",
  "SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09",
  "SecurityPolicy_TLS13_1_2_Ext2_PQ_2025_09",
  "SecurityPolicy_TLS13_1_2_Ext2_FIPS_PQ_2025_09",
];
// Tollgate routes by base path mappings only; AWS's routing rules do not exist here.
const ROUTING_MODE = "BASE_PATH_MAPPING_ONLY";
// An optional `*.` wildcard, then at least two DNS labels of 1-63 letters, digits or inner hyphens.
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// URL-unreserved characters; AWS refuses `/` with its own message (below).
const BASE_PATH = /^[A-Za-z0-9._~-]{1,128}$/;

const DOMAIN_PATCH_PATHS = [
  "/certificateName",
  "/certificateArn",
  "/regionalCertificateName",
  "/regionalCertificateArn",
  "/securityPolicy",
  "/endpointConfiguration/types/{type or index}",
  "/mutualTlsAuthentication/truststoreUri",
  "/mutualTlsAuthentication/truststoreVersion",
  "/ownershipVerificationCertificateArn",
  "/routingMode",
];
const MAPPING_PATCH_PATHS = ["/basePath", "/restapiId", "/stage"];

/** Custom domain names and their base path mappings. */
export class DomainNameService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateDomainNameInput): Promise<DomainName> {
    const domainName = validDomainName(input.domainName);
    const now = this.clock.now();
    const hasCertificate = [input.certificateArn, input.certificateName, input.certificateBody].some(Boolean);
    const attributes: DomainAttributes = {
      ...definedOnly({
        certificateName: input.certificateName,
        certificateArn: input.certificateArn,
        certificateUploadDate: hasCertificate ? Math.floor(now / 1000) : undefined,
        regionalCertificateName: input.regionalCertificateName,
        regionalCertificateArn: input.regionalCertificateArn,
        ownershipVerificationCertificateArn: input.ownershipVerificationCertificateArn,
      }),
      endpointConfiguration: validEndpointConfiguration(input.endpointConfiguration),
      securityPolicy: validSecurityPolicy(input.securityPolicy ?? "TLS_1_2"),
      tags: validTags(input.tags ?? {}),
      routingMode: validRoutingMode(input.routingMode ?? ROUTING_MODE),
      ...(input.mutualTlsAuthentication
        ? { mutualTlsAuthentication: { ...input.mutualTlsAuthentication, truststoreWarnings: [] } }
        : {}),
    };
    try {
      await this.store.transaction(async (trx) => {
        await trx
          .insertInto("domain_names")
          .values({ domain_name: domainName, attributes: toJson(attributes), created_at: now })
          .execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`The domain name you provided already exists: ${domainName}`);
      throw error;
    }
    return toDomainName(domainName, attributes);
  }

  async get(domainName: string): Promise<DomainName> {
    const row = await this.row(this.store.db, domainName);
    return toDomainName(row.domain_name, readAttributes(row.attributes));
  }

  async list(): Promise<DomainName[]> {
    const rows = await this.store.db.selectFrom("domain_names").selectAll().orderBy("domain_name").execute();
    return rows.map((row) => toDomainName(row.domain_name, readAttributes(row.attributes)));
  }

  async update(domainName: string, operations: PatchOperation[]): Promise<DomainName> {
    const row = await this.row(this.store.db, domainName);
    const attributes = readAttributes(row.attributes);
    for (const op of operations) applyDomainPatch(attributes, op, this.clock.now());
    await this.store.transaction(async (trx) => {
      await trx
        .updateTable("domain_names")
        .set({ attributes: toJson(attributes) })
        .where("domain_name", "=", row.domain_name)
        .execute();
      await this.store.bumpRevision(trx);
    });
    return toDomainName(row.domain_name, attributes);
  }

  /** Deletes the domain name and all its base path mappings. */
  async delete(domainName: string): Promise<void> {
    const row = await this.row(this.store.db, domainName);
    await this.store.transaction(async (trx) => {
      await trx.deleteFrom("base_path_mappings").where("domain_name", "=", row.domain_name).execute();
      await trx.deleteFrom("domain_names").where("domain_name", "=", row.domain_name).execute();
      await this.store.bumpRevision(trx);
    });
  }

  async createMapping(domainName: string, input: CreateBasePathMappingInput): Promise<BasePathMapping> {
    const domain = await this.row(this.store.db, domainName);
    const row: MappingRow = {
      domain_name: domain.domain_name,
      base_path: validBasePath(input.basePath),
      rest_api_id: input.restApiId,
      stage: input.stage || null,
    };
    try {
      await this.store.transaction(async (trx) => {
        await requireTarget(trx, row.rest_api_id, row.stage);
        await trx.insertInto("base_path_mappings").values(row).execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("Base path already exists for this domain name");
      throw error;
    }
    return toMapping(row);
  }

  async listMappings(domainName: string): Promise<BasePathMapping[]> {
    const domain = await this.row(this.store.db, domainName);
    const rows = await this.store.db
      .selectFrom("base_path_mappings")
      .selectAll()
      .where("domain_name", "=", domain.domain_name)
      .orderBy("base_path")
      .execute();
    return rows.map(toMapping);
  }

  /** One mapping; `(none)` (or an empty base path) addresses the mapping without a base path. */
  async getMapping(domainName: string, basePath: string): Promise<BasePathMapping> {
    return toMapping(await this.mappingRow(domainName, basePath));
  }

  /** Patches `/basePath`, `/restapiId` (AWS's casing) and `/stage`; the result must still resolve. */
  async updateMapping(
    domainName: string,
    basePath: string,
    operations: PatchOperation[],
  ): Promise<BasePathMapping> {
    const current = await this.mappingRow(domainName, basePath);
    const next = { ...current };
    for (const op of operations) applyMappingPatch(next, op);
    try {
      await this.store.transaction(async (trx) => {
        await requireTarget(trx, next.rest_api_id, next.stage);
        await trx
          .updateTable("base_path_mappings")
          .set(next)
          .where("domain_name", "=", current.domain_name)
          .where("base_path", "=", current.base_path)
          .execute();
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("Base path already exists for this domain name");
      throw error;
    }
    return toMapping(next);
  }

  async deleteMapping(domainName: string, basePath: string): Promise<void> {
    const row = await this.mappingRow(domainName, basePath);
    await this.store.transaction(async (trx) => {
      await trx
        .deleteFrom("base_path_mappings")
        .where("domain_name", "=", row.domain_name)
        .where("base_path", "=", row.base_path)
        .execute();
      await this.store.bumpRevision(trx);
    });
  }

  private async row(db: Tx, domainName: string) {
    const row = await db
      .selectFrom("domain_names")
      .selectAll()
      .where("domain_name", "=", domainName.toLowerCase())
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid domain name identifier specified: ${domainName}`);
    return row;
  }

  private async mappingRow(domainName: string, basePath: string): Promise<MappingRow> {
    const domain = await this.row(this.store.db, domainName);
    const path = basePath === "" ? NO_BASE_PATH : basePath;
    const row = await this.store.db
      .selectFrom("base_path_mappings")
      .selectAll()
      .where("domain_name", "=", domain.domain_name)
      .where("base_path", "=", path)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid base path mapping identifier specified: ${path}`);
    return row;
  }
}

/** A mapping's API must exist, and its stage too when it names one (AWS answers 400 for both). */
async function requireTarget(db: Tx, restApiId: string, stage: string | null): Promise<void> {
  const api = await db.selectFrom("rest_apis").select("id").where("id", "=", restApiId).executeTakeFirst();
  if (!api) throw new BadRequestError(`Invalid REST API identifier specified: ${restApiId}`);
  if (stage === null) return;
  const found = await db
    .selectFrom("stages")
    .select("stage_name")
    .where("rest_api_id", "=", restApiId)
    .where("stage_name", "=", stage)
    .executeTakeFirst();
  if (!found)
    throw new BadRequestError(`Invalid stage identifier specified: ${stage} (of REST API ${restApiId})`);
}

/** Domain names are case-insensitive; Tollgate keeps them lower-cased. */
function validDomainName(name: string): string {
  const lower = name.trim().toLowerCase();
  if (!lower) throw new BadRequestError("No Domain Name specified");
  if (lower.length > 253 || !HOSTNAME.test(lower)) {
    throw new BadRequestError(
      `Invalid domain name '${name}': expected a host name such as api.example.com (optionally *.example.com)`,
    );
  }
  return lower;
}

function validBasePath(basePath: string | undefined): string {
  if (basePath === undefined || basePath === "" || basePath === NO_BASE_PATH) return NO_BASE_PATH;
  if (basePath.includes("/")) {
    throw new BadRequestError(
      "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a multi-level base path mapping, use API Gateway V2.",
    );
  }
  if (!BASE_PATH.test(basePath)) {
    throw new BadRequestError(
      `Invalid base path '${basePath}': use 1 to 128 letters, digits and -._~ characters, or '(none)'`,
    );
  }
  return basePath;
}

function validEndpointConfiguration(
  config: CreateDomainNameInput["endpointConfiguration"],
): EndpointConfiguration {
  const types = config?.types ?? ["EDGE"];
  if (types.length !== 1 || !ENDPOINT_TYPES.includes(types[0] as EndpointType)) {
    throw new BadRequestError(
      `Invalid endpointConfiguration.types [${types.join(", ")}]: give exactly one of ${ENDPOINT_TYPES.join(", ")}`,
    );
  }
  return {
    types: types as EndpointType[],
    ...(config?.ipAddressType ? { ipAddressType: config.ipAddressType } : {}),
  };
}

function validSecurityPolicy(policy: string): string {
  if (!SECURITY_POLICIES.includes(policy)) {
    throw new BadRequestError(
      `Invalid securityPolicy '${policy}': must be one of ${SECURITY_POLICIES.join(", ")}`,
    );
  }
  return policy;
}

function validRoutingMode(mode: string): string {
  if (mode !== ROUTING_MODE) {
    throw new BadRequestError(`Invalid routingMode '${mode}': Tollgate supports only ${ROUTING_MODE}`);
  }
  return mode;
}

function applyDomainPatch(a: DomainAttributes, op: PatchOperation, now: number): void {
  const segments = patchSegments(op.path);
  const [field, sub, index] = segments;
  if (op.op !== "replace") throw unsupportedPatch(op, DOMAIN_PATCH_PATHS);
  if (segments.length === 1 && (field === "certificateName" || field === "certificateArn")) {
    a[field] = patchValue(op);
    a.certificateUploadDate = Math.floor(now / 1000);
  } else if (
    segments.length === 1 &&
    (field === "regionalCertificateName" ||
      field === "regionalCertificateArn" ||
      field === "ownershipVerificationCertificateArn")
  ) {
    a[field] = patchValue(op);
  } else if (segments.length === 1 && field === "securityPolicy")
    a.securityPolicy = validSecurityPolicy(patchValue(op));
  else if (segments.length === 1 && field === "routingMode") a.routingMode = validRoutingMode(patchValue(op));
  else if (segments.length === 3 && field === "endpointConfiguration" && sub === "types") {
    replaceEndpointType(a, op, index!);
  } else if (
    segments.length === 2 &&
    field === "mutualTlsAuthentication" &&
    (sub === "truststoreUri" || sub === "truststoreVersion")
  ) {
    a.mutualTlsAuthentication = {
      truststoreWarnings: [],
      ...a.mutualTlsAuthentication,
      [sub]: patchValue(op),
    };
  } else throw unsupportedPatch(op, DOMAIN_PATCH_PATHS);
}

/** `/endpointConfiguration/types/EDGE` (AWS's form) or `/endpointConfiguration/types/0`. */
function replaceEndpointType(a: DomainAttributes, op: PatchOperation, which: string): void {
  const types = a.endpointConfiguration.types;
  const position = /^\d+$/.test(which) ? Number(which) : types.indexOf(which as EndpointType);
  if (position < 0 || position >= types.length) {
    throw new BadRequestError(
      `Invalid patch path '${op.path}': the endpoint types are [${types.join(", ")}]; name one of them or its index`,
    );
  }
  const next = types.map((t, i) => (i === position ? patchValue(op) : t));
  a.endpointConfiguration = { ...validEndpointConfiguration({ ...a.endpointConfiguration, types: next }) };
}

function applyMappingPatch(row: MappingRow, op: PatchOperation): void {
  const segments = patchSegments(op.path);
  const [field] = segments;
  if (segments.length !== 1) throw unsupportedPatch(op, MAPPING_PATCH_PATHS);
  // AWS spells the API path `/restapiId`; `/restApiId` is accepted as well.
  if (op.op === "replace" && field === "basePath") row.base_path = validBasePath(op.value);
  else if (op.op === "replace" && (field === "restapiId" || field === "restApiId"))
    row.rest_api_id = patchValue(op);
  else if (op.op === "replace" && field === "stage") row.stage = op.value || null;
  else if (op.op === "remove" && field === "stage") row.stage = null;
  else throw unsupportedPatch(op, MAPPING_PATCH_PATHS);
}

function readAttributes(json: string): DomainAttributes {
  return fromJson<DomainAttributes>(json, {
    endpointConfiguration: { types: ["EDGE"] },
    securityPolicy: "TLS_1_2",
    tags: {},
    routingMode: ROUTING_MODE,
  });
}

function toDomainName(domainName: string, a: DomainAttributes): DomainName {
  const type = a.endpointConfiguration.types[0];
  return {
    domainName,
    ...a,
    ...(type === "EDGE" ? { distributionDomainName: domainName } : {}),
    ...(type === "REGIONAL" ? { regionalDomainName: domainName } : {}),
    domainNameStatus: "AVAILABLE",
  };
}

function toMapping(row: MappingRow): BasePathMapping {
  return { basePath: row.base_path, restApiId: row.rest_api_id, ...(row.stage ? { stage: row.stage } : {}) };
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
