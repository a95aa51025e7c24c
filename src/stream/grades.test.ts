import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GRADE_WEIGHT, GRADE_WEIGHTS, gradeWeightFrom } from './grades.js';
import type { OrderFacts } from './types.js';

const order = (...productIds: string[]): OrderFacts => ({ orderId: 'o', productIds, sellerIds: [], orderValueCents: 100, estimatedDeliveryDate: '2018-01-01' });

describe('gradeWeightFrom', () => {
  const weight = gradeWeightFrom(new Map([['top', 'A'], ['low', 'E'], ['odd', 'Z']]));

  it('weighs an order as its best-graded product', () => {
    assert.equal(weight(order('low', 'top')), GRADE_WEIGHTS.A);
    assert.equal(weight(order('low')), GRADE_WEIGHTS.E);
  });

  it('gives products without a known grade the default weight', () => {
    assert.equal(weight(order('new')), DEFAULT_GRADE_WEIGHT);
    assert.equal(weight(order('odd')), DEFAULT_GRADE_WEIGHT, 'a grade outside A..E is not a grade');
    assert.equal(weight(order()), DEFAULT_GRADE_WEIGHT);
    assert.equal(weight(order('new', 'low')), GRADE_WEIGHTS.E, 'a known grade wins over none');
  });
});
