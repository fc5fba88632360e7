import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import JSON5 from "json5";
import {
  compilePattern,
  InvalidEventPatternError,
  RuleMatcher,
  testEventPattern,
} from "../../src/events/pattern/index.js";
import { parsePattern } from "../../src/events/pattern/pattern-compiler.js";
import { rejection } from "../helpers/sdk.js";
import { type EventsHarness, startEvents } from "./harness.js";

/**
 * The EventBridge pattern conformance corpus (../shared/conformance/eventbridge-patterns, next to
 * the repository; see its README): every LocalStack template and extra case, verified against
 * AWS, run through TestEventPattern twice, in process and through @aws-sdk/client-eventbridge
 * against a running Tollgate; plus the event-ruler files whose outcomes apply to EventBridge's
 * default semantics. CI runs in a clean clone beside shared/, so a missing corpus fails the file.
 */

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CORPUS = resolve(REPO, "../shared/conformance/eventbridge-patterns");
if (!existsSync(join(CORPUS, "expected-outcomes.json"))) {
  throw new Error(`EventBridge conformance corpus not found at ${CORPUS}`);
}

type Outcome = "match" | "no_match" | "exception";

interface TemplateCase {
  file: string;
  expected: Outcome;
  error?: { code: string; message: string; message_raw?: string };
}

interface ExtraCase {
  id: string;
  expected: Outcome;
  event_text?: string;
  event_file?: string;
  pattern_text?: string;
  pattern_file?: string;
  error?: { code: string; message: string };
}

const index = JSON.parse(readFileSync(join(CORPUS, "expected-outcomes.json"), "utf8")) as {
  templates: TemplateCase[];
  extra_cases: ExtraCase[];
  counts: { templates: number; extra_cases: number };
  event_ruler: {
    array_consistency: {
      rules: Record<string, string>;
      expected_matches_not_array_consistent: Record<string, string[]>;
    };
    or_rules: { file: string; expanded_or_branches: number[] };
    invalid_or_rules: { file: string };
    or_as_field_name: { file: string };
    differential: { file: string; count: number };
  };
};

const read = (name: string): string => readFileSync(join(CORPUS, name), "utf8");

/**
 * The pattern as LocalStack sent it (Python's json.dumps: ", " and ": " separators, non-ASCII
 * escaped), so the Jackson locations in AWS's recorded messages line up.
 */
function pythonJson(v: unknown): string {
  if (v === null || typeof v !== "object") {
    const text = JSON.stringify(v);
    return typeof v === "string"
      ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      : text;
  }
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${pythonJson(k)}: ${pythonJson(x)}`)
    .join(", ")}}`;
}

/** The recorded snapshots replace the partition and region in ARNs with placeholders. */
function asRecorded(message: string): string {
  return message.replaceAll("arn:aws:", "arn:<partition>:").replaceAll(":us-east-1:", ":<region>:");
}

function inProcess(pattern: string, event: string): { outcome: Outcome; code?: string; message?: string } {
  try {
    return { outcome: testEventPattern(pattern, event) ? "match" : "no_match" };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { outcome: "exception", code: err.code, message: err.message };
  }
}

/** The event-ruler files carry no envelope; TestEventPattern needs one, so the missing fields are added. */
function withEnvelope(event: Record<string, unknown>): Record<string, unknown> {
  return {
    id: "conformance",
    account: "000000000000",
    source: "conformance",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    "detail-type": "conformance",
    ...event,
  };
}

describe("EventBridge pattern conformance corpus through TestEventPattern", () => {
  let h: EventsHarness;
  before(async () => {
    h = await startEvents();
  });
  after(() => h.close());

  async function viaSdk(pattern: string, event: string) {
    const call = h.operator.send(new TestEventPatternCommand({ EventPattern: pattern, Event: event }));
    const answer = await call.catch(() => null);
    if (answer !== null) return { outcome: (answer.Result ? "match" : "no_match") as Outcome };
    const e = await rejection(call);
    assert.equal(e.status, 400);
    return { outcome: "exception" as Outcome, code: e.name, message: e.message };
  }

  test("the corpus holds the 155 templates and 11 extra cases its README lists", () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith(".json5"));
    assert.equal(files.length, 155);
    assert.equal(index.templates.length, index.counts.templates);
    assert.equal(index.templates.length, 155);
    assert.equal(index.extra_cases.length, 11);
    assert.deepEqual(index.templates.map((t) => t.file).sort(), files.sort());
  });

  for (const t of index.templates) {
    test(`template ${t.file}: ${t.expected}`, async () => {
      const template = JSON5.parse(read(t.file)) as { Event: object; EventPattern: object };
      const pattern = pythonJson(template.EventPattern);
      const event = JSON.stringify(template.Event);
      for (const got of [inProcess(pattern, event), await viaSdk(pattern, event)]) {
        assert.equal(got.outcome, t.expected, got.message);
        if (t.expected === "exception") {
          assert.equal(got.code, t.error!.code);
          assert.equal(got.message!.split("\n")[0], t.error!.message);
          // AWS's full text, Jackson's location included.
          assert.equal(asRecorded(got.message!), t.error!.message_raw ?? t.error!.message);
        }
      }
      if (t.expected !== "exception") {
        // The same answer from the compiled pattern and from a one-rule index.
        const compiled = compilePattern(pattern);
        assert.equal(compiled.matches(template.Event), t.expected === "match");
        const index = new RuleMatcher<string>();
        index.add(t.file, compiled);
        assert.deepEqual(index.match(template.Event), t.expected === "match" ? [t.file] : []);
      }
    });
  }

  for (const c of index.extra_cases) {
    test(`extra case ${c.id}: ${c.expected}${c.pattern_text ? ` (${c.pattern_text.slice(0, 40)})` : ""}`, async () => {
      const pattern = c.pattern_text ?? read(c.pattern_file!);
      const event = c.event_text ?? read(c.event_file!);
      for (const got of [inProcess(pattern, event), await viaSdk(pattern, event)]) {
        assert.equal(got.outcome, c.expected, got.message);
        if (c.expected === "exception") {
          assert.equal(got.code, c.error!.code);
          assert.equal(got.message, c.error!.message);
        }
      }
    });
  }

  describe("event-ruler files, under EventBridge's default (not array-consistent) matching", () => {
    const er = index.event_ruler;

    test("array rules match the events as the flattening matcher does (fields of different array elements combine)", async () => {
      const matcher = new RuleMatcher<string>();
      const rules = Object.entries(er.array_consistency.rules).map(([name, file]) => ({
        name,
        text: read(file),
      }));
      for (const r of rules) matcher.add(r.name, compilePattern(r.text));
      for (const [file, expected] of Object.entries(
        er.array_consistency.expected_matches_not_array_consistent,
      )) {
        const event = JSON.parse(read(file)) as Record<string, unknown>;
        assert.deepEqual(matcher.match(event).sort(), [...expected].sort(), file);
        for (const r of rules) {
          const want = expected.includes(r.name);
          assert.equal(compilePattern(r.text).matches(event), want, `${r.name} on ${file}`);
          const sdk = await viaSdk(r.text, JSON.stringify(withEnvelope(event)));
          assert.equal(sdk.outcome, want ? "match" : "no_match", `${r.name} on ${file} through the SDK`);
        }
      }
    });

    test("valid $or rules are accepted and expand into the branch counts event-ruler gives", async () => {
      const rules = JSON.parse(read(er.or_rules.file)) as object[];
      assert.deepEqual(
        rules.map((r) => parsePattern(JSON.stringify(r)).branches.length),
        er.or_rules.expanded_or_branches,
      );
      for (const r of rules) {
        const sdk = await viaSdk(JSON.stringify(r), JSON.stringify(withEnvelope({})));
        assert.equal(sdk.outcome, "no_match");
      }
    });

    test("$or with fewer than two objects or a non-object is refused with event-ruler's message", async () => {
      const rules = JSON.parse(read(er.invalid_or_rules.file)) as object[];
      const reasons = [
        "There must have at least 2 Objects in $or relationship.",
        "Only JSON object is allowed in array of $or relationship.",
      ];
      assert.equal(rules.length, reasons.length);
      for (const [i, r] of rules.entries()) {
        const text = JSON.stringify(r);
        assert.throws(() => compilePattern(text), InvalidEventPatternError);
        const sdk = await viaSdk(text, JSON.stringify(withEnvelope({})));
        assert.equal(sdk.code, "InvalidEventPatternException");
        assert.ok(sdk.message!.startsWith(`Event pattern is not valid. Reason: ${reasons[i]}`), sdk.message);
      }
    });

    test('"$or" used as a field name is refused, as by event-ruler\'s JsonRuleCompiler (the $or-aware compiler)', async () => {
      const rules = JSON.parse(read(er.or_as_field_name.file)) as object[];
      assert.equal(rules.length, 4);
      for (const r of rules) {
        const sdk = await viaSdk(JSON.stringify(r), JSON.stringify(withEnvelope({})));
        assert.equal(sdk.code, "InvalidEventPatternException", JSON.stringify(r));
      }
    });

    test("the 51 differential cases agree across the compiled pattern, the index, TestEventPattern and a naive reference", async () => {
      const cases = JSON.parse(read(er.differential.file)) as { name: string; rule: object; event: object }[];
      assert.equal(cases.length, er.differential.count);
      for (const c of cases) {
        const text = JSON.stringify(c.rule);
        const want = referenceMatch(c.rule, c.event);
        assert.equal(compilePattern(text).matches(c.event), want, c.name);
        const matcher = new RuleMatcher<string>();
        matcher.add(c.name, compilePattern(text));
        assert.deepEqual(matcher.match(c.event), want ? [c.name] : [], c.name);
        const sdk = await viaSdk(text, JSON.stringify(withEnvelope(c.event as Record<string, unknown>)));
        assert.equal(sdk.outcome, want ? "match" : "no_match", c.name);
      }
      // Where array-consistent matching would refuse (fields split over elements), EventBridge matches.
      const split = cases.filter((c) => c.name === "objarray: split" || c.name === "nested: inner split");
      for (const c of split)
        assert.equal(compilePattern(JSON.stringify(c.rule)).matches(c.event), true, c.name);
    });
  });
});

/**
 * A deliberately naive reference for the differential cases: flatten the event into path →
 * values (arrays crushed, as EventBridge does), then test each field with the few operators these
 * cases use.
 */
function referenceMatch(rule: object, event: object): boolean {
  const values = new Map<string, unknown[]>();
  const flatten = (v: unknown, path: string): void => {
    if (Array.isArray(v)) for (const x of v) flatten(x, path);
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) flatten(x, path === "" ? k : `${path}.${k}`);
    } else {
      const list = values.get(path) ?? [];
      list.push(v);
      values.set(path, list);
    }
  };
  flatten(event, "");
  const fields: [string, unknown[]][] = [];
  const collect = (r: object, path: string): void => {
    for (const [k, x] of Object.entries(r)) {
      const p = path === "" ? k : `${path}.${k}`;
      if (Array.isArray(x)) fields.push([p, x]);
      else collect(x as object, p);
    }
  };
  collect(rule, "");
  return fields.every(([path, allowed]) => {
    const present = values.get(path) ?? [];
    return allowed.some((a) => {
      if (a === null || typeof a !== "object") return present.includes(a);
      const [op, arg] = Object.entries(a)[0]!;
      if (op === "exists") return arg === present.length > 0;
      return present.some((v) => {
        if (op === "prefix") return typeof v === "string" && v.startsWith(arg as string);
        if (op === "suffix") return typeof v === "string" && v.endsWith(arg as string);
        if (op === "anything-but") return v !== arg;
        if (op === "numeric") {
          const [o1, n1, o2, n2] = arg as [string, number, string, number];
          const cmp = (o: string, n: number) => (o === ">" ? (v as number) > n : (v as number) < n);
          return typeof v === "number" && cmp(o1, n1) && cmp(o2, n2);
        }
        throw new Error(`reference does not know ${op}`);
      });
    });
  });
}
