import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesToUnscaled,
  compareSerialized,
  compareStrings,
  compareToBound,
  compareValues,
  deserializeValue,
  serializeValue,
  truncatedLowerBound,
  truncatedUpperBound,
  unscaledToBytes,
  unscaledToFixed,
} from './bounds.js';
import type { SingleValue } from './bounds.js';
import { LakeError } from './errors.js';
import type { PrimitiveType } from './types.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

void describe('Appendix D single-value serialization', () => {
  // [type, value, expected bytes]; each also round-trips.
  const CASES: [PrimitiveType, SingleValue, string][] = [
    ['boolean', false, '00'],
    ['boolean', true, '01'],
    ['int', 1, '01000000'],
    ['int', -2, 'feffffff'],
    ['long', 1, '0100000000000000'],
    ['long', -1, 'ffffffffffffffff'],
    ['long', 2n ** 62n, '0000000000000040'],
    ['float', 1, '0000803f'],
    ['double', 1, '000000000000f03f'],
    ['double', -0, '0000000000000080'],
    ['date', '2017-11-16', '4e440000'], // 17486 days
    ['date', '1969-12-31', 'ffffffff'],
    ['time', '22:31:08', '008307e012000000'], // 81,068,000,000 µs
    ['timestamp', Date.UTC(2017, 10, 16, 22, 31, 8), '00c3262d215e0500'], // 1510871468000000 µs
    ['timestamptz', Date.UTC(1969, 11, 31, 23, 59, 59, 999), '18fcffffffffffff'], // -1000 µs
    ['string', 'iceberg', hex(new TextEncoder().encode('iceberg'))],
    ['string', 'ü€😀', hex(new TextEncoder().encode('ü€😀'))],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
    ['fixed[4]', new Uint8Array([0, 1, 2, 3]), '00010203'],
    ['binary', new Uint8Array([0xff]), 'ff'],
    ['decimal(9, 2)', '14.20', '058c'], // unscaled 1420
    ['decimal(9, 2)', '0.00', '00'],
    ['decimal(9, 2)', '-0.01', 'ff'],
    ['decimal(9, 2)', '1.28', '0080'], // 128 needs a sign byte
    ['decimal(9, 2)', '-1.28', '80'],
    ['decimal(38, 0)', '-99999999999999999999999999999999999999', 'b4c4b357a5793b85f675ddc000000001'],
  ];

  void it('writes the bytes the spec prescribes', () => {
    for (const [type, value, expected] of CASES) {
      assert.equal(hex(serializeValue(type, value)), expected, `${type} ${String(value)}`);
    }
  });

  void it('reads them back to the same JavaScript value', () => {
    for (const [type, value] of CASES) {
      const back = deserializeValue(type, serializeValue(type, value));
      if (value instanceof Uint8Array) assert.deepEqual(back, Uint8Array.from(value), type);
      else assert.deepEqual(back, value, `${type} ${String(value)}`);
    }
  });

  void it('reads longs beyond 2^53 as bigint and others as numbers', () => {
    assert.equal(deserializeValue('long', serializeValue('long', 2n ** 60n)), 2n ** 60n);
    assert.equal(deserializeValue('long', serializeValue('long', 2n ** 40n)), 2 ** 40);
  });

  void it('accepts the partition-tuple forms: dates as day counts, bytes as hex', () => {
    assert.equal(hex(serializeValue('date', 17486)), '4e440000');
    assert.equal(hex(serializeValue('binary', '00ff')), '00ff');
  });

  void it('treats any non-zero boolean byte as true', () => {
    assert.equal(deserializeValue('boolean', fromHex('02')), true);
  });

  void it('infers the written type of promoted columns from the bound length', () => {
    assert.equal(deserializeValue('long', serializeValue('int', -5)), -5, 'int promoted to long');
    assert.equal(deserializeValue('double', serializeValue('float', 1.5)), 1.5, 'float promoted to double');
    assert.equal(
      deserializeValue('timestamp', serializeValue('date', '2017-11-16')),
      Date.UTC(2017, 10, 16),
      'date promoted to timestamp',
    );
  });

  void it('refuses values that do not fit the type, and bytes of the wrong length', () => {
    const invalid = (fn: () => unknown): void => {
      assert.throws(fn, (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT');
    };
    invalid(() => serializeValue('int', 2 ** 31));
    invalid(() => serializeValue('long', 2 ** 53));
    invalid(() => serializeValue('decimal(9, 2)', '1.234'));
    invalid(() => serializeValue('fixed[4]', new Uint8Array(2)));
    invalid(() => serializeValue('uuid', 'nope'));
    invalid(() => deserializeValue('int', fromHex('0100')));
    invalid(() => deserializeValue('uuid', fromHex('00')));
    invalid(() => deserializeValue('timestamp_ns' as PrimitiveType, fromHex('00')));
  });

  void it('encodes unscaled decimals in the fewest bytes, and sign-extends to a fixed size', () => {
    assert.equal(hex(unscaledToBytes(127n)), '7f');
    assert.equal(hex(unscaledToBytes(-129n)), 'ff7f');
    assert.equal(hex(unscaledToFixed(-5n, 4)), 'fffffffb');
    assert.equal(bytesToUnscaled(fromHex('fffffffb')), -5n);
    assert.throws(() => unscaledToFixed(256n, 1), LakeError);
  });
});

void describe('comparison', () => {
  void it('orders floats as Java does: -0 before +0, NaN last', () => {
    assert.ok(compareValues('double', -0, 0) < 0);
    assert.ok(compareValues('double', 0, -0) > 0);
    assert.equal(compareValues('double', 0, 0), 0);
    assert.ok(compareValues('double', Number.NaN, Number.POSITIVE_INFINITY) > 0);
    assert.equal(compareValues('float', Number.NaN, Number.NaN), 0);
  });

  void it('orders strings by code point (UTF-8 byte order), not UTF-16 unit', () => {
    // U+FF61 is one UTF-16 unit above the surrogates of U+1F600, but a lower code point.
    assert.ok('\uff61' > '😀', 'JavaScript says otherwise');
    assert.ok(compareStrings('\uff61', '😀') < 0);
    assert.ok(compareValues('string', 'a', 'ab') < 0);
    assert.equal(
      Math.sign(compareStrings('\uff61', '😀')),
      Math.sign(Buffer.compare(Buffer.from('\uff61'), Buffer.from('😀'))),
    );
  });

  void it('orders decimals, dates, timestamps, longs and bytes by value', () => {
    assert.ok(compareValues('decimal(9, 2)', '-1.5', '1.25') < 0);
    assert.ok(compareValues('date', '2018-01-05', '2017-12-31') > 0);
    assert.ok(compareValues('timestamp', 1000, 999) > 0);
    assert.ok(compareValues('long', 2n ** 62n, 5) > 0);
    assert.ok(compareValues('binary', new Uint8Array([0x80]), new Uint8Array([0x7f, 0xff])) > 0, 'unsigned bytes');
  });

  void it('compares a value with a serialized bound, for pruning', () => {
    const lower = serializeValue('string', 'b');
    assert.ok(compareToBound('string', 'a', lower) < 0, 'below the lower bound: prune');
    assert.ok(compareToBound('string', 'bz', lower) > 0);
    // Timestamps compare in microseconds: a bound of 1.5 ms is above the value 1 ms.
    const micros = new Uint8Array(8);
    new DataView(micros.buffer).setBigInt64(0, 1500n, true);
    assert.ok(compareToBound('timestamp', 1, micros) < 0);
    assert.ok(compareToBound('timestamp', 2, micros) > 0);
    // A long column still holding a 4-byte (int) bound.
    assert.equal(compareToBound('long', 7, serializeValue('int', 7)), 0);
    assert.ok(compareSerialized('int', serializeValue('int', -1), serializeValue('int', 1)) < 0);
  });
});

describe('truncated string bounds', () => {
  it('keep 16 characters, raising the last one for the upper bound, and carry past U+10FFFF', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz';
    assert.equal(truncatedLowerBound('abc'), 'abc');
    assert.equal(truncatedUpperBound('abc'), 'abc');
    assert.equal(truncatedUpperBound(alphabet.slice(0, 16)), alphabet.slice(0, 16));
    assert.equal(truncatedLowerBound(alphabet), 'abcdefghijklmnop');
    assert.equal(truncatedUpperBound(alphabet), 'abcdefghijklmnoq');
    // Characters, not UTF-16 units: an emoji is one character of two units.
    assert.equal(truncatedLowerBound('😀'.repeat(20)), '😀'.repeat(16));
    assert.equal(truncatedUpperBound('😀'.repeat(20)), `${'😀'.repeat(15)}😁`);
    assert.equal(truncatedUpperBound(`a${'\u{10FFFF}'.repeat(15)}zz`), 'b');
    assert.equal(truncatedUpperBound(`${'x'.repeat(15)}\uD7FFyy`), `${'x'.repeat(15)}\uE000`);
    assert.equal(truncatedUpperBound('\u{10FFFF}'.repeat(17)), null);
  });

  it('bound every string they were made from, in the order UTF-8 bytes sort (seeded)', () => {
    const seed = 20261205;
    let state = seed;
    const random = (): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
    const characters = ['a', 'z', '~', 'é', '\uD7FF', '\uE000', '\uFFFF', '😀', '\u{10FFFF}'];
    const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
    for (let i = 0; i < 2_000; i++) {
      const text = Array.from({ length: Math.floor(random() * 24) }, () => characters[Math.floor(random() * characters.length)]).join('');
      const lower = truncatedLowerBound(text);
      const upper = truncatedUpperBound(text);
      assert.ok(Buffer.compare(utf8(lower), utf8(text)) <= 0, `seed ${seed}: lower bound of ${JSON.stringify(text)}`);
      if (upper !== null) {
        assert.ok(Buffer.compare(utf8(upper), utf8(text)) >= 0, `seed ${seed}: upper bound of ${JSON.stringify(text)}`);
        // Every string that begins as the text does sorts below the upper bound too.
        assert.ok(Buffer.compare(utf8(upper), utf8(`${Array.from(text).slice(0, 16).join('')}\u{10FFFF}`)) >= 0 || Array.from(text).length <= 16, `seed ${seed}: ${JSON.stringify(text)}`);
      }
    }
  });
});
