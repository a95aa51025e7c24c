import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brl, dateTime, duration, int, pct } from './format.js';

// Intl separates the currency sign from the figure with a no-break space.
const NBSP = '\u00a0';

describe('format', () => {
  it('writes cents as reais in Brazilian notation', () => {
    assert.equal(brl(123456789), `R$${NBSP}1.234.567,89`);
    assert.equal(brl(5), `R$${NBSP}0,05`);
    assert.equal(brl(null), '—');
    assert.equal(int(99441), '99.441');
  });

  it('writes a rate given as a fraction as a percentage with one decimal', () => {
    assert.equal(pct(0.0811), '8,1%');
    assert.equal(pct(1), '100,0%');
    assert.equal(pct(null), '—');
  });

  it("shows instants in Brazil's time, summer time included", () => {
    // 2 October 2017: São Paulo at UTC−3.
    assert.equal(dateTime('2017-10-02T10:56:33.000Z'), '02/10/2017, 07:56:33');
    // Summer time ran from 15 October 2017 to 18 February 2018: UTC−2.
    assert.equal(dateTime('2017-10-18T00:00:00.000Z'), '17/10/2017, 22:00:00');
    assert.equal(dateTime('2018-02-20T00:00:00.000Z'), '19/02/2018, 21:00:00');
    assert.equal(dateTime(null), '—');
  });

  it('writes spans in their two largest units', () => {
    assert.equal(duration(2300), '2 s');
    assert.equal(duration(185_000), '3 min 5 s');
    assert.equal(duration((2 * 60 + 10) * 60_000), '2 h 10 min');
    assert.equal(duration((4 * 24 + 3) * 3_600_000), '4 d 3 h');
  });
});
