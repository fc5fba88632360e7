import { ZodError } from "zod";
import { DomainError } from "../../core/errors.js";
import { type Events, EventsError, InvalidEventError, InvalidEventPatternError } from "../../events/index.js";
import { AdminError } from "../errors.js";
import type { JsonProtocol } from "../route.js";
import { archiveOperations } from "./archives.js";
import { busAndRuleOperations } from "./buses-rules.js";
import { deliveryOperations } from "./deliveries.js";
import { destinationOperations } from "./destinations.js";
import { ingestAndSourceOperations } from "./ingest-sources.js";
import type { Operation } from "./operation.js";
import { awsValidationMessage } from "./validation.js";

/** Every EventBridge operation the admin port serves, by name. */
export function eventBridgeOperations(): Record<string, Operation> {
  return {
    ...busAndRuleOperations,
    ...ingestAndSourceOperations,
    ...destinationOperations,
    ...deliveryOperations,
    ...archiveOperations,
  };
}

/**
 * EventBridge's awsJson1.1 protocol over the events domain: `POST /` with
 * `X-Amz-Target: AWSEvents.<Operation>`. Each call acts in the caller's account: the
 * provider's for the operator, the tenant's own for tenant credentials. Errors are mapped here,
 * once: EventBridge's exceptions keep their names; all are 400 except InternalException.
 */
export function eventBridgeProtocol(events: Events): JsonProtocol {
  const operations = eventBridgeOperations();
  return {
    prefix: "AWSEvents",
    async handle(name, body, principal) {
      const op = Object.hasOwn(operations, name) ? operations[name] : undefined;
      if (!op) throw new AdminError(400, "UnknownOperationException", `Unknown operation: AWSEvents.${name}`);
      if (op.operatorOnly && principal.kind === "tenant") {
        throw new AdminError(
          400,
          "AccessDeniedException",
          `User: arn:aws:iam::${principal.accountId}:root is not authorized to perform: events:${name}: it is the provider's (partner's) operation`,
        );
      }
      try {
        const input = op.input.parse(body ?? {});
        const scope = await events.scopeOf(
          principal.kind === "operator"
            ? { kind: "operator" }
            : { kind: "tenant", tenantId: principal.tenantId, accountId: principal.accountId },
        );
        return await op.run({ principal, scope, events }, input);
      } catch (error) {
        throw toAdminError(error, body);
      }
    },
  };
}

/** Domain and validation errors in EventBridge's shape; anything else stays a 500. */
export function toAdminError(error: unknown, input?: unknown): unknown {
  if (error instanceof EventsError) {
    return new AdminError(error.code === "InternalException" ? 500 : 400, error.code, error.message);
  }
  if (error instanceof InvalidEventPatternError)
    return new AdminError(400, "InvalidEventPatternException", error.message);
  if (error instanceof InvalidEventError) return new AdminError(400, "ValidationException", error.message);
  if (error instanceof ZodError)
    return new AdminError(400, "ValidationException", awsValidationMessage(error, input));
  if (error instanceof DomainError) {
    const type =
      error.code === "NotFoundException"
        ? "ResourceNotFoundException"
        : error.code === "ConflictException"
          ? "ResourceAlreadyExistsException"
          : error.code === "LimitExceededException"
            ? "LimitExceededException"
            : "ValidationException";
    return new AdminError(400, type, error.message);
  }
  return error;
}
