import { z } from "zod";
import { listAnswer, type Operation, operation } from "./operation.js";
import { integer, Limit, NextToken, Timestamp, text } from "./validation.js";

const ArchiveName = text(1, 48);
const ReplayName = text(1, 64);
const StartReplay = z.object({
  ReplayName,
  Description: text(0, 512).optional(),
  EventSourceArn: text(1, 1600),
  EventStartTime: Timestamp,
  EventEndTime: Timestamp,
  Destination: z.object({ Arn: text(1, 1600), FilterArns: z.array(text(1, 1600)).optional() }),
});

/** Archives and replays (and Tollgate's replay of an archive window to one target). */
export const archiveOperations: Record<string, Operation> = {
  CreateArchive: operation({
    input: z.object({
      ArchiveName,
      EventSourceArn: text(1, 1600),
      Description: text(0, 512).optional(),
      EventPattern: text(0, 4096).optional(),
      RetentionDays: integer(0, 2_147_483_647).optional(),
      KmsKeyIdentifier: text(0, 2048).optional(),
    }),
    run: ({ events, scope }, input) => events.archives.create(scope, input),
  }),
  DescribeArchive: operation({
    input: z.object({ ArchiveName }),
    run: ({ events, scope }, input) => events.archives.describe(scope, input.ArchiveName),
  }),
  ListArchives: operation({
    input: z.object({
      NamePrefix: text(1, 48).optional(),
      EventSourceArn: text(1, 1600).optional(),
      State: z.string().optional(),
      NextToken,
      Limit,
    }),
    run: async ({ events, scope }, input) => listAnswer("Archives", await events.archives.list(scope, input)),
  }),
  UpdateArchive: operation({
    input: z.object({
      ArchiveName,
      Description: text(0, 512).optional(),
      EventPattern: text(0, 4096).optional(),
      RetentionDays: integer(0, 2_147_483_647).optional(),
    }),
    run: ({ events, scope }, input) => events.archives.update(scope, input),
  }),
  DeleteArchive: operation({
    input: z.object({ ArchiveName }),
    run: async ({ events, scope }, input) => {
      await events.archives.delete(scope, input.ArchiveName);
      return {};
    },
  }),
  StartReplay: operation({
    input: StartReplay,
    run: ({ events, scope }, input) => events.replays.start(scope, input),
  }),
  // Tollgate's own: the archive window to one target of one rule.
  StartReplayToTarget: operation({
    input: StartReplay.extend({ Rule: text(1, 64), TargetId: text(1, 64) }),
    run: ({ events, scope }, { Rule, TargetId, ...input }) =>
      events.replays.start(scope, input, { Rule, TargetId }),
  }),
  DescribeReplay: operation({
    input: z.object({ ReplayName }),
    run: ({ events, scope }, input) => events.replays.describe(scope, input.ReplayName),
  }),
  ListReplays: operation({
    input: z.object({
      NamePrefix: text(1, 64).optional(),
      State: z.string().optional(),
      EventSourceArn: text(1, 1600).optional(),
      NextToken,
      Limit,
    }),
    run: async ({ events, scope }, input) => listAnswer("Replays", await events.replays.list(scope, input)),
  }),
  CancelReplay: operation({
    input: z.object({ ReplayName }),
    run: ({ events, scope }, input) => events.replays.cancel(scope, input.ReplayName),
  }),
};
