import type { z } from "zod";
import type { Events, Scope } from "../../events/index.js";
import type { Principal } from "../auth.js";

/** What an EventBridge operation sees: the caller, its scope (account and region), the services. */
export interface OperationContext {
  principal: Principal;
  scope: Scope;
  events: Events;
}

/** One operation of the EventBridge protocol: its input shape and what it does. */
export interface Operation<I = unknown> {
  input: z.ZodType<I>;
  /** Provider-side operations (partner event sources, PutPartnerEvents): refused to tenants. */
  operatorOnly?: boolean;
  run(context: OperationContext, input: I): Promise<unknown>;
}

/** Declares an operation with its input type inferred from its schema. */
export function operation<S extends z.ZodType>(definition: {
  input: S;
  operatorOnly?: boolean;
  run(context: OperationContext, input: z.output<S>): Promise<unknown>;
}): Operation {
  return definition as unknown as Operation;
}

/** An EventBridge list answer: the page's items under `key`, and `NextToken` when more follow. */
export function listAnswer<T>(
  key: string,
  page: { items: T[]; nextToken?: string },
): Record<string, unknown> {
  return { [key]: page.items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}
