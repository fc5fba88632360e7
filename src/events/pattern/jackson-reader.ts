/**
 * A pull reader over JSON text that behaves like the Jackson streaming parser EventBridge runs
 * its patterns through: the same token order, the same error messages, and the same "current
 * location" (line and column after the last consumed character), so InvalidEventPatternException
 * texts come out as AWS writes them, including the `at [Source: ...]` suffix.
 *
 * Two Jackson habits matter for locations and are kept on purpose:
 * - string values are read lazily: after `next()` returns `Str` only the opening quote is
 *   consumed; `text()` consumes the rest (and `next()` skips it);
 * - after a field name and its colon, the start of the value is read at once (a whole number or
 *   literal, or the opening quote/bracket), so the location of a FieldName token lies past it.
 */

/** Token kinds, as Jackson's JsonToken. `End` is the end of input (Jackson's null token). */
export enum Tok {
  StartObject = 0,
  EndObject = 1,
  StartArray = 2,
  EndArray = 3,
  FieldName = 4,
  Str = 5,
  Int = 6,
  Float = 7,
  True = 8,
  False = 9,
  Null = 10,
  End = 11,
}

/** A JSON syntax or pattern error; `reason` is Jackson's getMessage() (text plus location). */
export class PatternSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "PatternSyntaxError";
  }
}

enum Ctx {
  Root = 0,
  Object = 1,
  Array = 2,
}

interface Context {
  readonly type: Ctx;
  /** values/entries seen so far; Jackson's "expect comma" state */
  count: number;
  readonly line: number;
  readonly column: number;
}

/** Jackson cuts the source excerpt in locations at this many characters. */
const MAX_SOURCE_SNIPPET = 500;
/** Nesting deeper than this is refused (Jackson's StreamReadConstraints default). */
const MAX_NESTING_DEPTH = 1000;
/** Jackson's maximum length of an unrecognized token quoted in an error. */
const MAX_ERROR_TOKEN = 256;

const CODE_0 = 48;
const CODE_9 = 57;

function isIdentifierPart(code: number): boolean {
  // Character.isJavaIdentifierPart, close enough for error texts: letters, digits, _, $ and marks.
  return /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Sc}]/u.test(String.fromCharCode(code));
}

function charDesc(code: number): string {
  const c = String.fromCharCode(code);
  if (code < 32 || (code >= 127 && code <= 159)) return `(CTRL-CHAR, code ${code})`;
  if (code > 255) return `'${c}' (code ${code} / 0x${code.toString(16)})`;
  return `'${c}' (code ${code})`;
}

export class JacksonReader {
  private pos = 0;
  private line = 1;
  private rowStart = 0;
  private stack: Context[] = [{ type: Ctx.Root, count: 0, line: 1, column: 0 }];
  /** a value read ahead together with the field name before it (Jackson's _nextToken) */
  private pending: Tok | null = null;
  private pendingStart: { line: number; column: number } | null = null;
  /** the current string token's content is not consumed yet */
  private incomplete = false;
  private current: Tok = Tok.End;
  private tokenText = "";
  private numberText = "";

  constructor(private readonly src: string) {}

  /** The current token's kind. */
  get token(): Tok {
    return this.current;
  }

  /** Field name, string value (consuming it) or the literal text of a number/literal. */
  text(): string {
    if (this.current === Tok.Str) {
      if (this.incomplete) {
        this.tokenText = this.readString();
        this.incomplete = false;
      }
      return this.tokenText;
    }
    if (this.current === Tok.Int || this.current === Tok.Float) return this.numberText;
    if (this.current === Tok.FieldName) return this.tokenText;
    if (this.current === Tok.True) return "true";
    if (this.current === Tok.False) return "false";
    if (this.current === Tok.Null) return "null";
    if (this.current === Tok.StartObject) return "{";
    if (this.current === Tok.EndObject) return "}";
    if (this.current === Tok.StartArray) return "[";
    if (this.current === Tok.EndArray) return "]";
    return "";
  }

  /** The number token's value as a double (Java's Double.parseDouble). */
  number(): number {
    return Number(this.numberText);
  }

  /** Jackson's getCurrentLocation() rendered as in exception messages. */
  location(line = this.line, column = this.pos - this.rowStart + 1): string {
    let snippet = this.src;
    let truncated = "";
    if (snippet.length > MAX_SOURCE_SNIPPET) {
      truncated = `[truncated ${snippet.length - MAX_SOURCE_SNIPPET} chars]`;
      snippet = snippet.slice(0, MAX_SOURCE_SNIPPET);
    }
    return `[Source: (String)"${snippet}"${truncated}; line: ${line}, column: ${column}]`;
  }

  /** Throws a PatternSyntaxError at the current location, as event-ruler's barf(). */
  fail(message: string, back = 0): never {
    throw new PatternSyntaxError(
      `${message}\n at ${this.location(this.line, this.pos - back - this.rowStart + 1)}`,
    );
  }

  /** Advances to the next token, as Jackson's nextToken(). */
  next(): Tok {
    if (this.current === Tok.FieldName && this.pending !== null) {
      const t = this.pending;
      this.pending = null;
      if (t === Tok.StartObject || t === Tok.StartArray) {
        this.push(t === Tok.StartObject ? Ctx.Object : Ctx.Array, this.pendingStart!);
      }
      this.current = t;
      return t;
    }
    if (this.incomplete) {
      this.readString();
      this.incomplete = false;
    }
    const ctx = this.stack[this.stack.length - 1]!;
    let c = this.skipWhitespace();
    if (c < 0) {
      if (ctx.type !== Ctx.Root) {
        const kind = ctx.type === Ctx.Array ? "Array" : "Object";
        throw new PatternSyntaxError(
          `Unexpected end-of-input: expected close marker for ${kind} (start marker at ${this.location(ctx.line, ctx.column)})\n at ${this.location()}`,
        );
      }
      this.current = Tok.End;
      return Tok.End;
    }
    // closing a scope
    if (c === 0x5d || c === 0x7d) {
      this.closeScope(c, ctx);
      return this.current;
    }
    if (ctx.count > 0) {
      if (c !== 0x2c) {
        const what = ctx.type === Ctx.Object ? "Object" : ctx.type === Ctx.Array ? "Array" : "root";
        this.unexpectedChar(c, `was expecting comma to separate ${what} entries`);
      }
      this.pos++;
      c = this.skipWhitespace();
      if (c < 0) this.eofBetweenEntries(ctx);
    }
    ctx.count++;
    if (ctx.type === Ctx.Object) {
      if (c !== 0x22) this.unexpectedChar(c, "was expecting double-quote to start field name");
      this.pos++;
      this.tokenText = this.readName();
      c = this.skipWhitespace();
      if (c < 0) this.eofBetweenEntries(ctx);
      if (c !== 0x3a) this.unexpectedChar(c, "was expecting a colon to separate field name and value");
      this.pos++;
      c = this.skipWhitespace();
      if (c < 0) this.eofBetweenEntries(ctx);
      const name = this.tokenText;
      const start = { line: this.line, column: this.pos - this.rowStart + 1 };
      const valueToken = this.startValue(c, false);
      this.tokenText = name;
      this.pending = valueToken;
      this.pendingStart = start;
      this.current = Tok.FieldName;
      return Tok.FieldName;
    }
    const start = { line: this.line, column: this.pos - this.rowStart + 1 };
    const t = this.startValue(c, ctx.type === Ctx.Root);
    if (t === Tok.StartObject || t === Tok.StartArray) {
      this.push(t === Tok.StartObject ? Ctx.Object : Ctx.Array, start);
    }
    this.current = t;
    return t;
  }

  private push(type: Ctx, start: { line: number; column: number }): void {
    if (this.stack.length > MAX_NESTING_DEPTH) {
      this.fail(
        `Document nesting depth (${this.stack.length}) exceeds the maximum allowed (${MAX_NESTING_DEPTH}, from \`StreamReadConstraints.getMaxNestingDepth()\`)`,
      );
    }
    this.stack.push({ type, count: 0, ...start });
  }

  private eofBetweenEntries(ctx: Context): never {
    const what = ctx.type === Ctx.Object ? "Object" : "Array";
    throw new PatternSyntaxError(
      `Unexpected end-of-input within/between ${what} entries\n at ${this.location()}`,
    );
  }

  private closeScope(c: number, ctx: Context): void {
    const isArray = c === 0x5d;
    if (ctx.type === Ctx.Root || (ctx.type === Ctx.Array) !== isArray) {
      const expected = ctx.type === Ctx.Array ? "]" : "}";
      const kind = ctx.type === Ctx.Array ? "Array" : ctx.type === Ctx.Object ? "Object" : "ROOT";
      this.pos++;
      throw new PatternSyntaxError(
        `Unexpected close marker '${String.fromCharCode(c)}': expected '${expected}' (for ${kind} starting at ${this.location(ctx.line, ctx.column)})\n at ${this.location()}`,
      );
    }
    this.pos++;
    this.stack.pop();
    this.current = isArray ? Tok.EndArray : Tok.EndObject;
  }

  /** Reads the start of a value whose first character is `c` (not consumed yet). */
  private startValue(c: number, root: boolean): Tok {
    switch (c) {
      case 0x22:
        this.pos++;
        this.incomplete = true;
        this.tokenText = "";
        return Tok.Str;
      case 0x5b:
        this.pos++;
        return Tok.StartArray;
      case 0x7b:
        this.pos++;
        return Tok.StartObject;
      case 0x74:
        this.matchLiteral("true");
        return Tok.True;
      case 0x66:
        this.matchLiteral("false");
        return Tok.False;
      case 0x6e:
        this.matchLiteral("null");
        return Tok.Null;
      case 0x2d:
        return this.readNumber(root);
      default:
        if (c >= CODE_0 && c <= CODE_9) return this.readNumber(root);
        return this.oddValue(c);
    }
  }

  private oddValue(c: number): never {
    this.pos++;
    if (/[\p{L}\p{Nl}_$]/u.test(String.fromCharCode(c))) this.invalidToken(String.fromCharCode(c));
    this.unexpectedCharAt(
      c,
      "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    );
  }

  private matchLiteral(word: string): void {
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) !== word.charCodeAt(i)) {
        this.invalidToken(word.slice(0, i));
      }
      this.pos++;
    }
    if (this.pos < this.src.length) {
      const next = this.src.charCodeAt(this.pos);
      if (next >= CODE_0 && next !== 0x5d && next !== 0x7d && isIdentifierPart(next)) {
        this.invalidToken(word);
      }
    }
  }

  private invalidToken(matched: string): never {
    let token = matched;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (!isIdentifierPart(c)) break;
      this.pos++;
      token += String.fromCharCode(c);
      if (token.length >= MAX_ERROR_TOKEN) {
        token += "...";
        break;
      }
    }
    this.fail(
      `Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
    );
  }

  private readNumber(root: boolean): Tok {
    const start = this.pos;
    const s = this.src;
    let c = s.charCodeAt(this.pos);
    if (c === 0x2d) {
      this.pos++;
      c = this.pos < s.length ? s.charCodeAt(this.pos) : -1;
      if (!(c >= CODE_0 && c <= CODE_9)) {
        if (c < 0) this.eofInNumber();
        this.pos++;
        this.fail(
          `Unexpected character (${charDesc(c)}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`,
          1,
        );
      }
    }
    if (c === CODE_0) {
      const next = this.pos + 1 < s.length ? s.charCodeAt(this.pos + 1) : -1;
      if (next >= CODE_0 && next <= CODE_9) {
        this.pos++;
        this.fail("Invalid numeric value: Leading zeroes not allowed");
      }
    }
    while (this.pos < s.length && s.charCodeAt(this.pos) >= CODE_0 && s.charCodeAt(this.pos) <= CODE_9) {
      this.pos++;
    }
    let isFloat = false;
    if (this.pos < s.length && s.charCodeAt(this.pos) === 0x2e) {
      isFloat = true;
      this.pos++;
      const digitsStart = this.pos;
      while (this.pos < s.length && s.charCodeAt(this.pos) >= CODE_0 && s.charCodeAt(this.pos) <= CODE_9) {
        this.pos++;
      }
      if (this.pos === digitsStart) {
        if (this.pos >= s.length) this.eofInNumber();
        const bad = s.charCodeAt(this.pos);
        this.pos++;
        this.fail(
          `Unexpected character (${charDesc(bad)}) in numeric value: Decimal point not followed by a digit`,
          1,
        );
      }
    }
    if (this.pos < s.length && (s.charCodeAt(this.pos) === 0x65 || s.charCodeAt(this.pos) === 0x45)) {
      isFloat = true;
      this.pos++;
      if (this.pos < s.length && (s.charCodeAt(this.pos) === 0x2b || s.charCodeAt(this.pos) === 0x2d))
        this.pos++;
      const digitsStart = this.pos;
      while (this.pos < s.length && s.charCodeAt(this.pos) >= CODE_0 && s.charCodeAt(this.pos) <= CODE_9) {
        this.pos++;
      }
      if (this.pos === digitsStart) {
        if (this.pos >= s.length) this.eofInNumber();
        const bad = s.charCodeAt(this.pos);
        this.pos++;
        this.fail(
          `Unexpected character (${charDesc(bad)}) in numeric value: Exponent indicator not followed by a digit`,
          1,
        );
      }
    }
    if (root && this.pos < s.length) {
      const next = s.charCodeAt(this.pos);
      if (next !== 0x20 && next !== 0x09 && next !== 0x0a && next !== 0x0d) {
        this.pos++;
        this.unexpectedCharAt(next, "Expected space separating root-level values");
      }
    }
    this.numberText = s.slice(start, this.pos);
    return isFloat ? Tok.Float : Tok.Int;
  }

  private eofInNumber(): never {
    throw new PatternSyntaxError(`Unexpected end-of-input in a Number value\n at ${this.location()}`);
  }

  private readName(): string {
    const s = this.src;
    let out = "";
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= s.length) {
        throw new PatternSyntaxError(`Unexpected end-of-input in field name\n at ${this.location()}`);
      }
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        out += this.readEscape();
        chunk = this.pos;
        continue;
      }
      if (c < 32) {
        this.pos++;
        this.fail(
          `Illegal unquoted character (${charDesc(c)}): has to be escaped using backslash to be included in name`,
        );
      }
      this.pos++;
    }
  }

  private readString(): string {
    const s = this.src;
    let out = "";
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= s.length) {
        throw new PatternSyntaxError(
          `Unexpected end-of-input: was expecting closing quote for a string value\n at ${this.location()}`,
        );
      }
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        out += this.readEscape();
        chunk = this.pos;
        continue;
      }
      if (c < 32) {
        this.pos++;
        this.fail(
          `Illegal unquoted character (${charDesc(c)}): has to be escaped using backslash to be included in string value`,
        );
      }
      this.pos++;
    }
  }

  private readEscape(): string {
    const s = this.src;
    if (this.pos >= s.length) {
      throw new PatternSyntaxError(
        `Unexpected end-of-input in character escape sequence\n at ${this.location()}`,
      );
    }
    const c = s.charCodeAt(this.pos++);
    switch (c) {
      case 0x62:
        return "\b";
      case 0x74:
        return "\t";
      case 0x6e:
        return "\n";
      case 0x66:
        return "\f";
      case 0x72:
        return "\r";
      case 0x22:
        return '"';
      case 0x2f:
        return "/";
      case 0x5c:
        return "\\";
      case 0x75: {
        let value = 0;
        for (let i = 0; i < 4; i++) {
          if (this.pos >= s.length) {
            throw new PatternSyntaxError(
              `Unexpected end-of-input in character escape sequence\n at ${this.location()}`,
            );
          }
          const h = s.charCodeAt(this.pos++);
          const digit = hexValue(h);
          if (digit < 0) this.unexpectedCharAt(h, "expected a hex-digit for character escape sequence");
          value = (value << 4) | digit;
        }
        return String.fromCharCode(value);
      }
      default:
        this.fail(`Unrecognized character escape ${charDesc(c)}`);
    }
  }

  /** Skips white space; returns the next character code (not consumed) or -1 at the end. */
  private skipWhitespace(): number {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09) {
        this.pos++;
      } else if (c === 0x0a) {
        this.pos++;
        this.line++;
        this.rowStart = this.pos;
      } else if (c === 0x0d) {
        this.pos++;
        if (this.pos < s.length && s.charCodeAt(this.pos) === 0x0a) this.pos++;
        this.line++;
        this.rowStart = this.pos;
      } else if (c === 0x2f) {
        this.pos++;
        this.unexpectedCharAt(
          c,
          "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
        );
      } else if (c < 32) {
        this.pos++;
        this.fail(
          `Illegal character (${charDesc(c)}): only regular white space (\\r, \\n, \\t) is allowed between tokens`,
        );
      } else {
        return c;
      }
    }
    return -1;
  }

  /**
   * Jackson's _reportUnexpectedChar for a character not consumed yet. Jackson reports these at
   * the offending character itself (its "current location minus one").
   */
  private unexpectedChar(c: number, comment: string): never {
    this.fail(`Unexpected character (${charDesc(c)}): ${comment}`);
  }

  /** As unexpectedChar, for a character already consumed. */
  private unexpectedCharAt(c: number, comment: string): never {
    this.fail(`Unexpected character (${charDesc(c)}): ${comment}`, 1);
  }
}

function hexValue(c: number): number {
  if (c >= CODE_0 && c <= CODE_9) return c - CODE_0;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
