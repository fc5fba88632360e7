import { PathTrie, type ValueVisitor } from "./path-trie.js";
import { type ParsedPattern, parsePattern } from "./pattern-compiler.js";
import { allowsAbsence, anyOf, type EventValue } from "./value-matcher.js";

/** A compiled pattern. */
export interface EventPattern {
  /** True when the event (a parsed JSON object) matches the pattern. */
  matches(event: unknown): boolean;
  /** the pattern text as given */
  readonly text: string;
}

/** A field condition of one branch, compiled to one predicate over a value. */
interface Condition {
  readonly field: number;
  /** any of the value list's matchers (exists:false aside) holds for the value */
  readonly test: (v: EventValue) => boolean;
  /** the value list has exists:false, so the condition also holds when the field is absent */
  readonly absentOk: boolean;
  /** match() call in which the condition was last satisfied */
  stamp: number;
}

/**
 * One pattern compiled once into a path trie and per-condition predicates. matches() walks only
 * the event's parts the pattern names, then checks the branches; it allocates nothing.
 */
export class CompiledPattern implements EventPattern, ValueVisitor {
  private readonly trie = new PathTrie();
  /** conditions per field slot */
  private readonly byField: Condition[][] = [];
  private readonly branches: Condition[][];
  /** per field slot: match() call that saw a value there */
  private readonly present: number[] = [];
  private epoch = 0;

  constructor(
    readonly text: string,
    /** the validated pattern, shared with RuleMatcher */
    readonly parsed: ParsedPattern,
  ) {
    const slots = new Map<string, number>();
    this.branches = parsed.branches.map((branch) =>
      [...branch].map(([path, matchers]) => {
        let field = slots.get(path);
        if (field === undefined) {
          field = slots.size;
          slots.set(path, field);
          this.trie.add(path).field = field;
          this.byField.push([]);
          this.present.push(0);
        }
        const absentOk = allowsAbsence(matchers);
        const cond: Condition = { field, test: anyOf(matchers), absentOk, stamp: 0 };
        this.byField[field]!.push(cond);
        return cond;
      }),
    );
  }

  matches(event: unknown): boolean {
    const epoch = ++this.epoch;
    this.trie.walk(event, this);
    const present = this.present;
    for (const branch of this.branches) {
      let ok = true;
      for (let i = 0; i < branch.length; i++) {
        const c = branch[i]!;
        if (c.stamp === epoch) continue;
        if (c.absentOk && present[c.field] !== epoch) continue;
        ok = false;
        break;
      }
      if (ok) return true;
    }
    return false;
  }

  /** @internal trie walk callback */
  visit(field: number, value: EventValue): void {
    const epoch = this.epoch;
    this.present[field] = epoch;
    const conds = this.byField[field]!;
    for (let i = 0; i < conds.length; i++) {
      const c = conds[i]!;
      if (c.stamp !== epoch && c.test(value)) c.stamp = epoch;
    }
  }
}

/** Parses, validates and compiles a pattern given as JSON text (as PutRule/TestEventPattern receive it). Throws InvalidEventPatternError. */
export function compilePattern(text: string): EventPattern {
  return new CompiledPattern(text, parsePattern(text));
}
