import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notApplied, readFilters, withQuery } from './filters.js';

describe('filters in the address', () => {
  it('reads the five filters, leaves out empty ones and keeps values as written for the API to judge', () => {
    const filters = readFilters(new URLSearchParams('from=2017-13&to=&state=SP&grade=Z&sort=orders&category=bed_bath_table'));
    assert.deepEqual(filters, { from: '2017-13', state: 'SP', category: 'bed_bath_table', grade: 'Z' });
  });

  it('changes the query string and keeps the path and the other parameters', () => {
    const here = new URL('http://host/sellers?sort=trend&direction=asc&offset=50&state=SP');
    assert.equal(withQuery({ state: 'RJ', offset: null }, here), '/sellers?sort=trend&direction=asc&state=RJ');
    assert.equal(withQuery({ state: '', sort: null, direction: null, offset: null }, here), '/sellers');
  });

  it('names the filters set that an answer did not apply', () => {
    const filters = { from: '2017-01', state: 'SP', grade: 'A' } as const;
    assert.deepEqual(notApplied(filters, { snapshots: {}, applied: ['state'] }), ['from', 'grade']);
    assert.deepEqual(notApplied(filters, { snapshots: {}, applied: ['from', 'to', 'state', 'category', 'grade'] }), []);
  });
});
