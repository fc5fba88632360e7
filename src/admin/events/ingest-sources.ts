import { z } from "zod";
import { listAnswer, type Operation, operation } from "./operation.js";
import { Limit, NextToken, Timestamp, text } from "./validation.js";

const Entry = z.object({
  Time: Timestamp.optional(),
  Source: z.string().optional(),
  Resources: z.array(z.string()).optional(),
  DetailType: z.string().optional(),
  Detail: z.string().optional(),
  EventBusName: text(1, 1600).optional(),
  TraceHeader: text(1, 500).optional(),
});
const SourceName = text(1, 256);
const Account = text(12, 12);

/** TestEventPattern, PutEvents, PutPartnerEvents, and partner event sources on both sides. */
export const ingestAndSourceOperations: Record<string, Operation> = {
  TestEventPattern: operation({
    input: z.object({ EventPattern: text(1, 4096), Event: z.string() }),
    run: async ({ events }, input) => ({ Result: events.testEventPattern(input.EventPattern, input.Event) }),
  }),
  PutEvents: operation({
    input: z.object({ Entries: z.array(Entry), EndpointId: z.string().optional() }),
    run: ({ events, scope }, input) => events.ingest.putEvents(scope, input.Entries),
  }),
  PutPartnerEvents: operation({
    operatorOnly: true,
    input: z.object({ Entries: z.array(Entry.omit({ EventBusName: true, TraceHeader: true })) }),
    run: ({ events }, input) => events.ingest.putPartnerEvents(input.Entries),
  }),
  CreatePartnerEventSource: operation({
    operatorOnly: true,
    input: z.object({ Name: SourceName, Account }),
    run: ({ events }, input) => events.sources.create(input),
  }),
  DescribePartnerEventSource: operation({
    operatorOnly: true,
    input: z.object({ Name: SourceName }),
    run: ({ events }, input) => events.sources.describePartner(input.Name),
  }),
  ListPartnerEventSources: operation({
    operatorOnly: true,
    input: z.object({ NamePrefix: text(1, 256), NextToken, Limit }),
    run: async ({ events }, input) =>
      listAnswer("PartnerEventSources", await events.sources.listPartner(input)),
  }),
  ListPartnerEventSourceAccounts: operation({
    operatorOnly: true,
    input: z.object({ EventSourceName: SourceName, NextToken, Limit }),
    run: async ({ events }, input) => ({
      PartnerEventSourceAccounts: await events.sources.accountsOf(input.EventSourceName),
    }),
  }),
  DeletePartnerEventSource: operation({
    operatorOnly: true,
    input: z.object({ Name: SourceName, Account }),
    run: async ({ events }, input) => {
      await events.sources.delete(input);
      return {};
    },
  }),
  DescribeEventSource: operation({
    input: z.object({ Name: SourceName }),
    run: ({ events, scope }, input) => events.sources.describe(scope, input.Name),
  }),
  ListEventSources: operation({
    input: z.object({ NamePrefix: text(1, 256).optional(), NextToken, Limit }),
    run: async ({ events, scope }, input) =>
      listAnswer("EventSources", await events.sources.list(scope, input)),
  }),
  ActivateEventSource: operation({
    input: z.object({ Name: SourceName }),
    run: async ({ events, scope }, input) => {
      await events.sources.activate(scope, input.Name, true);
      return {};
    },
  }),
  DeactivateEventSource: operation({
    input: z.object({ Name: SourceName }),
    run: async ({ events, scope }, input) => {
      await events.sources.activate(scope, input.Name, false);
      return {};
    },
  }),
};
