import { z } from "zod";
import { busName } from "./buses-rules.js";
import { listAnswer, type Operation, operation } from "./operation.js";
import { Limit, NextToken, text } from "./validation.js";

const Status = z.enum(["PENDING", "DELIVERED", "FAILED"]);
const Filter = {
  EventBusName: text(1, 1600).optional(),
  Rule: text(1, 64).optional(),
  TargetId: text(1, 64).optional(),
  EventId: text(1, 64).optional(),
  NextToken,
  Limit,
};

/** Tollgate's own operations in EventBridge's style: the delivery log, dead letters, redrive, replay of one delivery. */
export const deliveryOperations: Record<string, Operation> = {
  ListDeliveries: operation({
    input: z.object({ ...Filter, Status: Status.optional() }),
    run: async ({ events, scope }, input) =>
      listAnswer(
        "Deliveries",
        await events.deliveries.list(scope, {
          ...input,
          ...(input.EventBusName !== undefined ? { EventBusName: busName(scope, input.EventBusName) } : {}),
        }),
      ),
  }),
  DescribeDelivery: operation({
    input: z.object({ DeliveryId: text(1, 64) }),
    run: ({ events, scope }, input) => events.deliveries.describe(scope, input.DeliveryId),
  }),
  ListDeadLetters: operation({
    input: z.object(Filter),
    run: async ({ events, scope }, input) =>
      listAnswer(
        "DeadLetters",
        await events.deliveries.list(scope, {
          ...input,
          Status: "FAILED",
          ...(input.EventBusName !== undefined ? { EventBusName: busName(scope, input.EventBusName) } : {}),
        }),
      ),
  }),
  RedriveDeadLetters: operation({
    input: z.object({
      EventBusName: text(1, 1600).optional(),
      Rule: text(1, 64),
      TargetId: text(1, 64),
      DeliveryIds: z.array(text(1, 64)).optional(),
    }),
    run: ({ events, scope }, input) =>
      events.deliveries.redrive(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
  }),
  ReplayDelivery: operation({
    input: z.object({ DeliveryId: text(1, 64) }),
    run: ({ events, scope }, input) => events.deliveries.replay(scope, input.DeliveryId),
  }),
};
