import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterParams, tier } from './shared.js';

describe('alert queue tiers', () => {
  it('puts ranks 1–10 in Critical, 11–50 in High and the rest in Normal', () => {
    assert.deepEqual([1, 10, 11, 50, 51, 500].map((rank) => tier(rank).name), ['Critical', 'Critical', 'High', 'High', 'Normal', 'Normal']);
  });
});

describe('filterParams', () => {
  it('sends the address filters under the API parameter names, with the extra ones', () => {
    assert.deepEqual(filterParams({ from: '2017-01', grade: 'B' }, { limit: 15 }), {
      from: '2017-01', to: undefined, state: undefined, category: undefined, grade: 'B', limit: 15,
    });
  });
});
