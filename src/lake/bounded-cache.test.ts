import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most maxWeight entries, evicting the least recently used', () => {
    const cache = new BoundedCache<string, number>({ maxWeight: 3 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1); // a is now the most recently used: b is the oldest
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.has('b'), false);
    assert.deepEqual(['a', 'c', 'd'].map((k) => cache.get(k)), [1, 3, 4]);
  });

  it('bounds the total weight, not the count, when values weigh differently', () => {
    const cache = new BoundedCache<string, readonly number[]>({ maxWeight: 10, weigh: (v) => v.length });
    cache.set('six', [1, 2, 3, 4, 5, 6]);
    cache.set('three', [1, 2, 3]);
    assert.equal(cache.weight, 9);
    cache.set('two', [1, 2]); // 11 > 10: the oldest (six) goes
    assert.equal(cache.has('six'), false);
    assert.equal(cache.weight, 5);
    cache.set('eleven', Array.from({ length: 11 }, (_, i) => i)); // heavier than the cache: not kept, nothing evicted
    assert.equal(cache.has('eleven'), false);
    assert.equal(cache.weight, 5);
  });

  it('replacing a key counts its new weight once', () => {
    const cache = new BoundedCache<string, readonly number[]>({ maxWeight: 10, weigh: (v) => v.length });
    cache.set('k', [1, 2, 3]);
    cache.set('k', [1]);
    assert.equal(cache.weight, 1);
    assert.equal(cache.size, 1);
    cache.delete('k');
    assert.equal(cache.weight, 0);
  });

  it('stays bounded over a long run of distinct keys', () => {
    const cache = new BoundedCache<number, string>({ maxWeight: 64 });
    for (let i = 0; i < 10_000; i++) cache.set(i, `manifest-${i}`);
    assert.equal(cache.size, 64);
    assert.equal(cache.get(9_999), 'manifest-9999');
    assert.equal(cache.get(9_935), undefined);
  });

  it('refuses a maximum below 1', () => {
    assert.throws(() => new BoundedCache({ maxWeight: 0 }), /maximum weight must be 1 or more, got 0/);
  });
});
