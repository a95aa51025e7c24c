import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from './router.js';

describe('Router.match', () => {
  const router = new Router(
    [
      { path: '/', page: 'overview' },
      { path: '/sellers', page: 'sellers' },
      { path: '/sellers/:sellerId', page: 'seller' },
      { path: '/orders/:orderId', page: 'order' },
    ],
    () => undefined,
  );

  it('names the page and decodes the captured segment', () => {
    assert.deepEqual(router.match('/orders/e481f51c%20x'), { route: 'order', params: { orderId: 'e481f51c x' } });
    assert.deepEqual(router.match('/sellers'), { route: 'sellers', params: {} });
    assert.deepEqual(router.match('/sellers/'), { route: 'sellers', params: {} });
    assert.deepEqual(router.match('/'), { route: 'overview', params: {} });
  });

  it('matches no page for a path with more segments or an unknown one', () => {
    assert.equal(router.match('/sellers/a/b'), null);
    assert.equal(router.match('/orders/'), null);
    assert.equal(router.match('/nope'), null);
  });

  it('keeps a segment that is not valid percent-encoding as written', () => {
    assert.deepEqual(router.match('/orders/%E0%A4%A'), { route: 'order', params: { orderId: '%E0%A4%A' } });
  });
});
