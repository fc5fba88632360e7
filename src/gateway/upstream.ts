import type { Integration } from "../apis/index.js";

/**
 * An integration URI compiled once per route: `${stageVariables.x}` and `{param}` references
 * become slots filled per request. Values are percent-encoded, except that a greedy
 * `{proxy+}` value keeps its slashes.
 */
export interface CompiledUri {
  origin: string | ((vars: Record<string, string>) => string);
  path(params: Record<string, string>, vars: Record<string, string>): string;
}

const STAGE_VARIABLE = /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;

export function compileUri(integration: Integration): CompiledUri {
  const uri = integration.uri ?? "";
  // Path parameters may be renamed by requestParameters: integration.request.path.a = method.request.path.b
  const renames = new Map<string, string>();
  for (const [target, source] of Object.entries(integration.requestParameters ?? {})) {
    const t = /^integration\.request\.path\.(.+)$/.exec(target);
    const s = /^method\.request\.path\.(.+)$/.exec(source);
    if (t && s) renames.set(t[1]!, s[1]!);
  }
  const fill = (text: string, params: Record<string, string>, vars: Record<string, string>) =>
    text
      .replace(STAGE_VARIABLE, (_, name: string) => vars[name] ?? "")
      .replace(/\{([^}/]+?)(\+?)\}/g, (_, name: string) => {
        const value = params[renames.get(name) ?? name] ?? "";
        return value.split("/").map(encodeURIComponent).join("/");
      });

  const hasVariables = uri.includes("${stageVariables.");
  if (!hasVariables) {
    const url = new URL(uri.replace(/\{[^}]+\}/g, "x"));
    const origin = url.origin;
    const pathTemplate = uri.slice(uri.indexOf(url.host) + url.host.length) || "/";
    return { origin, path: (params, vars) => fill(pathTemplate, params, vars) };
  }
  // Stage variables may name the host: resolve the whole URI per request.
  return {
    origin: (vars) => new URL(fill(uri, {}, vars).replace(/\{[^}]+\}/g, "x")).origin,
    path: (params, vars) => {
      const full = fill(uri, params, vars);
      const url = new URL(full);
      return full.slice(full.indexOf(url.host) + url.host.length) || "/";
    },
  };
}
