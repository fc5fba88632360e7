import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations, Tags } from "../shapes.js";

const EndpointConfigurationShape = z.object({
  types: z.array(z.string()),
  ipAddressType: z.string().optional(),
});

export const DomainNameShape = z.object({
  domainName: z.string(),
  certificateName: z.string().optional(),
  certificateArn: z.string().optional(),
  certificateUploadDate: EpochSeconds.optional(),
  regionalDomainName: z.string().optional(),
  regionalCertificateName: z.string().optional(),
  regionalCertificateArn: z.string().optional(),
  distributionDomainName: z.string().optional(),
  endpointConfiguration: EndpointConfigurationShape,
  domainNameStatus: z.string(),
  securityPolicy: z.string(),
  tags: Tags,
  mutualTlsAuthentication: z
    .object({
      truststoreUri: z.string().optional(),
      truststoreVersion: z.string().optional(),
      truststoreWarnings: z.array(z.string()).optional(),
    })
    .optional(),
  ownershipVerificationCertificateArn: z.string().optional(),
  routingMode: z.string(),
});

export const BasePathMappingShape = z.object({
  basePath: z.string(),
  restApiId: z.string(),
  stage: z.string().optional(),
});

const CreateDomainName = z.object({
  domainName: z.string(),
  certificateName: z.string().optional(),
  certificateBody: z.string().optional(),
  certificatePrivateKey: z.string().optional(),
  certificateChain: z.string().optional(),
  certificateArn: z.string().optional(),
  regionalCertificateName: z.string().optional(),
  regionalCertificateArn: z.string().optional(),
  endpointConfiguration: z
    .object({ types: z.array(z.string()).optional(), ipAddressType: z.string().optional() })
    .optional(),
  tags: Tags.optional(),
  securityPolicy: z.string().optional(),
  mutualTlsAuthentication: z
    .object({ truststoreUri: z.string().optional(), truststoreVersion: z.string().optional() })
    .optional(),
  ownershipVerificationCertificateArn: z.string().optional(),
  routingMode: z.string().optional(),
});

const CreateBasePathMapping = z.object({
  basePath: z.string().optional(),
  restApiId: z.string().min(1),
  stage: z.string().optional(),
});

const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };

/** Custom domain names and their base path mappings, as API Gateway's REST control plane. */
export function domainNameRoutes({ domainNames }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateDomainName",
      method: "POST",
      path: "/domainnames",
      summary: "Create a custom domain name",
      body: CreateDomainName,
      response: DomainNameShape,
      status: 201,
      handle: ({ body }) => domainNames.create(body),
    }),
    route({
      operationId: "GetDomainNames",
      method: "GET",
      path: "/domainnames",
      summary: "List custom domain names",
      query: PAGING,
      response: collection(DomainNameShape),
      status: 200,
      handle: async ({ query }) => paginate(await domainNames.list(), query.limit, query.position),
    }),
    route({
      operationId: "GetDomainName",
      method: "GET",
      path: "/domainnames/{domain_name}",
      summary: "Get a custom domain name",
      response: DomainNameShape,
      status: 200,
      handle: ({ params }) => domainNames.get(params.domain_name!),
    }),
    route({
      operationId: "UpdateDomainName",
      method: "PATCH",
      path: "/domainnames/{domain_name}",
      summary:
        "Update a custom domain name (/certificateArn, /securityPolicy, /endpointConfiguration/types/{type}, ...)",
      body: PatchOperations,
      response: DomainNameShape,
      status: 200,
      handle: ({ params, body }) => domainNames.update(params.domain_name!, body.patchOperations),
    }),
    route({
      operationId: "DeleteDomainName",
      method: "DELETE",
      path: "/domainnames/{domain_name}",
      summary: "Delete a custom domain name and its base path mappings",
      status: 202,
      handle: ({ params }) => domainNames.delete(params.domain_name!),
    }),
    route({
      operationId: "CreateBasePathMapping",
      method: "POST",
      path: "/domainnames/{domain_name}/basepathmappings",
      summary: "Map a base path of the domain (empty: '(none)') to a REST API and stage",
      body: CreateBasePathMapping,
      response: BasePathMappingShape,
      status: 201,
      handle: ({ params, body }) => domainNames.createMapping(params.domain_name!, body),
    }),
    route({
      operationId: "GetBasePathMappings",
      method: "GET",
      path: "/domainnames/{domain_name}/basepathmappings",
      summary: "List the domain's base path mappings",
      query: PAGING,
      response: collection(BasePathMappingShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await domainNames.listMappings(params.domain_name!), query.limit, query.position),
    }),
    route({
      operationId: "GetBasePathMapping",
      method: "GET",
      path: "/domainnames/{domain_name}/basepathmappings/{base_path}",
      summary: "Get a base path mapping ('(none)' for the empty base path)",
      response: BasePathMappingShape,
      status: 200,
      handle: ({ params }) => domainNames.getMapping(params.domain_name!, params.base_path!),
    }),
    route({
      operationId: "UpdateBasePathMapping",
      method: "PATCH",
      path: "/domainnames/{domain_name}/basepathmappings/{base_path}",
      summary: "Update a base path mapping (/basePath, /restapiId, /stage)",
      body: PatchOperations,
      response: BasePathMappingShape,
      status: 200,
      handle: ({ params, body }) =>
        domainNames.updateMapping(params.domain_name!, params.base_path!, body.patchOperations),
    }),
    route({
      operationId: "DeleteBasePathMapping",
      method: "DELETE",
      path: "/domainnames/{domain_name}/basepathmappings/{base_path}",
      summary: "Delete a base path mapping",
      status: 202,
      handle: ({ params }) => domainNames.deleteMapping(params.domain_name!, params.base_path!),
    }),
  ];
}
