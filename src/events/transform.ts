import { ValidationError } from "./errors.js";

/** A target's InputTransformer: variables read from the event by JSON path, put into a template. */
export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

/** What a target receives of an event: the event, `Input` as given, a part of it, or a template. */
export interface InputSpec {
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

/** What the predefined variables of a template read. */
export interface TransformContext {
  ruleArn: string;
  ruleName: string;
  /** ISO 8601. */
  ingestionTime: string;
}

type Step = { key: string } | { index: number } | { wildcard: true };

const VARIABLE = /<([A-Za-z0-9_\-.]+)>/g;
const PREDEFINED = new Set([
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event.ingestion-time",
  "aws.events.event",
  "aws.events.event.json",
]);

/**
 * Parses the JSON path subset EventBridge evaluates: `$`, dot notation (`$.detail.a-b_c`),
 * array indices (`$.detail.items[0]`) and wildcards (`$.detail.items[*]`, `$.detail.*`).
 * Returns undefined for anything else.
 */
export function parseJsonPath(path: string): Step[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[\*\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] === "*") steps.push({ wildcard: true });
    else if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else steps.push({ wildcard: true });
  }
  return steps;
}

/** Evaluates a parsed path; undefined when the event has nothing there. */
export function evaluatePath(value: unknown, steps: Step[]): unknown {
  let current: unknown = value;
  for (const [i, step] of steps.entries()) {
    if (current === null || typeof current !== "object") return undefined;
    if ("wildcard" in step) {
      const items = Array.isArray(current) ? current : Object.values(current);
      const rest = steps.slice(i + 1);
      return items.map((item) => evaluatePath(item, rest)).filter((v) => v !== undefined);
    }
    if ("index" in step) {
      if (!Array.isArray(current)) return undefined;
      current = current[step.index];
    } else {
      if (Array.isArray(current)) return undefined;
      current = (current as Record<string, unknown>)[step.key];
    }
  }
  return current;
}

/** Checks a target's input settings as PutTargets does; `id` names the target in messages. */
export function checkInputSpec(id: string, spec: InputSpec): void {
  const given = [spec.Input, spec.InputPath, spec.InputTransformer].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new ValidationError(
      `Target ${id}: only one of Input, InputPath, or InputTransformer can be specified.`,
    );
  }
  if (spec.Input !== undefined && !isJson(spec.Input)) {
    throw new ValidationError(`Target ${id}: Input is not valid JSON text.`);
  }
  if (spec.InputPath !== undefined && !parseJsonPath(spec.InputPath)) {
    throw new ValidationError(`Target ${id}: InputPath ${spec.InputPath} is not a valid JSON path.`);
  }
  const transformer = spec.InputTransformer;
  if (!transformer) return;
  const names = Object.keys(transformer.InputPathsMap ?? {});
  if (names.length > 100) {
    throw new ValidationError(`Target ${id}: InputPathsMap has more than 100 variables.`);
  }
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    if (!/^[A-Za-z0-9_-]+$/.test(name) || name.length > 256) {
      throw new ValidationError(
        `Target ${id}: InputPathsMap key ${name} is not valid: keys are 1 to 256 of [A-Za-z0-9_-].`,
      );
    }
    if (name.toLowerCase().startsWith("aws")) {
      throw new ValidationError(
        `Target ${id}: InputPathsMap key ${name} is reserved: keys cannot start with "AWS".`,
      );
    }
    if (!parseJsonPath(path)) {
      throw new ValidationError(
        `Target ${id}: InputPathsMap value ${path} for key ${name} is not a valid JSON path.`,
      );
    }
  }
  const template = transformer.InputTemplate;
  if (template.length < 1 || template.length > 8192) {
    throw new ValidationError(`Target ${id}: InputTemplate must have 1 to 8192 characters.`);
  }
  const known = new Set([...names, ...PREDEFINED]);
  const trimmed = template.trim();
  // A template that is a JSON object or array must stay JSON once its placeholders are filled.
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const filled = fill(template, (name, quoted) => {
      if (!known.has(name)) return undefined;
      return quoted ? "x" : "null";
    });
    if (!isJson(filled)) {
      throw new ValidationError(
        `Target ${id}: InputTemplate is not valid JSON once its placeholders are filled (a placeholder cannot be an object key).`,
      );
    }
  }
}

/**
 * The text a target receives for an event. Without settings: the event as JSON. `Input`: that
 * text. `InputPath`: the selected part as JSON. `InputTransformer`: the template with each
 * `<variable>` replaced; inside a JSON string a string value goes in without its quotes (escaped,
 * so the result stays JSON) and an object or array goes in as JSON without its inner quotes, as
 * EventBridge does; outside strings a value goes in as JSON. A variable whose path finds nothing
 * becomes `null` outside strings and empty inside them.
 */
export function renderInput(
  event: Record<string, unknown>,
  spec: InputSpec,
  context: TransformContext,
): string {
  if (spec.Input !== undefined) return spec.Input;
  if (spec.InputPath !== undefined) {
    const steps = parseJsonPath(spec.InputPath);
    const value = steps ? evaluatePath(event, steps) : undefined;
    return JSON.stringify(value ?? null);
  }
  const transformer = spec.InputTransformer;
  if (!transformer) return JSON.stringify(event);
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    const steps = parseJsonPath(path);
    values.set(name, steps ? evaluatePath(event, steps) : undefined);
  }
  const predefined = (name: string): unknown => {
    switch (name) {
      case "aws.events.rule-arn":
        return context.ruleArn;
      case "aws.events.rule-name":
        return context.ruleName;
      case "aws.events.event.ingestion-time":
        return context.ingestionTime;
      case "aws.events.event": {
        const { detail: _, ...rest } = event;
        return rest;
      }
      case "aws.events.event.json":
        return event;
    }
    return undefined;
  };
  return fill(transformer.InputTemplate, (name, quoted) => {
    const known = values.has(name) || PREDEFINED.has(name);
    if (!known) return undefined;
    const value = values.has(name) ? values.get(name) : predefined(name);
    if (quoted) {
      if (value === undefined || value === null) return value === null ? "null" : "";
      if (typeof value === "string") return JSON.stringify(value).slice(1, -1);
      if (typeof value === "object") return JSON.stringify(value).replace(/"/g, "");
      return String(value);
    }
    return JSON.stringify(value ?? null);
  });
}

/** Replaces each `<name>` the callback knows; `quoted` tells whether it sits inside a JSON string. */
function fill(template: string, replace: (name: string, quoted: boolean) => string | undefined): string {
  let out = "";
  let quoted = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === "\\" && quoted) {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "<") {
      VARIABLE.lastIndex = i;
      const m = VARIABLE.exec(template);
      if (m && m.index === i) {
        const replacement = replace(m[1]!, quoted);
        if (replacement !== undefined) {
          out += replacement;
          i += m[0].length;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  return out;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
