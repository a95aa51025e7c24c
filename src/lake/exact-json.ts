/**
 * JSON text with exact 64-bit integers. Iceberg metadata holds snapshot ids that Java and PyIceberg
 * draw from 63 bits; `JSON.parse` rounds every integer beyond 2^53 to the nearest double, so two
 * different ids can become one and a written-back id is not the one read. Here an integer literal
 * beyond the safe range is read as a bigint, and a bigint is written as its digits.
 */

/** A parsed JSON value: integers beyond ±(2^53 - 1) are bigints, all other numbers numbers. */
export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
const CONTROL = /[\u0000-\u001f]/;

/**
 * Parses JSON text like `JSON.parse` (throwing `SyntaxError` with the offset on bad input), except
 * that an integer literal (no fraction, no exponent) beyond the safe range becomes a bigint.
 */
export function parseExactJson(text: string): ExactJson {
  let at = 0;
  const fail = (problem: string): never => {
    throw new SyntaxError(`${problem} at position ${at}`);
  };
  const skip = (): void => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const string = (): string => {
    // Most strings have no escapes: the next quote closes them (native searches, fast).
    const close = text.indexOf('"', at + 1);
    if (close !== -1) {
      const body = text.slice(at + 1, close);
      if (!body.includes('\\') && !CONTROL.test(body)) {
        at = close + 1;
        return body;
      }
    }
    // The closing quote is the first one not escaped; JSON.parse decodes the escapes.
    let end = at + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(end);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x5c) {
        escaped = true;
        end += 2;
      } else if (c === 0x22) break;
      else if (c < 0x20) {
        at = end;
        fail('control character in a string');
      } else end++;
    }
    const value = escaped ? (JSON.parse(text.slice(at, end + 1)) as string) : text.slice(at + 1, end);
    at = end + 1;
    return value;
  };
  const value = (): ExactJson => {
    skip();
    const c = text[at];
    if (c === '{') {
      at++;
      const object: { [key: string]: ExactJson } = {};
      skip();
      if (text[at] === '}') {
        at++;
        return object;
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail('expected a property name');
        const key = string();
        skip();
        if (text[at] !== ':') fail("expected ':'");
        at++;
        // defineProperty: a key "__proto__" is data, as with JSON.parse.
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        skip();
        if (text[at] === ',') at++;
        else if (text[at] === '}') {
          at++;
          return object;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      at++;
      const array: ExactJson[] = [];
      skip();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        if (text[at] === ',') at++;
        else if (text[at] === ']') {
          at++;
          return array;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', at)) return (at += 4), true;
    if (text.startsWith('false', at)) return (at += 5), false;
    if (text.startsWith('null', at)) return (at += 4), null;
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (match === null) return fail('unexpected character');
    at = NUMBER.lastIndex;
    const n = Number(match[0]);
    const integerLiteral = match[1] === undefined && match[2] === undefined;
    return integerLiteral && !Number.isSafeInteger(n) ? BigInt(match[0]) : n;
  };
  const result = value();
  skip();
  if (at !== text.length) fail('unexpected text after the JSON value');
  return result;
}

/**
 * `JSON.stringify` for plain data (objects, arrays, strings, finite numbers, booleans, null) that
 * also writes bigints, as bare integer digits. Properties whose value is `undefined` are left out,
 * as JSON.stringify does; `space` indents like JSON.stringify's.
 */
export function stringifyExactJson(doc: unknown, space?: number): string {
  // Fast path: the engine's JSON.stringify, each bigint written as a marked string (through a
  // `toJSON` on BigInt's prototype for the duration of this synchronous call: a replacer function
  // would be called for every value) and unmarked after. A table's metadata file is rewritten on
  // every commit and holds every snapshot, so this is on each commit's path. A string of the data
  // that looks like a mark (the counts differ) takes the slow path, which writes each value itself.
  let bigints = 0;
  const proto = BigInt.prototype as { toJSON?: () => string };
  const previous = Object.getOwnPropertyDescriptor(proto, 'toJSON');
  let marked: string | undefined;
  try {
    Object.defineProperty(proto, 'toJSON', {
      configurable: true,
      writable: true,
      value(this: bigint): string {
        bigints++;
        return `${BIGINT_MARK}${this.toString()}${BIGINT_MARK}`;
      },
    });
    marked = JSON.stringify(doc, null, space);
  } finally {
    if (previous === undefined) delete proto.toJSON;
    else Object.defineProperty(proto, 'toJSON', previous);
  }
  if (marked === undefined) throw new TypeError(`cannot write ${typeof doc} as JSON`);
  if (bigints === 0 && !marked.includes(MARKED_ESCAPE)) return marked;
  let unmarked = 0;
  const out = marked.replace(MARKED_BIGINT, (_match, digits: string) => {
    unmarked++;
    return digits;
  });
  return unmarked === bigints ? out : slowStringify(doc, space);
}

// NUL, as JSON.stringify escapes it inside a string.
const BIGINT_MARK = '\u0000';
const MARKED_ESCAPE = '\\u0000';
const MARKED_BIGINT = /"\\u0000(-?\d+)\\u0000"/g;

function slowStringify(doc: unknown, space?: number): string {
  const indent = space === undefined ? '' : ' '.repeat(space);
  const write = (value: unknown, depth: string): string => {
    if (typeof value === 'bigint') return value.toString();
    if (value === null || typeof value !== 'object') {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new TypeError(`cannot write ${typeof value} as JSON`);
      return text;
    }
    const inner = depth + indent;
    const open = indent === '' ? '' : `\n${inner}`;
    const close = indent === '' ? '' : `\n${depth}`;
    const separator = indent === '' ? ',' : `,\n${inner}`;
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[${open}${value.map((v: unknown) => (v === undefined ? 'null' : write(v, inner))).join(separator)}${close}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const colon = indent === '' ? ':' : ': ';
    return `{${open}${entries.map(([k, v]) => `${JSON.stringify(k)}${colon}${write(v, inner)}`).join(separator)}${close}}`;
  };
  return write(doc, '');
}
