import type { EventValue } from "./value-matcher.js";

/**
 * Field paths of one or many patterns as a trie of key segments, and the walk that finds an
 * event's values at those paths. A path is the pattern's keys joined with "."; an event key
 * that contains dots spans several segments, so `{"a.b": 1}` and `{"a": {"b": 1}}` both give
 * path "a.b" (EventBridge's behaviour). Arrays are transparent: every element's values belong to
 * the array's own path, and objects inside arrays are walked as if they were the parent value
 * (no "array consistency": fields of different elements combine, as EventBridge matches).
 * Subtrees no pattern names are never visited.
 */

export class PathNode {
  children: Map<string, PathNode> | null = null;
  /** the slot of the field whose path ends here, or -1 */
  field = -1;
  /** paths that end at or below this node; the node is dropped when it reaches 0 */
  refs = 0;
}

/** Receives each scalar value found at a field's path. */
export interface ValueVisitor {
  visit(field: number, value: EventValue): void;
}

function segments(path: string): string[] {
  return path.split(".");
}

export class PathTrie {
  readonly root = new PathNode();

  /** Adds one reference to a path; returns its node (new nodes have field -1). */
  add(path: string): PathNode {
    let node = this.root;
    node.refs++;
    for (const seg of segments(path)) {
      if (node.children === null) node.children = new Map();
      let next = node.children.get(seg);
      if (next === undefined) {
        next = new PathNode();
        node.children.set(seg, next);
      }
      next.refs++;
      node = next;
    }
    return node;
  }

  /** Drops one reference to a path added before, pruning nodes nothing refers to. */
  remove(path: string): void {
    let node = this.root;
    node.refs--;
    for (const seg of segments(path)) {
      const next = node.children!.get(seg)!;
      if (--next.refs === 0) {
        node.children!.delete(seg);
        if (node.children!.size === 0) node.children = null;
        return;
      }
      node = next;
    }
  }

  /** Walks an event, calling the visitor for each scalar value at a path of the trie. */
  walk(event: unknown, visitor: ValueVisitor): void {
    walkValue(this.root, event, visitor);
  }
}

/** The node reached from `node` by an event key, which may hold several dotted segments. */
function childFor(node: PathNode, key: string): PathNode | undefined {
  const children = node.children!;
  let dot = key.indexOf(".");
  if (dot < 0) return children.get(key);
  let current: PathNode | undefined = children.get(key.slice(0, dot));
  let start = dot + 1;
  while (current !== undefined) {
    const map = current.children;
    if (map === null) return undefined;
    dot = key.indexOf(".", start);
    if (dot < 0) return map.get(key.slice(start));
    current = map.get(key.slice(start, dot));
    start = dot + 1;
  }
  return undefined;
}

function walkValue(node: PathNode, value: unknown, visitor: ValueVisitor): void {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      if (node.field >= 0) visitor.visit(node.field, value);
      return;
    case "object":
      if (value === null) {
        if (node.field >= 0) visitor.visit(node.field, null);
      } else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) walkValue(node, value[i], visitor);
      } else if (node.children !== null) {
        const obj = value as Record<string, unknown>;
        for (const key in obj) {
          const child = childFor(node, key);
          if (child !== undefined) walkValue(child, obj[key], visitor);
        }
      }
      return;
    default:
      return;
  }
}
