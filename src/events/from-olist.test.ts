import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OlistDataset } from '../data/index.js';
import { loadOlist } from '../data/index.js';
import { sampleDir } from '../testing/fixtures.js';
import type { MarketplaceEvent } from './index.js';
import { INFERRED_CANCEL_DELAY_MS, TOPIC_OF, eventKey, olistEvents } from './index.js';

describe('olistEvents on the real sample', () => {
  let dataset: OlistDataset;
  let events: MarketplaceEvent[];
  before(async () => {
    dataset = await loadOlist(sampleDir);
    events = olistEvents(dataset);
  });

  const count = (type: string): number => events.filter((e) => e.type === type).length;

  it('emits one OrderPlaced per order and one step event per recorded step time', () => {
    assert.equal(count('OrderPlaced'), 13_092);
    assert.equal(count('PaymentApproved'), dataset.orders.filter((o) => o.approvedAt !== null).length);
    assert.equal(count('OrderHandedToCarrier'), dataset.orders.filter((o) => o.deliveredToCarrierAt !== null).length);
    assert.equal(count('OrderDelivered'), dataset.orders.filter((o) => o.deliveredToCustomerAt !== null).length);
    assert.equal(count('OrderCanceled'), 73 + 66);
    assert.equal(count('ReviewAnswered'), 13_052);
    assert.equal(count('CustomerUpserted'), 13_092);
  });

  it('sends each product and seller once: those the orders use, no others', () => {
    const usedProducts = new Set(dataset.items.map((i) => i.productId));
    const usedSellers = new Set(dataset.items.map((i) => i.sellerId));
    const products = events.filter((e) => e.type === 'ProductUpserted').map((e) => eventKey(e));
    const sellers = events.filter((e) => e.type === 'SellerUpserted').map((e) => eventKey(e));
    assert.deepEqual(new Set(products), usedProducts);
    assert.equal(products.length, usedProducts.size);
    assert.deepEqual(new Set(sellers), usedSellers);
    assert.equal(sellers.length, usedSellers.size);
  });

  it('is in event-time order, with unique deterministic ids', () => {
    for (let i = 1; i < events.length; i++) {
      assert.ok((events[i - 1] as MarketplaceEvent).eventTime <= (events[i] as MarketplaceEvent).eventTime, `event ${i} out of order`);
    }
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    const again = olistEvents(dataset);
    assert.deepEqual(
      again.map((e) => e.eventId),
      events.map((e) => e.eventId),
    );
    for (const e of events.slice(0, 100)) assert.match(e.eventId, /^[0-9a-f]{32}$/);
  });

  it('sends reference data before the first order that names it', () => {
    const seen = new Set<string>();
    for (const e of events) {
      if (e.type === 'ProductUpserted' || e.type === 'SellerUpserted' || e.type === 'CustomerUpserted') seen.add(eventKey(e));
      if (e.type !== 'OrderPlaced') continue;
      assert.ok(seen.has(e.customer.customerId), `customer of ${e.orderId} not sent before it`);
      for (const item of e.items) {
        assert.ok(seen.has(item.productId), `product ${item.productId} not sent before order ${e.orderId}`);
        assert.ok(seen.has(item.sellerId), `seller ${item.sellerId} not sent before order ${e.orderId}`);
      }
    }
  });

  it('keys every order event by its order and puts it on the orders or reviews topic', () => {
    for (const e of events) {
      if (TOPIC_OF[e.type] === 'orders' || TOPIC_OF[e.type] === 'reviews') {
        assert.equal(eventKey(e), (e as { orderId: string }).orderId);
      }
    }
  });

  it('places an order\'s items, payments and estimate on OrderPlaced, as in the tables', () => {
    const order = dataset.orders.find((o) => dataset.items.filter((i) => i.orderId === o.orderId).length > 1);
    assert.ok(order !== undefined);
    const placed = events.find((e) => e.type === 'OrderPlaced' && e.orderId === order.orderId);
    assert.ok(placed !== undefined && placed.type === 'OrderPlaced');
    const items = dataset.items.filter((i) => i.orderId === order.orderId);
    assert.equal(placed.items.length, items.length);
    assert.deepEqual(
      placed.items.map((i) => [i.orderItemId, i.productId, i.shippingLimitAt, i.priceCents]),
      items.sort((a, b) => a.orderItemId - b.orderItemId).map((i) => [i.orderItemId, i.productId, i.shippingLimitAt, i.priceCents]),
    );
    assert.equal(placed.estimatedDeliveryDate, order.estimatedDeliveryDate);
    assert.equal(placed.eventTime, order.purchasedAt);
    const paid = dataset.payments.filter((p) => p.orderId === order.orderId).reduce((s, p) => s + p.paymentValueCents, 0);
    assert.equal(
      placed.payments.reduce((s, p) => s + p.paymentValueCents, 0),
      paid,
    );
  });

  it('infers a cancellation one second after the latest time the order records', () => {
    for (const e of events) {
      if (e.type !== 'OrderCanceled') continue;
      const order = dataset.orders.find((o) => o.orderId === e.orderId);
      assert.ok(order !== undefined);
      const latest = Math.max(
        ...[order.purchasedAt, order.approvedAt, order.deliveredToCarrierAt, order.deliveredToCustomerAt].filter(
          (t): t is number => t !== null,
        ),
      );
      assert.equal(e.eventTime, latest + INFERRED_CANCEL_DELAY_MS);
      assert.equal(e.reason, order.status);
      assert.equal(e.timeInferred, true);
    }
  });
});
