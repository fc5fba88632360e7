import { foldKey, foldUnit, isIndexable } from "./case-folding.js";
import { comparableKey } from "./comparable-number.js";
import { CompiledPattern, type EventPattern } from "./event-pattern.js";
import { ipKey, looksLikeIp } from "./ip-address.js";
import { PathTrie, type ValueVisitor } from "./path-trie.js";
import { type Branch, parsePattern } from "./pattern-compiler.js";
import { allowsAbsence, anyOf, type EventValue, type ValueMatcher, valuePredicate } from "./value-matcher.js";
import { matchWildcard, type Wildcard } from "./wildcard.js";

/**
 * Many rules compiled into one index. Each match branch of each rule is filed under one "gate":
 * two exact conditions together when the branch has them (typically source and detail-type, in a
 * table keyed by both values), otherwise its most selective condition (an exact value before a
 * prefix, a prefix before a range, a range before exists or anything-but; among exact values the
 * one fewest other branches share). Every field path any rule names has value indexes for the
 * gates on it: hash maps for exact strings, numbers, literals and IP addresses; character tries
 * for prefixes, suffixes, case-insensitive values and the literal start of wildcards; short lists
 * for ranges and the rest.
 *
 * Matching walks the event once along the known paths, collecting each field's values and looking
 * them up in the gate indexes. Only branches whose gate fired are then checked, condition by
 * condition, against the collected values (exists:false holds when a field has no value). So the
 * work grows with the event's values and the branches sharing its selective values, not with the
 * number of rules.
 */

class RuleState<Id> {
  stamp = 0;
  readonly branches: BranchState<Id>[] = [];
  constructor(readonly id: Id) {}
}

/** A branch condition checked against the collected values once the gate fired. */
interface OtherCond<Id> {
  readonly field: FieldIndex<Id>;
  readonly test: (v: EventValue) => boolean;
  /** the value list has exists:false: the condition also holds when the field has no value */
  readonly absentOk: boolean;
}

class BranchState<Id> {
  /** match() call in which the branch became a candidate */
  stamp = 0;
  /** the indexed condition, or null when every condition allows absence */
  gate: CondState<Id> | null = null;
  /** set when the branch is filed under two exact conditions at once */
  pair: PairGate<Id> | null = null;
  others: OtherCond<Id>[] = [];
  constructor(readonly rule: RuleState<Id>) {}
}

/**
 * Exact values as Map keys: strings as themselves, comparable numbers as their key, true, false
 * and null as themselves (all distinct under SameValueZero). Numbers outside ±5e9 and strings
 * shaped like IP addresses have other equality rules and are never paired.
 */
type ExactKey = string | number | boolean | null;

function exactKey(m: ValueMatcher): ExactKey | undefined {
  if (m.kind === "string") return m.value;
  if (m.kind === "number") return Number.isNaN(m.key) ? undefined : m.key;
  if (m.kind === "literal") return m.value;
  return undefined;
}

function eventKey(v: EventValue): ExactKey {
  return typeof v === "number" ? comparableKey(v) : v;
}

/** Branches filed under the combination of exact values of two fields. */
class PairTable<Id> {
  refs = 0;
  readonly map = new Map<ExactKey, Map<ExactKey, CondState<Id>[]>>();
  constructor(
    readonly id: string,
    readonly first: FieldIndex<Id>,
    readonly second: FieldIndex<Id>,
  ) {}
}

interface PairGate<Id> {
  readonly table: PairTable<Id>;
  readonly firstKeys: readonly ExactKey[];
  readonly secondKeys: readonly ExactKey[];
}

/** Combinations of a pair gate are the product of both value lists; beyond this, gate on one. */
const MAX_PAIR_COMBINATIONS = 16;

/** A gate: the indexed condition of one branch. */
class CondState<Id> {
  constructor(
    readonly branch: BranchState<Id>,
    readonly field: FieldIndex<Id>,
  ) {}
}

/** Something a value is checked against directly (no index applies). */
interface Check<Id> {
  readonly cond: CondState<Id>;
  readonly test: (v: EventValue) => boolean;
}

interface WildcardEntry<Id> {
  readonly cond: CondState<Id>;
  readonly wildcard: Wildcard;
}

interface FoldedEntry<Id> {
  readonly cond: CondState<Id>;
  readonly test: (v: EventValue) => boolean;
}

/** A trie over UTF-16 code units; entries live at the node their key ends at. */
class CharNode<E> {
  next: Map<number, CharNode<E>> | null = null;
  entries: E[] | null = null;
  /** entries that also require the value to end here (equals-ignore-case) */
  exact: E[] | null = null;
}

function trieInsert<E>(root: CharNode<E>, key: string, reverse: boolean, entry: E, exact: boolean): void {
  let node = root;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(reverse ? key.length - 1 - i : i);
    if (node.next === null) node.next = new Map();
    let child = node.next.get(code);
    if (child === undefined) {
      child = new CharNode<E>();
      node.next.set(code, child);
    }
    node = child;
  }
  if (exact) {
    if (node.exact === null) node.exact = [];
    node.exact.push(entry);
  } else {
    if (node.entries === null) node.entries = [];
    node.entries.push(entry);
  }
}

/** Removes every entry `drop` selects under `key`, pruning empty nodes. */
function trieRemove<E>(root: CharNode<E>, key: string, reverse: boolean, drop: (e: E) => boolean): void {
  const path: CharNode<E>[] = [root];
  let node = root;
  for (let i = 0; i < key.length; i++) {
    const child = node.next?.get(key.charCodeAt(reverse ? key.length - 1 - i : i));
    if (child === undefined) return;
    node = child;
    path.push(node);
  }
  if (node.entries !== null) {
    node.entries = node.entries.filter((e) => !drop(e));
    if (node.entries.length === 0) node.entries = null;
  }
  if (node.exact !== null) {
    node.exact = node.exact.filter((e) => !drop(e));
    if (node.exact.length === 0) node.exact = null;
  }
  for (let i = path.length - 1; i > 0; i--) {
    const n = path[i]!;
    if (n.entries !== null || n.exact !== null || n.next !== null) break;
    const parent = path[i - 1]!;
    parent.next!.delete(key.charCodeAt(reverse ? key.length - i : i - 1));
    if (parent.next!.size === 0) parent.next = null;
  }
}

function pushTo<K, E>(map: Map<K, E[]>, key: K, entry: E): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

function removeFrom<K, E>(map: Map<K, E[]>, key: K, drop: (e: E) => boolean): void {
  const list = map.get(key);
  if (list === undefined) return;
  const kept = list.filter((e) => !drop(e));
  if (kept.length === 0) map.delete(key);
  else map.set(key, kept);
}

/** The value indexes of one field path. */
class FieldIndex<Id> {
  /** conditions using this field */
  refs = 0;
  /** pair tables whose first field this is */
  pairs: PairTable<Id>[] = [];
  /** match() call that saw a value here; `values` are that call's */
  stamp = 0;
  readonly values: EventValue[] = [];
  readonly strings = new Map<string, CondState<Id>[]>();
  readonly ips = new Map<string, CondState<Id>[]>();
  readonly numbers = new Map<number, CondState<Id>[]>();
  /** exact numbers outside the comparable range, by value */
  readonly rawNumbers = new Map<number, CondState<Id>[]>();
  trues: CondState<Id>[] = [];
  falses: CondState<Id>[] = [];
  nulls: CondState<Id>[] = [];
  /** exists:true */
  any: CondState<Id>[] = [];
  readonly prefixes = new CharNode<CondState<Id>>();
  readonly suffixes = new CharNode<CondState<Id>>();
  /** wildcards, by their literal text before the first star */
  readonly wildcards = new CharNode<WildcardEntry<Id>>();
  /** equals-ignore-case (exact) and prefix-ignore-case, by folded text */
  readonly folded = new CharNode<FoldedEntry<Id>>();
  readonly foldedSuffixes = new CharNode<FoldedEntry<Id>>();
  /** per-value checks: ranges, anything-but, CIDR, case-insensitive texts no index covers */
  numberChecks: Check<Id>[] = [];
  stringChecks: Check<Id>[] = [];
  otherChecks: Check<Id>[] = [];
  /** some entry needs the value's IP form */
  ipChecks: Check<Id>[] = [];
  hasFolded = false;

  constructor(
    readonly path: string,
    readonly slot: number,
  ) {}

  insert(m: ValueMatcher, cond: CondState<Id>): void {
    switch (m.kind) {
      case "string":
        pushTo(this.strings, m.value, cond);
        return;
      case "ip":
        pushTo(this.ips, m.key, cond);
        return;
      case "number":
        if (Number.isNaN(m.key)) pushTo(this.rawNumbers, m.value, cond);
        else pushTo(this.numbers, m.key, cond);
        return;
      case "literal":
        if (m.value === true) this.trues.push(cond);
        else if (m.value === false) this.falses.push(cond);
        else this.nulls.push(cond);
        return;
      case "prefix":
        trieInsert(this.prefixes, m.value, false, cond, false);
        return;
      case "suffix":
        trieInsert(this.suffixes, m.value, true, cond, false);
        return;
      case "wildcard":
        trieInsert(this.wildcards, m.wildcard.pieces[0]!, false, { cond, wildcard: m.wildcard }, false);
        return;
      case "equals-ignore-case":
      case "prefix-ignore-case":
      case "suffix-ignore-case": {
        const test = valuePredicate(m);
        if (!isIndexable(m.value)) {
          this.stringChecks.push({ cond, test });
          return;
        }
        const entry = { cond, test };
        this.hasFolded = true;
        if (m.kind === "suffix-ignore-case")
          trieInsert(this.foldedSuffixes, foldKey(m.value), true, entry, false);
        else trieInsert(this.folded, foldKey(m.value), false, entry, m.kind === "equals-ignore-case");
        return;
      }
      case "numeric":
        this.numberChecks.push({ cond, test: valuePredicate(m) });
        return;
      case "cidr":
        this.ipChecks.push({ cond, test: valuePredicate(m) });
        return;
      case "anything-but":
      case "anything-but-prefix":
      case "anything-but-suffix":
      case "anything-but-ignore-case":
      case "anything-but-wildcard": {
        // anything-but holds for (almost) every value, so checking each is output-bound work.
        const check = { cond, test: valuePredicate(m) };
        this.numberChecks.push(check);
        this.stringChecks.push(check);
        this.otherChecks.push(check);
        return;
      }
      case "exists":
        if (m.value) this.any.push(cond);
        return;
    }
  }

  remove(m: ValueMatcher, cond: CondState<Id>): void {
    const same = (c: CondState<Id>): boolean => c === cond;
    const sameEntry = (e: { cond: CondState<Id> }): boolean => e.cond === cond;
    switch (m.kind) {
      case "string":
        removeFrom(this.strings, m.value, same);
        return;
      case "ip":
        removeFrom(this.ips, m.key, same);
        return;
      case "number":
        if (Number.isNaN(m.key)) removeFrom(this.rawNumbers, m.value, same);
        else removeFrom(this.numbers, m.key, same);
        return;
      case "literal":
        if (m.value === true) this.trues = this.trues.filter((c) => c !== cond);
        else if (m.value === false) this.falses = this.falses.filter((c) => c !== cond);
        else this.nulls = this.nulls.filter((c) => c !== cond);
        return;
      case "prefix":
        trieRemove(this.prefixes, m.value, false, same);
        return;
      case "suffix":
        trieRemove(this.suffixes, m.value, true, same);
        return;
      case "wildcard":
        trieRemove(this.wildcards, m.wildcard.pieces[0]!, false, sameEntry);
        return;
      case "equals-ignore-case":
      case "prefix-ignore-case":
      case "suffix-ignore-case":
        if (!isIndexable(m.value)) {
          this.stringChecks = this.stringChecks.filter(sameEntryNot(cond));
        } else if (m.kind === "suffix-ignore-case") {
          trieRemove(this.foldedSuffixes, foldKey(m.value), true, sameEntry);
        } else {
          trieRemove(this.folded, foldKey(m.value), false, sameEntry);
        }
        return;
      case "numeric":
        this.numberChecks = this.numberChecks.filter(sameEntryNot(cond));
        return;
      case "cidr":
        this.ipChecks = this.ipChecks.filter(sameEntryNot(cond));
        return;
      case "anything-but":
      case "anything-but-prefix":
      case "anything-but-suffix":
      case "anything-but-ignore-case":
      case "anything-but-wildcard":
        this.numberChecks = this.numberChecks.filter(sameEntryNot(cond));
        this.stringChecks = this.stringChecks.filter(sameEntryNot(cond));
        this.otherChecks = this.otherChecks.filter(sameEntryNot(cond));
        return;
      case "exists":
        if (m.value) this.any = this.any.filter((c) => c !== cond);
        return;
    }
  }
}

function sameEntryNot<Id>(cond: CondState<Id>): (e: { cond: CondState<Id> }) => boolean {
  return (e) => e.cond !== cond;
}

/**
 * Two fields whose conditions are exact values only (the common `source` + `detail-type`), in a
 * fixed order so that rules naming the same two fields share a table; null when the branch has
 * fewer than two such conditions.
 */
function choosePair(branch: Branch): readonly [string, string] | null {
  const exact: [string, number][] = [];
  for (const [path, matchers] of branch) {
    if (matchers.length <= 4 && matchers.every((m) => exactKey(m) !== undefined)) {
      exact.push([path, matchers.length]);
    }
  }
  if (exact.length < 2) return null;
  exact.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  const [a, b] = [exact[0]!, exact[1]!];
  if (a[1] * b[1] > MAX_PAIR_COMBINATIONS) return null;
  return a[0] < b[0] ? [a[0], b[0]] : [b[0], a[0]];
}

/** How broad a matcher is, for choosing gates: 0 exact, 1 affix, 2 range, 3 anything. */
function breadth(m: ValueMatcher): number {
  switch (m.kind) {
    case "string":
    case "ip":
    case "number":
    case "literal":
      return 0;
    case "prefix":
    case "suffix":
    case "prefix-ignore-case":
    case "suffix-ignore-case":
    case "equals-ignore-case":
      return m.value.length > 0 ? 1 : 3;
    case "wildcard":
      return m.wildcard.pieces[0]!.length > 0 ? 1 : 3;
    case "numeric":
    case "cidr":
      return 2;
    default:
      return 3;
  }
}

/** Many rules compiled together: match(event) returns the ids of every rule whose pattern matches. add/remove are incremental. */
export class RuleMatcher<Id> implements ValueVisitor {
  private readonly rules = new Map<Id, { state: RuleState<Id>; pattern: CompiledPattern }>();
  private readonly trie = new PathTrie();
  private readonly fields = new Map<string, FieldIndex<Id>>();
  private readonly fieldSlots: (FieldIndex<Id> | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly pairTables = new Map<string, PairTable<Id>>();
  /** branches whose conditions all allow absence: checked on every event */
  private ungated: BranchState<Id>[] = [];
  private epoch = 0;
  // per-match scratch, reused
  private readonly candidates: BranchState<Id>[] = [];
  private readonly touched: FieldIndex<Id>[] = [];

  /** Number of rules. */
  get size(): number {
    return this.rules.size;
  }

  /** Adds a rule (replacing one with the same id). */
  add(id: Id, pattern: EventPattern): void {
    if (this.rules.has(id)) this.remove(id);
    const compiled =
      pattern instanceof CompiledPattern
        ? pattern
        : new CompiledPattern(pattern.text, parsePattern(pattern.text));
    const rule = new RuleState(id);
    for (const branch of compiled.parsed.branches) {
      const b = new BranchState(rule);
      const pair = choosePair(branch);
      const gatePath = pair === null ? this.chooseGate(branch) : null;
      for (const [path, matchers] of branch) {
        const field = this.fieldFor(path);
        field.refs++;
        if (pair !== null && (path === pair[0] || path === pair[1])) continue;
        if (path === gatePath) {
          const gate = new CondState(b, field);
          for (const m of matchers) field.insert(m, gate);
          b.gate = gate;
        } else {
          const absentOk = allowsAbsence(matchers);
          b.others.push({ field, test: anyOf(matchers), absentOk });
        }
      }
      if (pair !== null) this.filePair(b, branch, pair);
      // Cheap checks first: exact values fail fastest.
      b.others.sort((x, y) => Number(x.absentOk) - Number(y.absentOk));
      if (b.gate === null) this.ungated.push(b);
      rule.branches.push(b);
    }
    this.rules.set(id, { state: rule, pattern: compiled });
  }

  /** Removes a rule; unknown ids are ignored. */
  remove(id: Id): void {
    const entry = this.rules.get(id);
    if (entry === undefined) return;
    this.rules.delete(id);
    const { state, pattern } = entry;
    pattern.parsed.branches.forEach((branch, i) => {
      const b = state.branches[i]!;
      if (b.pair !== null) this.unfilePair(b, b.pair);
      for (const [path, matchers] of branch) {
        const field = this.fields.get(path)!;
        if (b.gate !== null && b.pair === null && b.gate.field === field) {
          for (const m of matchers) field.remove(m, b.gate);
        }
        if (--field.refs === 0) this.dropField(field);
      }
    });
    if (state.branches.some((b) => b.gate === null)) {
      this.ungated = this.ungated.filter((b) => b.rule !== state);
    }
  }

  /** The ids of every rule whose pattern matches the event (a parsed JSON object), each once. */
  match(event: unknown): Id[] {
    const epoch = ++this.epoch;
    const candidates = this.candidates;
    candidates.length = 0;
    this.touched.length = 0;
    this.trie.walk(event, this);
    for (let i = 0; i < this.touched.length; i++) {
      const pairs = this.touched[i]!.pairs;
      for (let j = 0; j < pairs.length; j++) this.lookupPair(pairs[j]!, epoch);
    }
    const out: Id[] = [];
    for (let i = 0; i < candidates.length; i++) this.verify(candidates[i]!, epoch, out);
    for (let i = 0; i < this.ungated.length; i++) this.verify(this.ungated[i]!, epoch, out);
    return out;
  }

  /** Checks a candidate branch's other conditions against the values collected for this event. */
  private verify(b: BranchState<Id>, epoch: number, out: Id[]): void {
    const rule = b.rule;
    if (rule.stamp === epoch) return;
    const others = b.others;
    for (let i = 0; i < others.length; i++) {
      const o = others[i]!;
      const f = o.field;
      if (f.stamp !== epoch) {
        if (o.absentOk) continue;
        return;
      }
      const values = f.values;
      let ok = false;
      for (let j = 0; j < values.length; j++) {
        if (o.test(values[j]!)) {
          ok = true;
          break;
        }
      }
      if (!ok) return;
    }
    rule.stamp = epoch;
    out.push(rule.id);
  }

  /** Hits the branches filed under any combination of the two fields' values in this event. */
  private lookupPair(table: PairTable<Id>, epoch: number): void {
    const second = table.second;
    if (second.stamp !== epoch) return;
    const firstValues = table.first.values;
    const secondValues = second.values;
    for (let i = 0; i < firstValues.length; i++) {
      const inner = table.map.get(eventKey(firstValues[i]!));
      if (inner === undefined) continue;
      for (let j = 0; j < secondValues.length; j++) this.hitAll(inner.get(eventKey(secondValues[j]!)));
    }
  }

  private filePair(b: BranchState<Id>, branch: Branch, pair: readonly [string, string]): void {
    const id = `${pair[0]}\u0000${pair[1]}`;
    let table = this.pairTables.get(id);
    if (table === undefined) {
      table = new PairTable(id, this.fields.get(pair[0])!, this.fields.get(pair[1])!);
      this.pairTables.set(id, table);
      table.first.pairs.push(table);
    }
    table.refs++;
    const keys = (path: string) => branch.get(path)!.map((m) => exactKey(m)!);
    const gate: PairGate<Id> = { table, firstKeys: keys(pair[0]), secondKeys: keys(pair[1]) };
    const cond = new CondState(b, table.first);
    for (const k1 of gate.firstKeys) {
      let inner = table.map.get(k1);
      if (inner === undefined) {
        inner = new Map();
        table.map.set(k1, inner);
      }
      for (const k2 of gate.secondKeys) pushTo(inner, k2, cond);
    }
    b.gate = cond;
    b.pair = gate;
  }

  private unfilePair(b: BranchState<Id>, gate: PairGate<Id>): void {
    const table = gate.table;
    for (const k1 of gate.firstKeys) {
      const inner = table.map.get(k1);
      if (inner === undefined) continue;
      for (const k2 of gate.secondKeys) removeFrom(inner, k2, (c) => c.branch === b);
      if (inner.size === 0) table.map.delete(k1);
    }
    if (--table.refs === 0) {
      this.pairTables.delete(table.id);
      table.first.pairs = table.first.pairs.filter((t) => t !== table);
    }
  }

  /**
   * The path of the branch's most selective condition: the narrowest matcher kinds, then (for
   * exact values) the fewest branches already filed under the same values. Conditions with
   * exists:false never gate. Returns null when every condition has exists:false.
   */
  private chooseGate(branch: ReadonlyMap<string, readonly ValueMatcher[]>): string | null {
    let best: string | null = null;
    let bestBreadth = Number.POSITIVE_INFINITY;
    let bestShare = Number.POSITIVE_INFINITY;
    for (const [path, matchers] of branch) {
      if (allowsAbsence(matchers)) continue;
      const b = Math.max(...matchers.map(breadth));
      const share = b === 0 ? this.sharing(path, matchers) : matchers.length;
      if (b < bestBreadth || (b === bestBreadth && share < bestShare)) {
        best = path;
        bestBreadth = b;
        bestShare = share;
      }
    }
    return best;
  }

  /** How many gates already sit under the same exact values of a field. */
  private sharing(path: string, matchers: readonly ValueMatcher[]): number {
    const f = this.fields.get(path);
    let n = matchers.length;
    if (f === undefined) return n;
    for (const m of matchers) {
      if (m.kind === "string") n += f.strings.get(m.value)?.length ?? 0;
      else if (m.kind === "number")
        n += (Number.isNaN(m.key) ? f.rawNumbers.get(m.value) : f.numbers.get(m.key))?.length ?? 0;
      else if (m.kind === "ip") n += f.ips.get(m.key)?.length ?? 0;
      else if (m.kind === "literal")
        n += (m.value === true ? f.trues : m.value === false ? f.falses : f.nulls).length;
    }
    return n;
  }

  private fieldFor(path: string): FieldIndex<Id> {
    let field = this.fields.get(path);
    if (field === undefined) {
      const slot = this.freeSlots.pop() ?? this.fieldSlots.length;
      field = new FieldIndex<Id>(path, slot);
      this.fields.set(path, field);
      this.fieldSlots[slot] = field;
      this.trie.add(path).field = slot;
    }
    return field;
  }

  private dropField(field: FieldIndex<Id>): void {
    this.fields.delete(field.path);
    this.fieldSlots[field.slot] = undefined;
    this.freeSlots.push(field.slot);
    const node = this.findNode(field.path);
    if (node !== undefined) node.field = -1;
    this.trie.remove(field.path);
  }

  private findNode(path: string) {
    let node = this.trie.root;
    for (const seg of path.split(".")) {
      const next = node.children?.get(seg);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private hit(cond: CondState<Id>): void {
    const b = cond.branch;
    if (b.stamp === this.epoch) return;
    b.stamp = this.epoch;
    this.candidates.push(b);
  }

  private hitAll(conds: readonly CondState<Id>[] | undefined | null): void {
    if (conds == null) return;
    for (let i = 0; i < conds.length; i++) this.hit(conds[i]!);
  }

  private runChecks(checks: readonly Check<Id>[], v: EventValue): void {
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      if (c.cond.branch.stamp !== this.epoch && c.test(v)) this.hit(c.cond);
    }
  }

  /** @internal trie walk callback: one value at a field */
  visit(slot: number, v: EventValue): void {
    const f = this.fieldSlots[slot]!;
    if (f.stamp !== this.epoch) {
      f.stamp = this.epoch;
      f.values.length = 0;
      if (f.pairs.length > 0) this.touched.push(f);
    }
    f.values.push(v);
    this.hitAll(f.any);
    if (typeof v === "string") this.visitString(f, v);
    else if (typeof v === "number") this.visitNumber(f, v);
    else {
      this.hitAll(v === true ? f.trues : v === false ? f.falses : f.nulls);
      if (f.otherChecks.length > 0) this.runChecks(f.otherChecks, v);
    }
  }

  private visitNumber(f: FieldIndex<Id>, v: number): void {
    const key = comparableKey(v);
    if (Number.isNaN(key)) {
      if (f.rawNumbers.size > 0) this.hitAll(f.rawNumbers.get(v));
    } else if (f.numbers.size > 0) {
      this.hitAll(f.numbers.get(key));
    }
    if (f.numberChecks.length > 0) this.runChecks(f.numberChecks, v);
  }

  private visitString(f: FieldIndex<Id>, v: string): void {
    if (f.strings.size > 0) this.hitAll(f.strings.get(v));
    if ((f.ips.size > 0 || f.ipChecks.length > 0) && looksLikeIp(v)) {
      const key = ipKey(v);
      if (key !== null) {
        this.hitAll(f.ips.get(key));
        this.runChecks(f.ipChecks, v);
      }
    }
    // prefixes: every node on the value's path through the trie
    let node: CharNode<CondState<Id>> | undefined = f.prefixes;
    for (let i = 0; node !== undefined; i++) {
      this.hitAll(node.entries);
      if (i === v.length || node.next === null) break;
      node = node.next.get(v.charCodeAt(i));
    }
    node = f.suffixes;
    for (let i = v.length - 1; node !== undefined; i--) {
      this.hitAll(node.entries);
      if (i < 0 || node.next === null) break;
      node = node.next.get(v.charCodeAt(i));
    }
    let wild: CharNode<WildcardEntry<Id>> | undefined = f.wildcards;
    for (let i = 0; wild !== undefined; i++) {
      const entries = wild.entries;
      if (entries !== null) {
        for (const e of entries) {
          if (e.cond.branch.stamp !== this.epoch && matchWildcard(e.wildcard, v)) this.hit(e.cond);
        }
      }
      if (i === v.length || wild.next === null) break;
      wild = wild.next.get(v.charCodeAt(i));
    }
    if (f.hasFolded) this.visitFolded(f, v);
    if (f.stringChecks.length > 0) this.runChecks(f.stringChecks, v);
  }

  /** Case-insensitive candidates from the folded tries, confirmed by the exact rule. */
  private visitFolded(f: FieldIndex<Id>, v: string): void {
    let node: CharNode<FoldedEntry<Id>> | undefined = f.folded;
    for (let i = 0; node !== undefined; i++) {
      if (node.entries !== null) this.confirm(node.entries, v);
      if (i === v.length) {
        if (node.exact !== null) this.confirm(node.exact, v);
        break;
      }
      if (node.next === null) break;
      node = node.next.get(foldUnit(v.charCodeAt(i)));
    }
    node = f.foldedSuffixes;
    for (let i = v.length - 1; node !== undefined; i--) {
      if (node.entries !== null) this.confirm(node.entries, v);
      if (i < 0 || node.next === null) break;
      node = node.next.get(foldUnit(v.charCodeAt(i)));
    }
  }

  private confirm(entries: readonly FoldedEntry<Id>[], v: string): void {
    for (const e of entries) if (e.cond.branch.stamp !== this.epoch && e.test(v)) this.hit(e.cond);
  }
}
