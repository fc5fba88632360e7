import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  ImportApiKeysCommand,
  UpdateApiKeyCommand,
} from "@aws-sdk/client-api-gateway";
import { newId } from "../../src/core/ids.js";
import { fields, rejects } from "../helpers/sdk.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

/** Inserts a REST API with one stage straight into the store (the apis part's routes come later). */
async function seedStage(t: TestTollgate, stage: string): Promise<string> {
  const db = t.tollgate.store.db;
  const apiId = newId();
  const deploymentId = newId();
  const now = Date.now();
  await db
    .insertInto("rest_apis")
    .values({
      id: apiId,
      name: `api-${apiId}`,
      description: null,
      version: null,
      api_key_source: "HEADER",
      attributes: "{}",
      definition: null,
      warnings: "[]",
      root_resource_id: newId(),
      created_at: now,
    })
    .execute();
  await db
    .insertInto("deployments")
    .values({ id: deploymentId, rest_api_id: apiId, description: null, snapshot: "{}", created_at: now })
    .execute();
  await db
    .insertInto("stages")
    .values({
      rest_api_id: apiId,
      stage_name: stage,
      deployment_id: deploymentId,
      description: null,
      attributes: "{}",
      created_at: now,
      updated_at: now,
    })
    .execute();
  return apiId;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: API keys`, () => {
    let t: TestTollgate;
    let tenantId: string;
    let apiId: string;
    before(async () => {
      t = await startTestTollgate({ dialect });
      tenantId = (await t.admin("POST", "/tenants", { name: "acme" })).body.id;
      apiId = await seedStage(t, "prod");
    });
    after(() => t.close());

    const keyCount = async () => (await t.admin("GET", "/apikeys?limit=500")).body.item.length;

    test("a generated key has a 40-character value, shown on create and on GetApiKey only with includeValue", async () => {
      const created = await t.apigateway.send(
        new CreateApiKeyCommand({
          name: "generated",
          description: "made by the server",
          customerId: tenantId,
          stageKeys: [{ restApiId: apiId, stageName: "prod" }],
          tags: { team: "billing" },
        }),
      );
      assert.equal(created.$metadata.httpStatusCode, 201);
      assert.match(created.value!, /^[A-Za-z0-9]{40}$/);
      assert.equal(created.enabled, false, "disabled unless asked, as AWS");
      assert.deepEqual(created.stageKeys, [`${apiId}/prod`]);
      assert.ok(created.createdDate instanceof Date);

      const hidden = await t.apigateway.send(new GetApiKeyCommand({ apiKey: created.id }));
      assert.equal(hidden.value, undefined);
      const shown = await t.apigateway.send(new GetApiKeyCommand({ apiKey: created.id, includeValue: true }));
      assert.deepEqual(fields(shown), fields(created));
      const { value: _, ...withoutValue } = fields(created);
      assert.deepEqual(fields(hidden), withoutValue);
    });

    test("a given value of 20 or more characters is kept; the same value twice is a 409 ConflictException", async () => {
      const value = "given-value-0123456789";
      const created = await t.apigateway.send(
        new CreateApiKeyCommand({ name: "given", value, enabled: true }),
      );
      assert.equal(created.value, value);
      assert.equal(created.enabled, true);
      const before = await keyCount();
      const message = await rejects(
        t.apigateway.send(new CreateApiKeyCommand({ name: "copy", value })),
        "ConflictException",
        409,
      );
      assert.match(message, /API Key already exists/);
      assert.equal(await keyCount(), before);
    });

    test("the api_keys row holds neither the plain value nor anything that contains it", async () => {
      const value = "plain-secret-value-abcdefghij-0123456789";
      const { id } = await t.apigateway.send(new CreateApiKeyCommand({ name: "secret", value }));
      const row = await t.tollgate.store.db
        .selectFrom("api_keys")
        .selectAll()
        .where("id", "=", id!)
        .executeTakeFirstOrThrow();
      for (const [column, stored] of Object.entries(row)) {
        assert.ok(!String(stored).includes(value), `column ${column} contains the value`);
        assert.ok(
          !String(stored).includes(Buffer.from(value).toString("base64url")),
          `column ${column} encodes it`,
        );
      }
      assert.match(row.value_hash, /^[0-9a-f]{64}$/);
      assert.deepEqual(await t.tollgate.services.apiKeys.findByValue(value), {
        id,
        enabled: false,
        customerId: undefined,
      });
      assert.equal(await t.tollgate.services.apiKeys.findByValue(`${value}x`), undefined);
    });

    test("UpdateApiKey disables, renames, re-owns and edits stage keys", async () => {
      const other = (await t.admin("POST", "/tenants", { name: "globex" })).body.id;
      const key = await t.apigateway.send(new CreateApiKeyCommand({ name: "before", enabled: true }));
      const updated = await t.apigateway.send(
        new UpdateApiKeyCommand({
          apiKey: key.id,
          patchOperations: [
            { op: "replace", path: "/name", value: "after" },
            { op: "replace", path: "/description", value: "renamed" },
            { op: "replace", path: "/enabled", value: "false" },
            { op: "replace", path: "/customerId", value: other },
            { op: "add", path: "/stages", value: `${apiId}/prod` },
          ],
        }),
      );
      assert.equal(updated.name, "after");
      assert.equal(updated.description, "renamed");
      assert.equal(updated.enabled, false);
      assert.equal(updated.customerId, other);
      assert.deepEqual(updated.stageKeys, [`${apiId}/prod`]);
      assert.equal(updated.value, undefined);
      const read = await t.apigateway.send(new GetApiKeyCommand({ apiKey: key.id }));
      assert.deepEqual(fields(read), fields(updated));

      const unstaged = await t.apigateway.send(
        new UpdateApiKeyCommand({
          apiKey: key.id,
          patchOperations: [{ op: "remove", path: "/stages", value: `${apiId}/prod` }],
        }),
      );
      assert.deepEqual(unstaged.stageKeys, []);
      assert.equal((await t.tollgate.services.apiKeys.findByValue(key.value!))?.enabled, false);
    });

    test("a bad update is a 400 that changes nothing", async () => {
      const { body: key } = await t.admin("POST", "/apikeys", { name: "steady", enabled: true });
      const { value: _, ...stored } = key;
      for (const bad of [
        { op: "replace", path: "/customerId", value: "nosuchten0" },
        { op: "add", path: "/stages", value: `${apiId}/gamma` },
        { op: "replace", path: "/enabled", value: "maybe" },
        { op: "replace", path: "/value", value: "x".repeat(30) },
      ]) {
        const answer = await t.admin("PATCH", `/apikeys/${key.id}`, {
          patchOperations: [{ op: "replace", path: "/name", value: "half-applied" }, bad],
        });
        assert.equal(answer.status, 400, JSON.stringify(bad));
      }
      assert.deepEqual((await t.admin("GET", `/apikeys/${key.id}`)).body, stored);
    });

    test("bad keys are 400s with AWS's messages, and store nothing", async () => {
      const before = await keyCount();
      const cases: Array<[object, RegExp]> = [
        [{ value: "x".repeat(19) }, /^API Key value should be at least 20 characters$/],
        [{ value: "x".repeat(129) }, /^API Key value exceeds maximum size of 128 characters$/],
        [{ value: "has spaces in the value ok" }, /printable ASCII/],
        [{ customerId: "nosuchten0" }, /customerId 'nosuchten0'.*existing tenant/],
        [{ stageKeys: [{ restApiId: apiId, stageName: "gamma" }] }, /stage key/],
        [{ tags: { "aws:x": "y" } }, /reserved/],
        [{ enabled: "yes" }, /enabled/],
      ];
      for (const [input, message] of cases) {
        const answer = await t.admin("POST", "/apikeys", { name: "bad", ...input });
        assert.equal(answer.status, 400, JSON.stringify(input));
        assert.equal(answer.headers.get("x-amzn-errortype"), "BadRequestException");
        assert.match(answer.body.message, message);
      }
      await rejects(
        t.apigateway.send(new CreateApiKeyCommand({ name: "short", value: "x".repeat(19) })),
        "BadRequestException",
        400,
      );
      assert.equal(await keyCount(), before);
    });

    test("GetApiKeys filters by name prefix and owner, with values only when asked", async () => {
      const owner = (await t.admin("POST", "/tenants", { name: "initech" })).body.id;
      const a = await t.apigateway.send(new CreateApiKeyCommand({ name: "list-a", customerId: owner }));
      const b = await t.apigateway.send(new CreateApiKeyCommand({ name: "list-b" }));
      const byName = await t.apigateway.send(new GetApiKeysCommand({ nameQuery: "list-" }));
      assert.deepEqual(
        byName.items?.map((k) => [k.id, k.value]),
        [
          [a.id, undefined],
          [b.id, undefined],
        ],
      );
      const withValues = await t.apigateway.send(
        new GetApiKeysCommand({ nameQuery: "list-", includeValues: true }),
      );
      assert.deepEqual(
        withValues.items?.map((k) => k.value),
        [a.value, b.value],
      );
      const byOwner = await t.apigateway.send(new GetApiKeysCommand({ customerId: owner }));
      assert.deepEqual(
        byOwner.items?.map((k) => k.id),
        [a.id],
      );
    });

    test("DeleteApiKey answers 202 and takes the key off its plans", async () => {
      const { body: plan } = await t.admin("POST", "/usageplans", { name: "with-doomed-key" });
      const key = await t.apigateway.send(new CreateApiKeyCommand({ name: "doomed" }));
      await t.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
      const deleted = await t.apigateway.send(new DeleteApiKeyCommand({ apiKey: key.id }));
      assert.equal(deleted.$metadata.httpStatusCode, 202);
      await rejects(t.apigateway.send(new GetApiKeyCommand({ apiKey: key.id })), "NotFoundException", 404);
      assert.deepEqual(
        (await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }))).items,
        [],
      );
      assert.equal(await t.tollgate.services.apiKeys.findByValue(key.value!), undefined);
    });

    test("ImportApiKeys reads AWS's CSV format and puts keys on plans; bad rows are warnings", async () => {
      const { body: gold } = await t.admin("POST", "/usageplans", { name: "gold" });
      const { body: silver } = await t.admin("POST", "/usageplans", { name: "silver" });
      const csv = [
        "Key,name,DESCRIPTION,Enabled,usageplanIds,ignored",
        `import-key-0123456789a,imported-one,"first, with a comma",,"${gold.id},${silver.id}",x`,
        `import-key-0123456789b,imported-two,,FALSE,'${gold.id}'`,
        "short,too-short,,,",
        `import-key-0123456789c,unknown-plan,,,nosuchplan`,
      ].join("\r\n");
      const result = await t.apigateway.send(
        new ImportApiKeysCommand({ body: Buffer.from(csv), format: "csv", failOnWarnings: false }),
      );
      assert.equal(result.$metadata.httpStatusCode, 201);
      assert.equal(result.ids?.length, 2);
      assert.equal(result.warnings?.length, 2);
      assert.match(result.warnings![0]!, /^Line 4: API Key value should be at least 20 characters/);
      assert.match(result.warnings![1]!, /^Line 5: Invalid Usage Plan ID specified: nosuchplan/);

      const [one, two] = await Promise.all(
        result.ids!.map((id) => t.apigateway.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }))),
      );
      assert.deepEqual(
        [one?.name, one?.value, one?.description, one?.enabled],
        ["imported-one", "import-key-0123456789a", "first, with a comma", true],
      );
      assert.deepEqual([two?.name, two?.enabled], ["imported-two", false]);
      const goldKeys = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: gold.id }));
      assert.deepEqual(
        goldKeys.items?.map((k) => k.name),
        ["imported-one", "imported-two"],
      );
      const onePlans = await t.apigateway.send(new GetUsagePlansCommand({ keyId: one?.id }));
      assert.deepEqual(onePlans.items?.map((p) => p.name).sort(), ["gold", "silver"]);

      // Importing a known value again overwrites that key rather than adding one.
      const again = await t.admin(
        "POST",
        "/apikeys?mode=import&format=csv",
        "name,key,enabled\nrenamed-one,import-key-0123456789a,false\n",
        { headers: { "content-type": "text/csv" } },
      );
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, { ids: [one?.id], warnings: [] });
      const reread = await t.apigateway.send(new GetApiKeyCommand({ apiKey: one?.id }));
      assert.deepEqual([reread.name, reread.enabled], ["renamed-one", false]);
    });

    test("ImportApiKeys with failonwarnings fails on any warning and imports nothing", async () => {
      const before = await keyCount();
      const csv = "name,key\ngood-row,import-key-fail-0123456789\nbad-row,short\n";
      const message = await rejects(
        t.apigateway.send(
          new ImportApiKeysCommand({ body: Buffer.from(csv), format: "csv", failOnWarnings: true }),
        ),
        "BadRequestException",
        400,
      );
      assert.match(message, /Line 3: API Key value should be at least 20 characters/);
      assert.equal(await keyCount(), before);

      for (const [query, body, pattern] of [
        ["format=json", "name,key\n", /Invalid format 'json'/],
        ["format=csv", "name,description\nx,y\n", /Name and Key/],
        ["format=csv", 'name,key\n"unclosed,import-key-0123456789zz\n', /never closed/],
      ] as const) {
        const answer = await t.admin("POST", `/apikeys?mode=import&${query}`, body);
        assert.equal(answer.status, 400);
        assert.match(answer.body.message, pattern);
      }
      assert.equal(await keyCount(), before);
    });
  });
}
