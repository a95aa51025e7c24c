import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExactJson, stringifyExactJson } from './exact-json.js';

const SAMPLE = {
  text: 'quote " backslash \\ newline \n tab \t unicode é \u2028 emoji 😀 nul \u0000',
  numbers: [0, -1, 1.5, -2.25e-7, 1e21, 9007199254740991, -9007199254740991],
  nested: { empty: {}, none: [], flags: [true, false, null], deep: [[[{ a: [1, { b: 'c' }] }]]] },
  __proto__: 'a key, not the prototype',
};

describe('exact JSON', () => {
  it('parses what JSON.parse parses, the same way, when every integer is safe', () => {
    const text = JSON.stringify(SAMPLE);
    assert.deepEqual(parseExactJson(text), JSON.parse(text));
    const pretty = JSON.stringify(JSON.parse(text), null, 2);
    assert.deepEqual(parseExactJson(pretty), JSON.parse(pretty));
    assert.equal(Object.getPrototypeOf(parseExactJson('{"__proto__": 1}')), Object.prototype);
  });

  it('reads integer literals beyond 2^53 as exact bigints, other numbers as numbers', () => {
    assert.deepEqual(parseExactJson('[9007199254740992, -9223372036854775808, 8799175032378937617, 1e300, 1234567890.5]'), [
      9007199254740992n,
      -9223372036854775808n,
      8799175032378937617n,
      1e300,
      1234567890.5,
    ]);
  });

  it('writes what JSON.stringify writes, and bigints as bare digits', () => {
    const doc = JSON.parse(JSON.stringify(SAMPLE)) as unknown;
    assert.equal(stringifyExactJson(doc), JSON.stringify(doc));
    assert.equal(stringifyExactJson(doc, 2), JSON.stringify(doc, null, 2));
    assert.equal(stringifyExactJson({ id: 8799175032378937617n, skipped: undefined, list: [undefined] }), '{"id":8799175032378937617,"list":[null]}');
    assert.deepEqual(parseExactJson(stringifyExactJson({ ids: [8799175032378937617n, -1n] }, 2)), { ids: [8799175032378937617n, -1] });
  });

  it('keeps a string that looks like a written bigint a string', () => {
    const doc = { id: 8799175032378937617n, note: '\u00007\u0000', other: '\u0000-12\u0000' };
    assert.equal(stringifyExactJson(doc), '{"id":8799175032378937617,"note":"\\u00007\\u0000","other":"\\u0000-12\\u0000"}');
    assert.deepEqual(parseExactJson(stringifyExactJson(doc)), doc);
    assert.equal(stringifyExactJson({ note: '\u00007\u0000' }), JSON.stringify({ note: '\u00007\u0000' }));
  });

  it('refuses what is not JSON, saying where', () => {
    for (const bad of ['', '{', '[1,]', '{"a" 1}', '"open', '01', '1 2', 'nul', "{'a': 1}", '"\u0001"']) {
      assert.throws(() => parseExactJson(bad), SyntaxError, JSON.stringify(bad));
    }
    assert.throws(() => parseExactJson('[1, x]'), /unexpected character at position 4/);
  });
});
