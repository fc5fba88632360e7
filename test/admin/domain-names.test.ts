import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateBasePathMappingCommand,
  CreateDomainNameCommand,
  DeleteBasePathMappingCommand,
  DeleteDomainNameCommand,
  GetBasePathMappingCommand,
  GetBasePathMappingsCommand,
  GetDomainNameCommand,
  UpdateBasePathMappingCommand,
  UpdateDomainNameCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Imports a one-method API and deploys it to stages `dev` and `prod`. */
async function seedStagedApi(t: TestTollgate): Promise<string> {
  const document = {
    openapi: "3.0.1",
    info: { title: "pets", version: "1" },
    paths: {
      "/pets": {
        get: {
          "x-amazon-apigateway-integration": { type: "mock" },
          responses: { "200": { description: "ok" } },
        },
      },
    },
  };
  const imported = await t.admin("POST", "/restapis?mode=import", JSON.stringify(document));
  assert.equal(imported.status, 201);
  const apiId: string = imported.body.id;
  for (const stageName of ["dev", "prod"]) {
    const deployment = await t.admin("POST", `/restapis/${apiId}/deployments`, { stageName });
    assert.equal(deployment.status, 201);
  }
  return apiId;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: domain names and base path mappings`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect, clock: new ManualClock(NOW) });
    });
    after(() => t.close());

    test("a domain name with base path mappings round-trips through the SDK, '(none)' included", async () => {
      const apiId = await seedStagedApi(t);
      const { $metadata, ...domain } = await t.apigateway.send(
        new CreateDomainNameCommand({
          domainName: "api.example.com",
          certificateName: "example",
          certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
          tags: { env: "test" },
        }),
      );
      assert.equal($metadata.httpStatusCode, 201);
      assert.deepEqual(domain, {
        domainName: "api.example.com",
        certificateName: "example",
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        certificateUploadDate: new Date(NOW),
        distributionDomainName: "api.example.com",
        endpointConfiguration: { types: ["EDGE"] },
        domainNameStatus: "AVAILABLE",
        securityPolicy: "TLS_1_2",
        tags: { env: "test" },
        routingMode: "BASE_PATH_MAPPING_ONLY",
      });
      const read = await t.apigateway.send(new GetDomainNameCommand({ domainName: "api.example.com" }));
      assert.equal(read.domainName, "api.example.com");

      const root = await t.apigateway.send(
        new CreateBasePathMappingCommand({ domainName: "api.example.com", restApiId: apiId, stage: "prod" }),
      );
      assert.equal(root.$metadata.httpStatusCode, 201);
      assert.equal(root.basePath, "(none)");
      await t.apigateway.send(
        new CreateBasePathMappingCommand({ domainName: "api.example.com", basePath: "v1", restApiId: apiId }),
      );
      const byNone = await t.apigateway.send(
        new GetBasePathMappingCommand({ domainName: "api.example.com", basePath: "(none)" }),
      );
      assert.deepEqual(
        { basePath: byNone.basePath, restApiId: byNone.restApiId, stage: byNone.stage },
        { basePath: "(none)", restApiId: apiId, stage: "prod" },
      );
      const listed = await t.apigateway.send(
        new GetBasePathMappingsCommand({ domainName: "api.example.com" }),
      );
      assert.deepEqual(listed.items, [
        { basePath: "(none)", restApiId: apiId, stage: "prod" },
        { basePath: "v1", restApiId: apiId },
      ]);

      const moved = await t.apigateway.send(
        new UpdateBasePathMappingCommand({
          domainName: "api.example.com",
          basePath: "v1",
          patchOperations: [
            { op: "replace", path: "/basePath", value: "v2" },
            { op: "replace", path: "/stage", value: "dev" },
          ],
        }),
      );
      assert.deepEqual({ basePath: moved.basePath, stage: moved.stage }, { basePath: "v2", stage: "dev" });
      const removed = await t.apigateway.send(
        new DeleteBasePathMappingCommand({ domainName: "api.example.com", basePath: "(none)" }),
      );
      assert.equal(removed.$metadata.httpStatusCode, 202);
      const remaining = await t.admin("GET", "/domainnames/api.example.com/basepathmappings");
      assert.deepEqual(remaining.body.item, [{ basePath: "v2", restApiId: apiId, stage: "dev" }]);

      const deleted = await t.apigateway.send(new DeleteDomainNameCommand({ domainName: "api.example.com" }));
      assert.equal(deleted.$metadata.httpStatusCode, 202);
      assert.equal((await t.admin("GET", "/domainnames/api.example.com")).status, 404);
      const orphans = await t.tollgate.store.db
        .selectFrom("base_path_mappings")
        .selectAll()
        .where("domain_name", "=", "api.example.com")
        .execute();
      assert.deepEqual(orphans, [], "deleting a domain name deletes its mappings");
    });

    test("UpdateDomainName switches EDGE to REGIONAL as AWS's patch path names it", async () => {
      await t.admin("POST", "/domainnames", { domainName: "edge.example.com" });
      const updated = await t.apigateway.send(
        new UpdateDomainNameCommand({
          domainName: "edge.example.com",
          patchOperations: [
            { op: "replace", path: "/endpointConfiguration/types/EDGE", value: "REGIONAL" },
            {
              op: "replace",
              path: "/regionalCertificateArn",
              value: "arn:aws:acm:eu-west-1:1:certificate/r",
            },
            { op: "replace", path: "/securityPolicy", value: "TLS_1_0" },
          ],
        }),
      );
      assert.deepEqual(updated.endpointConfiguration, { types: ["REGIONAL"] });
      assert.equal(updated.regionalDomainName, "edge.example.com");
      assert.equal(updated.distributionDomainName, undefined);
      assert.equal(updated.securityPolicy, "TLS_1_0");
    });

    test("a bad domain name patch is a 400 that changes nothing", async () => {
      await t.admin("POST", "/domainnames", { domainName: "patch.example.com", certificateName: "c" });
      const before = (await t.admin("GET", "/domainnames/patch.example.com")).body;
      for (const bad of [
        { op: "replace", path: "/domainName", value: "other.example.com" },
        { op: "replace", path: "/securityPolicy", value: "TLS_9" },
        { op: "replace", path: "/endpointConfiguration/types/REGIONAL", value: "EDGE" },
        { op: "replace", path: "/endpointConfiguration/types/EDGE", value: "EDGE_AND_MORE" },
      ]) {
        const response = await t.admin("PATCH", "/domainnames/patch.example.com", {
          patchOperations: [{ op: "replace", path: "/certificateName", value: "half-applied" }, bad],
        });
        assert.equal(response.status, 400, JSON.stringify(bad));
        assert.deepEqual((await t.admin("GET", "/domainnames/patch.example.com")).body, before);
      }
    });

    test("bad domain names are 400s, duplicates 409s, unknown names 404s; nothing is created", async () => {
      await t.admin("POST", "/domainnames", { domainName: "taken.example.com" });
      const cases = [
        [{ domainName: "" }, 400, /No Domain Name specified/],
        [{ domainName: "not a host" }, 400, /Invalid domain name 'not a host'/],
        [{ domainName: "localhost" }, 400, /Invalid domain name/],
        [{ domainName: "-bad.example.com" }, 400, /Invalid domain name/],
        [
          { domainName: "ok.example.com", endpointConfiguration: { types: ["EDGE", "REGIONAL"] } },
          400,
          /exactly one/,
        ],
        [{ domainName: "ok.example.com", securityPolicy: "SSL3" }, 400, /securityPolicy 'SSL3'/],
        [{ domainName: "TAKEN.example.com" }, 409, /already exists/],
      ] as const;
      for (const [body, status, message] of cases) {
        const response = await t.admin("POST", "/domainnames", body);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.match(response.body.message, message);
      }
      const names = (await t.admin("GET", "/domainnames")).body.item.map(
        (d: { domainName: string }) => d.domainName,
      );
      assert.ok(!names.includes("ok.example.com"));
      assert.ok(names.includes("taken.example.com"));
      assert.ok(!names.includes("*.example.com"));
      const wildcard = await t.admin("POST", "/domainnames", { domainName: "*.example.com" });
      assert.equal(wildcard.status, 201, "a wildcard domain name is valid");
      for (const path of [
        "/domainnames/nope.example.com",
        "/domainnames/nope.example.com/basepathmappings",
      ]) {
        const response = await t.admin("GET", path);
        assert.equal(response.status, 404);
        assert.equal(response.headers.get("x-amzn-errortype"), "NotFoundException");
      }
    });

    test("bad base path mappings are 4xx with AWS's messages and create nothing", async () => {
      const apiId = await seedStagedApi(t);
      await t.admin("POST", "/domainnames", { domainName: "maps.example.com" });
      const path = "/domainnames/maps.example.com/basepathmappings";
      await t.admin("POST", path, { basePath: "v1", restApiId: apiId });
      const cases = [
        [{ basePath: "a/b", restApiId: apiId }, 400, /doesn't support the slash character/],
        [{ basePath: "sp ace", restApiId: apiId }, 400, /Invalid base path 'sp ace'/],
        [{ basePath: "v2", restApiId: "nosuchapi0" }, 400, /Invalid REST API identifier specified/],
        [{ basePath: "v2", restApiId: apiId, stage: "nostage" }, 400, /Invalid stage identifier specified/],
        [{ basePath: "v1", restApiId: apiId }, 409, /^Base path already exists for this domain name$/],
      ] as const;
      for (const [body, status, message] of cases) {
        const response = await t.admin("POST", path, body);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.match(response.body.message, message);
      }
      const badPatches = [
        [{ op: "replace", path: "/restapiId", value: "nosuchapi0" }, 400],
        [{ op: "replace", path: "/stage", value: "nostage" }, 400],
        [{ op: "replace", path: "/basePath", value: "x/y" }, 400],
        [{ op: "replace", path: "/color", value: "red" }, 400],
      ] as const;
      await t.admin("POST", path, { basePath: "v3", restApiId: apiId });
      const conflict = await t.admin("PATCH", `${path}/v3`, {
        patchOperations: [{ op: "replace", path: "/basePath", value: "v1" }],
      });
      assert.equal(conflict.status, 409);
      for (const [bad, status] of badPatches) {
        const response = await t.admin("PATCH", `${path}/v1`, { patchOperations: [bad] });
        assert.equal(response.status, status, JSON.stringify(bad));
      }
      assert.deepEqual((await t.admin("GET", path)).body.item, [
        { basePath: "v1", restApiId: apiId },
        { basePath: "v3", restApiId: apiId },
      ]);
      assert.equal((await t.admin("GET", `${path}/nothere`)).status, 404);
    });

    test("deleting a stage removes the base path mappings that route to it", async () => {
      const apiId = await seedStagedApi(t);
      await t.admin("POST", "/domainnames", { domainName: "stage.example.com" });
      const path = "/domainnames/stage.example.com/basepathmappings";
      await t.admin("POST", path, { basePath: "d", restApiId: apiId, stage: "dev" });
      await t.admin("POST", path, { basePath: "p", restApiId: apiId, stage: "prod" });
      assert.equal((await t.admin("DELETE", `/restapis/${apiId}/stages/dev`)).status, 202);
      assert.deepEqual((await t.admin("GET", path)).body.item, [
        { basePath: "p", restApiId: apiId, stage: "prod" },
      ]);
    });
  });
}
