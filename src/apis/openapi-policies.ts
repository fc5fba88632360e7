/**
 * What an OpenAPI document says about request-side policies, as API Gateway reads it:
 * authorizers (`x-amazon-apigateway-authorizer` on security schemes), request validators
 * (`x-amazon-apigateway-request-validators`, `x-amazon-apigateway-request-validator`), models
 * (`components.schemas` and request body schemas) and CORS (`x-amazon-apigateway-cors`).
 * Methods name authorizers and validators by name here; the service swaps in the ids it stores.
 */
import { BadRequestError } from "../core/errors.js";
import { type AuthorizerInput, checkAuthorizer } from "./authorizers.js";
import { checkCorsConfiguration } from "./cors-configuration.js";
import type { Authorizer, CorsConfiguration } from "./model.js";
import { importableModelName, type ModelInput } from "./models.js";
import { deref, isObject, type JsonObject, objectOf, stringOf } from "./openapi-json.js";
import type { RequestValidatorInput } from "./request-validators.js";

const AUTHORIZER_KEY = "x-amazon-apigateway-authorizer";
const VALIDATORS_KEY = "x-amazon-apigateway-request-validators";
const VALIDATOR_KEY = "x-amazon-apigateway-request-validator";
const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;
const LAMBDA_URI = /^arn:aws[\w-]*:apigateway:/;

/** The policies a document declares, keyed by the names methods use. */
export interface DocumentPolicies {
  authorizers: Map<string, Omit<Authorizer, "id">>;
  requestValidators: RequestValidatorInput[];
  models: ModelInput[];
  corsConfiguration?: CorsConfiguration;
}

/** Reads a document's authorizers, validators, models and CORS; throws BadRequestError. */
export class PolicyReader {
  readonly policies: DocumentPolicies = { authorizers: new Map(), requestValidators: [], models: [] };
  private readonly validatorNames = new Set<string>();
  private readonly defaultValidator?: string;
  private readonly modelNames = new Set<string>();

  constructor(
    private readonly document: JsonObject,
    private readonly warnings: string[],
  ) {
    this.readValidators();
    this.defaultValidator = this.validatorName(document[VALIDATOR_KEY], "the document");
    for (const [name, schema] of Object.entries(objectOf(objectOf(document.components).schemas))) {
      if (!importableModelName(name)) {
        warnings.push(
          `Schema '${name}' was not imported as a model: model names allow letters, digits, '.', '_' and '-'`,
        );
        continue;
      }
      this.addModel(name, schema);
    }
    const cors = document["x-amazon-apigateway-cors"];
    if (cors !== undefined)
      this.policies.corsConfiguration = checkCorsConfiguration(cors, "x-amazon-apigateway-cors");
  }

  /**
   * The authorizer a security scheme declares (registered once, under the scheme's name), or
   * undefined when the scheme has none.
   */
  authorizer(name: string, scheme: JsonObject): Omit<Authorizer, "id"> | undefined {
    const raw = scheme[AUTHORIZER_KEY];
    if (!isObject(raw)) return undefined;
    const known = this.policies.authorizers.get(name);
    if (known) return known;
    const type = String(raw.type ?? "").toUpperCase();
    // A token authorizer reads the header the scheme names (AWS: apiKey scheme, in header).
    const header =
      scheme.type === "apiKey" && scheme.in === "header" && typeof scheme.name === "string"
        ? scheme.name
        : undefined;
    const input: AuthorizerInput = {
      name,
      type,
      authorizerUri: stringOf(raw.authorizerUri),
      authorizerCredentials: stringOf(raw.authorizerCredentials),
      identitySource:
        stringOf(raw.identitySource) ??
        (header && type !== "REQUEST" ? `method.request.header.${header}` : undefined),
      identityValidationExpression: stringOf(raw.identityValidationExpression),
      authorizerResultTtlInSeconds:
        raw.authorizerResultTtlInSeconds === undefined ? undefined : Number(raw.authorizerResultTtlInSeconds),
      providerARNs: Array.isArray(raw.providerARNs) ? raw.providerARNs.map(String) : undefined,
      jwtConfiguration: isObject(raw.jwtConfiguration)
        ? (raw.jwtConfiguration as AuthorizerInput["jwtConfiguration"])
        : undefined,
    };
    // HTTP API documents write a JWT authorizer's identity source as an array.
    if (Array.isArray(raw.identitySource)) input.identitySource = raw.identitySource.map(String).join(",");
    let checked: Omit<Authorizer, "id">;
    try {
      checked = checkAuthorizer(input, true);
    } catch (error) {
      throw new BadRequestError(`Security scheme '${name}': ${(error as Error).message}`);
    }
    if (checked.authorizerUri && LAMBDA_URI.test(checked.authorizerUri)) {
      this.warnings.push(
        `Security scheme '${name}': the authorizer's authorizerUri names a Lambda function, which Tollgate cannot invoke; its methods answer 500 until authorizerUri is the http(s) URL of an endpoint that answers as the function did`,
      );
    }
    this.policies.authorizers.set(name, checked);
    return checked;
  }

  /** The validator an operation uses: its own `x-amazon-apigateway-request-validator`, else the document's. */
  operationValidator(operation: JsonObject, where: string): string | undefined {
    if (operation[VALIDATOR_KEY] !== undefined) return this.validatorName(operation[VALIDATOR_KEY], where);
    return this.defaultValidator;
  }

  /**
   * `requestModels` of an operation: per media type of its request body, the model named by a
   * `$ref` to `components.schemas`, or a model made of the inline schema.
   */
  requestModels(
    operation: JsonObject,
    where: string,
    operationName?: string,
  ): Record<string, string> | undefined {
    const body = objectOf(deref(this.document, operation.requestBody));
    const out: Record<string, string> = {};
    for (const [media, raw] of Object.entries(objectOf(body.content))) {
      const schema = objectOf(raw).schema;
      if (!isObject(schema)) continue;
      const ref = typeof schema.$ref === "string" ? SCHEMA_REF.exec(schema.$ref) : null;
      if (ref && this.modelNames.has(decodeURIComponent(ref[1]!))) {
        out[media] = decodeURIComponent(ref[1]!);
        continue;
      }
      // `createPet` → CreatePetBody, `POST /notes/{id}` → PostNotesIdBody.
      const words = (operationName ?? where).split(/[^A-Za-z0-9]+/).filter(Boolean);
      const base = `${words.map((w) => w[0]!.toUpperCase() + (operationName ? w.slice(1) : w.slice(1).toLowerCase())).join("") || "Request"}Body`;
      let name = base;
      for (let i = 2; this.modelNames.has(name); i++) name = `${base}${i}`;
      this.addModel(name, schema, media);
      out[media] = name;
    }
    return Object.keys(out).length ? out : undefined;
  }

  private addModel(name: string, schema: unknown, contentType = "application/json"): void {
    this.modelNames.add(name);
    this.policies.models.push({ name, contentType, schema: JSON.stringify(schema) });
  }

  private readValidators(): void {
    const raw = this.document[VALIDATORS_KEY];
    if (raw === undefined) return;
    if (!isObject(raw))
      throw new BadRequestError(`${VALIDATORS_KEY} must map validator names to their settings`);
    for (const [name, value] of Object.entries(raw)) {
      const v = objectOf(value);
      for (const flag of ["validateRequestBody", "validateRequestParameters"]) {
        if (v[flag] !== undefined && typeof v[flag] !== "boolean")
          throw new BadRequestError(`${VALIDATORS_KEY}.${name}.${flag} must be true or false`);
      }
      this.validatorNames.add(name);
      this.policies.requestValidators.push({
        name,
        validateRequestBody: v.validateRequestBody === true,
        validateRequestParameters: v.validateRequestParameters === true,
      });
    }
  }

  private validatorName(value: unknown, where: string): string | undefined {
    if (value === undefined) return undefined;
    const name = String(value);
    if (!this.validatorNames.has(name)) {
      throw new BadRequestError(
        `${VALIDATOR_KEY} '${name}' (at ${where}) is not declared in ${VALIDATORS_KEY} (declared: ${[...this.validatorNames].join(", ") || "none"})`,
      );
    }
    return name;
  }
}
