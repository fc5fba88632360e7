import type { Method, Resource } from "../apis/index.js";
import type { RouteCache } from "./response-cache.js";
import type { RoutePolicies } from "./route-policies.js";

/** A route the gateway serves: one method of one resource of a deployed API. */
export interface Route {
  resourcePath: string;
  httpMethod: string;
  method: Method;
  /** Authorizer and validation of the method, compiled; absent when it has neither (the common case). */
  policies?: RoutePolicies;
  /** How the stage caches the route's answers; absent when it does not. */
  cache?: RouteCache;
}

export interface RouteMatch {
  route: Route;
  /** Path parameters by name; `{proxy+}` captures the rest of the path. */
  params: Record<string, string>;
}

interface Node {
  statics: Map<string, Node>;
  param?: { name: string; node: Node };
  greedy?: { name: string; node: Node };
  methods?: Map<string, Route>;
}

const newNode = (): Node => ({ statics: new Map() });

/**
 * Routes of one deployed stage, compiled into a segment trie once per configuration change.
 * Matching prefers a literal segment, then `{param}`, then greedy `{proxy+}`, as API Gateway
 * does; a method matches exactly first, then `ANY`.
 */
export class Router {
  private readonly root = newNode();

  /** `decorate` sees each route once, as it is made (configuration load compiles its policies). */
  constructor(resources: Resource[], decorate?: (route: Route) => void) {
    for (const resource of resources) {
      if (!resource.resourceMethods) continue;
      let node = this.root;
      for (const part of segments(resource.path)) {
        if (part.startsWith("{") && part.endsWith("+}")) {
          node.greedy ??= { name: part.slice(1, -2), node: newNode() };
          node = node.greedy.node;
        } else if (part.startsWith("{") && part.endsWith("}")) {
          node.param ??= { name: part.slice(1, -1), node: newNode() };
          node = node.param.node;
        } else {
          let next = node.statics.get(part);
          if (!next) {
            next = newNode();
            node.statics.set(part, next);
          }
          node = next;
        }
      }
      node.methods ??= new Map();
      for (const [httpMethod, method] of Object.entries(resource.resourceMethods)) {
        const route: Route = { resourcePath: resource.path, httpMethod, method };
        decorate?.(route);
        node.methods.set(httpMethod, route);
      }
    }
  }

  /**
   * Finds the route for a method and a path (without the stage, starting with `/`). Path
   * parameters come back percent-decoded; a literal segment is compared as sent.
   */
  match(httpMethod: string, path: string): RouteMatch | undefined {
    const params: Record<string, string> = {};
    const route = walk(this.root, segments(path), 0, httpMethod, params);
    return route ? { route, params } : undefined;
  }

  /** True when some resource has this path, whatever its methods (to tell 404 from 405-like misses). */
  hasPath(path: string): boolean {
    return walk(this.root, segments(path), 0, undefined, {}) !== undefined;
  }
}

function walk(
  node: Node,
  parts: string[],
  i: number,
  httpMethod: string | undefined,
  params: Record<string, string>,
): Route | undefined {
  if (i === parts.length) {
    if (!node.methods) return undefined;
    if (httpMethod === undefined) return node.methods.values().next().value;
    return node.methods.get(httpMethod) ?? node.methods.get("ANY");
  }
  const part = parts[i]!;
  const literal = node.statics.get(part);
  if (literal) {
    const found = walk(literal, parts, i + 1, httpMethod, params);
    if (found) return found;
  }
  if (node.param) {
    const found = walk(node.param.node, parts, i + 1, httpMethod, params);
    if (found) {
      params[node.param.name] = decode(part);
      return found;
    }
  }
  if (node.greedy) {
    const methods = node.greedy.node.methods;
    const found =
      methods &&
      (httpMethod === undefined
        ? methods.values().next().value
        : (methods.get(httpMethod) ?? methods.get("ANY")));
    if (found) {
      params[node.greedy.name] = parts.slice(i).map(decode).join("/");
      return found;
    }
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `/a/b/` → ["a", "b"]; `/` → []. */
function segments(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}
