import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateRestApiCommand,
  GetTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-api-gateway";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

describe("tags on REST APIs", () => {
  let t: TestTollgate;
  before(async () => {
    t = await startTestTollgate();
  });
  after(() => t.close());

  test("TagResource, GetTags and UntagResource by ARN through the SDK", async () => {
    const api = await t.apigateway.send(new CreateRestApiCommand({ name: "tagged", tags: { team: "core" } }));
    const resourceArn = `arn:aws:apigateway:us-east-1::/restapis/${api.id}`;
    await t.apigateway.send(new TagResourceCommand({ resourceArn, tags: { env: "prod", owner: "billing" } }));
    assert.deepEqual((await t.apigateway.send(new GetTagsCommand({ resourceArn }))).tags, {
      team: "core",
      env: "prod",
      owner: "billing",
    });
    await t.apigateway.send(new UntagResourceCommand({ resourceArn, tagKeys: ["env", "owner"] }));
    assert.deepEqual((await t.apigateway.send(new GetTagsCommand({ resourceArn }))).tags, { team: "core" });
  });

  test("an ARN that names no REST API is a 400; an unknown API a 404", async () => {
    const bad = await t.admin(
      "PUT",
      `/tags/${encodeURIComponent("arn:aws:apigateway:us-east-1::/usageplans/x")}`,
      { tags: { a: "b" } },
    );
    assert.equal(bad.status, 400);
    const missing = await t.admin(
      "GET",
      `/tags/${encodeURIComponent("arn:aws:apigateway:us-east-1::/restapis/nope")}`,
    );
    assert.equal(missing.status, 404);
  });
});
