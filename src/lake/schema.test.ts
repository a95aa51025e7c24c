import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LakeError } from './errors.js';
import {
  addColumn,
  assignFreshIds,
  dateToDays,
  daysToDate,
  decimalRequiredBytes,
  fieldById,
  fieldByName,
  formatDecimal,
  highestFieldId,
  microsToTime,
  parseDate,
  parseDecimal,
  parseTime,
  primitiveInfo,
  rowChecker,
  validateRow,
  validateRows,
} from './schema.js';
import type { Schema } from './types.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'order_id', required: true, type: 'string' },
    { id: 2, name: 'order_date', required: false, type: 'date' },
    { id: 3, name: 'amount', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'placed_at', required: false, type: 'timestamptz' },
    { id: 5, name: 'items', required: false, type: 'int' },
    { id: 6, name: 'seq', required: false, type: 'long' },
    { id: 7, name: 'ratio', required: false, type: 'float' },
    { id: 8, name: 'paid', required: false, type: 'boolean' },
    { id: 9, name: 'customer', required: false, type: 'uuid' },
    { id: 10, name: 'digest', required: false, type: 'fixed[4]' },
    { id: 11, name: 'blob', required: false, type: 'binary' },
    { id: 12, name: 'slot', required: false, type: 'time' },
    {
      id: 13,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 14, element: 'string', 'element-required': true },
    },
  ],
};

const GOOD_ROW = {
  order_id: 'o-1',
  order_date: '2018-01-05',
  amount: '12.34',
  placed_at: Date.UTC(2018, 0, 5, 10, 11, 12, 345),
  items: 3,
  seq: 2n ** 60n,
  ratio: 0.5,
  paid: true,
  customer: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
  digest: new Uint8Array([1, 2, 3, 4]),
  blob: new Uint8Array(0),
  slot: '22:31:08.000001',
  tags: ['a', 'b'],
};

function mismatch(fn: () => void, row: number, column: string | null, messagePart: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof LakeError, 'a LakeError');
    assert.equal(error.code, 'OP_LAKE_SCHEMA_MISMATCH');
    assert.equal(error.details.row, row);
    assert.equal(error.details.column, column);
    assert.match(error.message, messagePart);
    assert.equal(typeof error.details.value, 'string', 'the value is described as JSON-safe text');
    JSON.stringify(error.toJSON());
    return true;
  });
}

void describe('primitive types', () => {
  void it('parses decimal and fixed parameters, with or without the space', () => {
    assert.deepEqual(primitiveInfo('decimal(9,2)'), { kind: 'decimal', precision: 9, scale: 2 });
    assert.deepEqual(primitiveInfo('decimal(38, 0)'), { kind: 'decimal', precision: 38, scale: 0 });
    assert.deepEqual(primitiveInfo('fixed[16]'), { kind: 'fixed', length: 16 });
    assert.deepEqual(primitiveInfo('timestamptz'), { kind: 'timestamptz' });
    assert.equal(primitiveInfo('decimal(39, 0)'), null, 'precision above 38');
    assert.equal(primitiveInfo('timestamp_ns'), null, 'a v3 type');
    assert.equal(primitiveInfo('varchar'), null);
  });

  void it('sizes Avro decimal fixed types as Java does', () => {
    assert.equal(decimalRequiredBytes(1), 1);
    assert.equal(decimalRequiredBytes(2), 1);
    assert.equal(decimalRequiredBytes(3), 2);
    assert.equal(decimalRequiredBytes(9), 4);
    assert.equal(decimalRequiredBytes(10), 5);
    assert.equal(decimalRequiredBytes(18), 8);
    assert.equal(decimalRequiredBytes(38), 16);
  });
});

void describe('value helpers', () => {
  void it('converts dates to days since the epoch and back, refusing impossible dates', () => {
    assert.equal(dateToDays('1970-01-01'), 0);
    assert.equal(dateToDays('2017-11-16'), 17486);
    assert.equal(dateToDays('1969-12-31'), -1);
    assert.equal(daysToDate(17486), '2017-11-16');
    assert.equal(daysToDate(-1), '1969-12-31');
    assert.equal(parseDate('0050-03-01'), dateToDays('0050-03-01'), 'years below 100 are not 19xx');
    assert.equal(daysToDate(dateToDays('0050-03-01')), '0050-03-01');
    assert.equal(parseDate('2018-02-30'), null);
    assert.equal(parseDate('2018-1-5'), null);
  });

  void it('converts times of day to microseconds and back', () => {
    assert.equal(parseTime('22:31:08'), 81_068_000_000);
    assert.equal(parseTime('00:00:00.5'), 500_000);
    assert.equal(parseTime('24:00:00'), null);
    assert.equal(microsToTime(81_068_000_001), '22:31:08.000001');
    assert.equal(microsToTime(81_068_000_000), '22:31:08');
  });

  void it('scales decimal text exactly', () => {
    assert.equal(parseDecimal('12.3', 2), 1230n);
    assert.equal(parseDecimal('-0.05', 2), -5n);
    assert.equal(parseDecimal('7', 0), 7n);
    assert.equal(parseDecimal('1.234', 2), null, 'would round');
    assert.equal(parseDecimal('1e3', 0), null);
    assert.equal(formatDecimal(1230n, 2), '12.30');
    assert.equal(formatDecimal(-5n, 2), '-0.05');
    assert.equal(formatDecimal(7n, 0), '7');
  });
});

void describe('field lookup', () => {
  void it('finds columns by name and fields by id, nested ones included', () => {
    assert.equal(fieldByName(SCHEMA, 'amount')?.id, 3);
    assert.equal(fieldByName(SCHEMA, 'Amount'), undefined, 'case-sensitive');
    assert.equal(fieldById(SCHEMA, 5)?.name, 'items');
    assert.equal(highestFieldId(SCHEMA), 14, 'the list element id counts');
  });
});

void describe('validateRow', () => {
  void it('accepts values of every supported type, and null or missing optional columns', () => {
    validateRow(SCHEMA, GOOD_ROW, 0);
    validateRow(SCHEMA, { order_id: 'o-2', amount: null, items: undefined }, 1);
    validateRows(SCHEMA, [GOOD_ROW, { order_id: 'x', seq: 5, ratio: Number.NaN, amount: '-0.5' }]);
  });

  void it('refuses a missing or null required column, naming the row and column', () => {
    mismatch(() => validateRow(SCHEMA, { order_date: '2018-01-05' }, 7), 7, 'order_id', /row 7, column 'order_id'.*required/);
    mismatch(() => validateRow(SCHEMA, { order_id: null }, 0), 0, 'order_id', /required/);
  });

  void it('refuses unknown columns', () => {
    mismatch(() => validateRow(SCHEMA, { order_id: 'a', colour: 'red' }, 2), 2, 'colour', /unknown column/);
  });

  void it('refuses values of the wrong type or out of range', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ items: 2 ** 31 }, 'items', /32-bit integer/],
      [{ items: 1.5 }, 'items', /32-bit integer/],
      [{ seq: 2 ** 53 }, 'seq', /safe integer/],
      [{ seq: 2n ** 63n }, 'seq', /64-bit/],
      [{ ratio: 1e39 }, 'ratio', /float range/],
      [{ order_date: '2018-02-30' }, 'order_date', /YYYY-MM-DD/],
      [{ order_date: new Date(0) }, 'order_date', /Date\(1970/],
      [{ placed_at: new Date(0) }, 'placed_at', /epoch milliseconds/],
      [{ placed_at: 1.5 }, 'placed_at', /epoch milliseconds/],
      [{ amount: 12.34 }, 'amount', /decimal string/],
      [{ amount: '1.234' }, 'amount', /at most 2 fraction digits/],
      [{ amount: '123456789.00' }, 'amount', /more than 10 digits/],
      [{ paid: 'yes' }, 'paid', /boolean/],
      [{ customer: 'not-a-uuid' }, 'customer', /UUID/],
      [{ digest: new Uint8Array(3) }, 'digest', /4 bytes/],
      [{ blob: [1, 2] }, 'blob', /Uint8Array/],
      [{ slot: '25:00:00' }, 'slot', /time string/],
      [{ tags: ['a', null] }, 'tags', /element 1 is required/],
      [{ tags: 'a' }, 'tags', /array/],
    ];
    for (const [partial, column, message] of cases) {
      mismatch(() => validateRow(SCHEMA, { order_id: 'a', ...partial }, 3), 3, column, message);
    }
  });

  void it('refuses a row that is not a plain object', () => {
    mismatch(() => validateRow(SCHEMA, ['a'], 4), 4, null, /plain object/);
    mismatch(() => validateRow(SCHEMA, null, 5), 5, null, /plain object/);
  });

  void it('compiles one checker per schema and reuses it', () => {
    assert.equal(rowChecker(SCHEMA), rowChecker(SCHEMA));
  });
});

void describe('assignFreshIds', () => {
  void it("numbers top-level columns 1..n first, then nested ids, as Java's assignFreshIds", () => {
    const { fields, lastColumnId } = assignFreshIds([
      { name: 'a', type: 'int', required: true },
      {
        name: 'b',
        type: { type: 'map', 'key-id': 0, key: 'string', 'value-id': 0, value: 'long', 'value-required': false },
      },
      { name: 'c', type: { type: 'list', 'element-id': 0, element: 'string', 'element-required': false } },
    ]);
    assert.deepEqual(
      fields.map((f) => f.id),
      [1, 2, 3],
    );
    const map = fields[1]!.type;
    const list = fields[2]!.type;
    assert.ok(typeof map === 'object' && map.type === 'map');
    assert.ok(typeof list === 'object' && list.type === 'list');
    assert.deepEqual([map['key-id'], map['value-id'], list['element-id']], [4, 5, 6]);
    assert.equal(lastColumnId, 6);
    assert.equal(fields[0]!.required, true);
    assert.equal(fields[1]!.required, false, 'optional by default');
  });
});

void describe('addColumn', () => {
  void it('adds an optional column with id last-column-id + 1 and schema id + 1, leaving the input alone', () => {
    const next = addColumn(SCHEMA, 'note', 'string', { doc: 'free text', lastColumnId: 20 });
    assert.equal(next['schema-id'], 1);
    const note = next.fields.at(-1)!;
    assert.deepEqual(note, { id: 21, name: 'note', required: false, type: 'string', doc: 'free text' });
    assert.equal(SCHEMA.fields.length, 13, 'input unchanged');
    assert.ok(Object.isFrozen(next));
  });

  void it("uses the schema's highest id when the table's last-column-id is not given", () => {
    assert.equal(addColumn(SCHEMA, 'note', 'string').fields.at(-1)!.id, 15);
  });

  void it('numbers nested ids after the new column', () => {
    const next = addColumn(SCHEMA, 'scores', { type: 'list', 'element-id': 0, element: 'double', 'element-required': false });
    const scores = next.fields.at(-1)!;
    assert.equal(scores.id, 15);
    assert.ok(typeof scores.type === 'object' && scores.type.type === 'list' && scores.type['element-id'] === 16);
  });

  void it('refuses required columns, duplicates and unknown types', () => {
    const invalid = (fn: () => unknown, message: RegExp): void => {
      assert.throws(fn, (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT' && message.test(e.message));
    };
    invalid(() => addColumn(SCHEMA, 'x', 'int', { required: true }), /required column 'x'.*optional/);
    invalid(() => addColumn(SCHEMA, 'amount', 'int'), /already exists/);
    invalid(() => addColumn(SCHEMA, 'x', 'varchar' as 'string'), /unknown type/);
  });
});
