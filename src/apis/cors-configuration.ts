import { BadRequestError } from "../core/errors.js";
import type { CorsConfiguration } from "./model.js";

const METHOD = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\*)$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks an API's CORS configuration (from CreateRestApi, UpdateRestApi `/corsConfiguration`
 * or `x-amazon-apigateway-cors`); `where` names the source in messages. Throws BadRequestError.
 */
export function checkCorsConfiguration(value: unknown, where = "corsConfiguration"): CorsConfiguration {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`Invalid ${where}: expected an object with allowOrigins`);
  }
  const input = value as Record<string, unknown>;
  const known = [
    "allowOrigins",
    "allowMethods",
    "allowHeaders",
    "exposeHeaders",
    "maxAge",
    "allowCredentials",
  ];
  const unknown = Object.keys(input).find((k) => !known.includes(k));
  if (unknown)
    throw new BadRequestError(`Invalid ${where}: unknown field '${unknown}' (fields: ${known.join(", ")})`);
  const list = (name: string, check: (v: string) => boolean, what: string): string[] | undefined => {
    const v = input[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !check(x))) {
      throw new BadRequestError(`Invalid ${where}.${name}: expected a list of ${what}`);
    }
    return v as string[];
  };
  const allowOrigins = list("allowOrigins", isOrigin, "origins like https://app.example.com, or *");
  if (!allowOrigins?.length)
    throw new BadRequestError(`Invalid ${where}: allowOrigins must name at least one origin`);
  const out: CorsConfiguration = { allowOrigins: allowOrigins.map((o) => o.toLowerCase()) };
  const methods = list("allowMethods", (m) => METHOD.test(m.toUpperCase()), "HTTP methods");
  if (methods) out.allowMethods = methods.map((m) => m.toUpperCase());
  const headers = list("allowHeaders", (h) => h === "*" || TOKEN.test(h), "header names, or *");
  if (headers) out.allowHeaders = headers.map((h) => h.toLowerCase());
  const expose = list("exposeHeaders", (h) => TOKEN.test(h), "header names");
  if (expose) out.exposeHeaders = expose.map((h) => h.toLowerCase());
  if (input.maxAge !== undefined) {
    const n = input.maxAge;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 86400)
      throw new BadRequestError(`Invalid ${where}.maxAge: expected whole seconds from 0 to 86400`);
    out.maxAge = n;
  }
  if (input.allowCredentials !== undefined) {
    if (typeof input.allowCredentials !== "boolean")
      throw new BadRequestError(`Invalid ${where}.allowCredentials: expected true or false`);
    if (input.allowCredentials && out.allowOrigins.includes("*"))
      throw new BadRequestError(`Invalid ${where}: allowCredentials cannot be true when allowOrigins is *`);
    out.allowCredentials = input.allowCredentials;
  }
  return out;
}

function isOrigin(value: string): boolean {
  if (value === "*") return true;
  try {
    const url = new URL(value);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.origin === value.toLowerCase().replace(/\/$/, "")
    );
  } catch {
    return false;
  }
}
