import { z } from "zod";
import { listAnswer, type Operation, operation } from "./operation.js";
import { integer, Limit, NextToken, text } from "./validation.js";

const Parameter = z.object({ Key: text(0, 512), Value: text(0, 512), IsValueSecret: z.boolean().optional() });
const HttpParameters = z
  .object({
    HeaderParameters: z.array(Parameter).max(100).optional(),
    QueryStringParameters: z.array(Parameter).max(100).optional(),
    BodyParameters: z.array(Parameter).max(100).optional(),
  })
  .optional();
const AuthParameters = z
  .object({
    BasicAuthParameters: z
      .object({ Username: text(1, 512).optional(), Password: text(1, 512).optional() })
      .optional(),
    OAuthParameters: z
      .object({
        ClientParameters: z
          .object({ ClientID: text(1, 512).optional(), ClientSecret: text(1, 512).optional() })
          .optional(),
        AuthorizationEndpoint: text(1, 2048).optional(),
        HttpMethod: z.enum(["GET", "POST", "PUT"]).optional(),
        OAuthHttpParameters: HttpParameters,
      })
      .optional(),
    ApiKeyAuthParameters: z
      .object({ ApiKeyName: text(1, 512).optional(), ApiKeyValue: text(1, 512).optional() })
      .optional(),
    InvocationHttpParameters: HttpParameters,
  })
  .optional();
const AuthorizationType = z.enum(["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"]);
const Method = z.enum(["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"]);
const Name = text(1, 64);

/** Connections and API destinations, and Tollgate's webhook signing secrets on them. */
export const destinationOperations: Record<string, Operation> = {
  CreateConnection: operation({
    input: z.object({
      Name,
      Description: text(0, 512).optional(),
      AuthorizationType,
      AuthParameters,
    }),
    run: ({ events, scope }, input) => events.connections.create(scope, input),
  }),
  DescribeConnection: operation({
    input: z.object({ Name }),
    run: ({ events, scope }, input) => events.connections.describe(scope, input.Name),
  }),
  ListConnections: operation({
    input: z.object({
      NamePrefix: text(1, 64).optional(),
      ConnectionState: z.string().optional(),
      NextToken,
      Limit,
    }),
    run: async ({ events, scope }, input) =>
      listAnswer("Connections", await events.connections.list(scope, input)),
  }),
  UpdateConnection: operation({
    input: z.object({
      Name,
      Description: text(0, 512).optional(),
      AuthorizationType: AuthorizationType.optional(),
      AuthParameters,
    }),
    run: ({ events, scope }, input) => events.connections.update(scope, input),
  }),
  DeleteConnection: operation({
    input: z.object({ Name }),
    run: ({ events, scope }, input) => events.connections.delete(scope, input.Name),
  }),
  CreateApiDestination: operation({
    input: z.object({
      Name,
      Description: text(0, 512).optional(),
      ConnectionArn: text(1, 1600),
      InvocationEndpoint: text(1, 2048),
      HttpMethod: Method,
      InvocationRateLimitPerSecond: integer(1, 300).optional(),
    }),
    run: ({ events, scope }, input) => events.destinations.create(scope, input),
  }),
  DescribeApiDestination: operation({
    input: z.object({ Name }),
    run: ({ events, scope }, input) => events.destinations.describe(scope, input.Name),
  }),
  ListApiDestinations: operation({
    input: z.object({
      NamePrefix: text(1, 64).optional(),
      ConnectionArn: text(1, 1600).optional(),
      NextToken,
      Limit,
    }),
    run: async ({ events, scope }, input) =>
      listAnswer("ApiDestinations", await events.destinations.list(scope, input)),
  }),
  UpdateApiDestination: operation({
    input: z.object({
      Name,
      Description: text(0, 512).optional(),
      ConnectionArn: text(1, 1600).optional(),
      InvocationEndpoint: text(1, 2048).optional(),
      HttpMethod: Method.optional(),
      InvocationRateLimitPerSecond: integer(1, 300).optional(),
    }),
    run: ({ events, scope }, input) => events.destinations.update(scope, input),
  }),
  DeleteApiDestination: operation({
    input: z.object({ Name }),
    run: async ({ events, scope }, input) => {
      await events.destinations.delete(scope, input.Name);
      return {};
    },
  }),
  // Tollgate's own: Standard Webhooks signing secrets of an API destination.
  RotateWebhookSecret: operation({
    input: z.object({ Name, OverlapSeconds: integer(0, 30 * 86_400).optional() }),
    run: ({ events, scope }, input) =>
      events.destinations.rotateSecret(scope, input.Name, input.OverlapSeconds),
  }),
  ListWebhookSecrets: operation({
    input: z.object({ Name }),
    run: async ({ events, scope }, input) => ({
      Secrets: await events.destinations.listSecrets(scope, input.Name),
    }),
  }),
};
