import { z } from "zod";
import { busNameOf, type Scope } from "../../events/index.js";
import { listAnswer, type Operation, operation } from "./operation.js";
import { integer, Limit, NextToken, StringMap, Tags, text } from "./validation.js";

const BusName = text(1, 1600).optional();
const RuleName = text(1, 64);

export const TargetShape = z
  .object({
    Id: text(1, 64),
    Arn: text(1, 1600),
    RoleArn: text(1, 1600).optional(),
    Input: text(0, 8192).optional(),
    InputPath: text(0, 256).optional(),
    InputTransformer: z
      .object({ InputPathsMap: StringMap.optional(), InputTemplate: text(1, 8192) })
      .optional(),
    RetryPolicy: z
      .object({
        MaximumRetryAttempts: integer(0, 185).optional(),
        MaximumEventAgeInSeconds: integer(60, 86_400).optional(),
      })
      .optional(),
    DeadLetterConfig: z.object({ Arn: text(1, 1600).optional() }).optional(),
    HttpParameters: z
      .object({
        PathParameterValues: z.array(z.string()).optional(),
        HeaderParameters: StringMap.optional(),
        QueryStringParameters: StringMap.optional(),
      })
      .optional(),
  })
  .passthrough();

/** Event buses, rules and targets. */
export const busAndRuleOperations: Record<string, Operation> = {
  CreateEventBus: operation({
    input: z.object({
      Name: text(1, 256),
      EventSourceName: text(1, 256).optional(),
      Description: text(0, 512).optional(),
      KmsKeyIdentifier: text(0, 2048).optional(),
      DeadLetterConfig: z.object({ Arn: text(1, 1600).optional() }).optional(),
      Tags,
    }),
    run: ({ events, scope }, input) => events.buses.create(scope, input),
  }),
  DescribeEventBus: operation({
    input: z.object({ Name: BusName }),
    run: ({ events, scope }, input) => events.buses.describe(scope, busName(scope, input.Name)),
  }),
  ListEventBuses: operation({
    input: z.object({ NamePrefix: text(1, 256).optional(), NextToken, Limit }),
    run: async ({ events, scope }, input) => listAnswer("EventBuses", await events.buses.list(scope, input)),
  }),
  DeleteEventBus: operation({
    input: z.object({ Name: text(1, 256) }),
    run: async ({ events, scope }, input) => {
      await events.buses.delete(scope, input.Name);
      return {};
    },
  }),
  PutRule: operation({
    input: z.object({
      Name: RuleName,
      EventBusName: BusName,
      EventPattern: text(0, 4096).optional(),
      ScheduleExpression: text(0, 256).optional(),
      State: z.enum(["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]).optional(),
      Description: text(0, 512).optional(),
      RoleArn: text(1, 1600).optional(),
      Tags,
    }),
    run: ({ events, scope }, input) =>
      events.rules.put(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
  }),
  DescribeRule: operation({
    input: z.object({ Name: RuleName, EventBusName: BusName }),
    run: ({ events, scope }, input) =>
      events.rules.describe(scope, input.Name, busName(scope, input.EventBusName)),
  }),
  ListRules: operation({
    input: z.object({ NamePrefix: text(1, 64).optional(), EventBusName: BusName, NextToken, Limit }),
    run: async ({ events, scope }, input) =>
      listAnswer(
        "Rules",
        await events.rules.list(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
      ),
  }),
  EnableRule: operation({
    input: z.object({ Name: RuleName, EventBusName: BusName }),
    run: async ({ events, scope }, input) => {
      await events.rules.setState(scope, input.Name, busName(scope, input.EventBusName), "ENABLED");
      return {};
    },
  }),
  DisableRule: operation({
    input: z.object({ Name: RuleName, EventBusName: BusName }),
    run: async ({ events, scope }, input) => {
      await events.rules.setState(scope, input.Name, busName(scope, input.EventBusName), "DISABLED");
      return {};
    },
  }),
  DeleteRule: operation({
    input: z.object({ Name: RuleName, EventBusName: BusName, Force: z.boolean().optional() }),
    run: async ({ events, scope }, input) => {
      await events.rules.delete(scope, input.Name, busName(scope, input.EventBusName), {
        force: input.Force,
      });
      return {};
    },
  }),
  PutTargets: operation({
    input: z.object({
      Rule: RuleName,
      EventBusName: BusName,
      Targets: z
        .array(TargetShape)
        .min(1, "Member must have length greater than or equal to 1")
        .max(100, "Member must have length less than or equal to 100"),
    }),
    run: ({ events, scope }, input) =>
      events.putTargets(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
  }),
  RemoveTargets: operation({
    input: z.object({
      Rule: RuleName,
      EventBusName: BusName,
      Ids: z
        .array(text(1, 64))
        .min(1, "Member must have length greater than or equal to 1")
        .max(100, "Member must have length less than or equal to 100"),
      Force: z.boolean().optional(),
    }),
    run: ({ events, scope }, input) =>
      events.rules.removeTargets(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
  }),
  ListTargetsByRule: operation({
    input: z.object({ Rule: RuleName, EventBusName: BusName, NextToken, Limit }),
    run: async ({ events, scope }, input) =>
      listAnswer(
        "Targets",
        await events.rules.listTargets(scope, { ...input, EventBusName: busName(scope, input.EventBusName) }),
      ),
  }),
};

/** `EventBusName` may be a name or an ARN of the caller's own bus. */
export function busName(scope: Scope, nameOrArn: string | undefined): string {
  return busNameOf(scope, nameOrArn);
}
