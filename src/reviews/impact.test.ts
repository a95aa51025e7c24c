import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Order, OrderItem, OrderReview, Product } from '../data/index.js';
import { parseLocalDateTime } from '../data/index.js';
import { delayShares, lowScoreReviews, reviewCauseRows } from './index.js';

const order = (orderId: string, purchased: string, delivered: string | null, estimated: string): Order => ({
  orderId,
  customerId: `c-${orderId}`,
  status: delivered === null ? 'shipped' : 'delivered',
  purchasedAt: parseLocalDateTime(purchased),
  approvedAt: null,
  deliveredToCarrierAt: null,
  deliveredToCustomerAt: delivered === null ? null : parseLocalDateTime(delivered),
  estimatedDeliveryDate: estimated,
});
const item = (orderId: string, orderItemId: number, productId: string, sellerId: string): OrderItem => ({
  orderId, orderItemId, productId, sellerId, shippingLimitAt: 0, priceCents: 1000, freightCents: 100,
});
const product = (productId: string, categoryName: string | null): Product => ({
  productId, categoryName, nameLength: null, descriptionLength: null, photosQty: null, weightG: null, lengthCm: null, heightCm: null, widthCm: null,
});
const review = (reviewId: string, orderId: string, score: OrderReview['score'], message: string | null): OrderReview => ({
  reviewId, orderId, score, commentTitle: null, commentMessage: message, createdDate: '2018-06-30', answeredAt: 0,
});

const dataset = {
  orders: [
    // Delivered at 23:30 local on the estimated day (02:30 UTC the day after): on time.
    order('o1', '2018-05-02 10:00:00', '2018-05-10 23:30:00', '2018-05-10'),
    order('o2', '2018-05-20 10:00:00', '2018-06-05 12:00:00', '2018-06-01'),
    order('o3', '2018-06-01 10:00:00', null, '2018-06-20'),
    order('o4', '2018-05-03 10:00:00', '2018-05-08 09:00:00', '2018-05-20'),
  ],
  items: [item('o1', 1, 'p1', 's1'), item('o1', 2, 'p2', 's2'), item('o1', 3, 'p1', 's1'), item('o2', 1, 'p1', 's1'), item('o3', 1, 'p3', 's2'), item('o4', 1, 'p1', 's1')],
  products: [product('p1', 'moveis'), product('p2', 'beleza'), product('p3', null)],
  reviews: [
    review('r1', 'o1', 1, 'Chegou antes do prazo, mas veio quebrado'),
    review('r2', 'o2', 2, 'Atrasou muito'),
    review('r3', 'o3', 1, 'Não recebi o produto'),
    review('r4', 'o4', 1, null),
    review('r5', 'o4', 5, 'Ótimo'),
    review('r6', 'unknown', 1, 'Não recebi'),
  ],
};

describe('review causes per month, category, seller and delay bucket', () => {
  const reviews = lowScoreReviews(dataset);

  it('keeps the 1-2 star reviews of known orders, with their local delay bucket', () => {
    assert.deepEqual(
      reviews.map((r) => [r.reviewId, r.month, r.delayBucket, r.causes]),
      [
        ['r1', '2018-05', 'on_time', ['product_quality']],
        ['r2', '2018-05', '4-7', ['delay']],
        ['r3', '2018-06', 'not_delivered', ['delay']],
        ['r4', '2018-05', 'on_time', null],
      ],
    );
  });

  it('counts each review once per seller and category of its order', () => {
    const zero = { delay: 0, wrong_or_missing: 0, product_quality: 0, service: 0, other: 0 };
    assert.deepEqual(reviewCauseRows(reviews), [
      { month: '2018-05', category: 'beleza', sellerId: 's2', delayBucket: 'on_time', lowScoreReviews: 1, withText: 1, causes: { ...zero, product_quality: 1 } },
      { month: '2018-05', category: 'moveis', sellerId: 's1', delayBucket: 'on_time', lowScoreReviews: 2, withText: 1, causes: { ...zero, product_quality: 1 } },
      { month: '2018-05', category: 'moveis', sellerId: 's1', delayBucket: '4-7', lowScoreReviews: 1, withText: 1, causes: { ...zero, delay: 1 } },
      { month: '2018-06', category: '(none)', sellerId: 's2', delayBucket: 'not_delivered', lowScoreReviews: 1, withText: 1, causes: { ...zero, delay: 1 } },
    ]);
  });

  it('gives the share of delay among low-score reviews with text, on time vs late vs not delivered', () => {
    assert.deepEqual(delayShares(reviews), [
      { group: 'on_time', lowScoreReviews: 2, withText: 1, delay: 0, delayShare: 0 },
      { group: 'late', lowScoreReviews: 1, withText: 1, delay: 1, delayShare: 1 },
      { group: 'not_delivered', lowScoreReviews: 1, withText: 1, delay: 1, delayShare: 1 },
    ]);
  });
});
