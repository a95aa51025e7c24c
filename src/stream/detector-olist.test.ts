import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OlistDataset } from '../data/index.js';
import { endOfLocalDay, formatLocal, loadOlist } from '../data/index.js';
import { olistEvents } from '../events/index.js';
import { sampleDir } from '../testing/fixtures.js';
import { DelayDetector } from './detector.js';
import type { AlertChange, Rule } from './types.js';
import { RULES, RULE_NAMES } from './types.js';

/**
 * Acceptance: the real sample replayed through the detector in event-time order flags exactly the
 * orders the data says were delivered late, and flagged each of them while it was still undelivered.
 */
describe('DelayDetector on the Olist sample', () => {
  let dataset: OlistDataset;
  const changes: AlertChange[] = [];
  let detector: DelayDetector;
  const deliveredAt = new Map<string, number>();

  before(async () => {
    dataset = await loadOlist(sampleDir);
    detector = new DelayDetector();
    const events = olistEvents(dataset);
    for (const event of events) {
      if (event.type === 'OrderDelivered') deliveredAt.set(event.orderId, event.eventTime);
      changes.push(...detector.process(event));
    }
    changes.push(...detector.advanceWatermark(Date.UTC(2030, 0, 1)));
  });

  it('emits delivered_late for exactly the orders delivered on a later local day than estimated', () => {
    const expected = new Set(
      dataset.orders
        .filter(
          (o) => o.deliveredToCustomerAt !== null && formatLocal(o.deliveredToCustomerAt).slice(0, 10) > o.estimatedDeliveryDate,
        )
        .map((o) => o.orderId),
    );
    const deliveredStatusLate = dataset.orders.filter(
      (o) => o.status === 'delivered' && o.deliveredToCustomerAt !== null && o.deliveredToCustomerAt >= endOfLocalDay(o.estimatedDeliveryDate),
    ).length;
    assert.equal(deliveredStatusLate, 854, 'the data docs: 854 delivered orders arrived on a later local day');
    const finals = changes.filter((c) => c.alert.rule === RULES.deliveredLate);
    assert.ok(finals.every((c) => c.kind === 'final'));
    const flagged = new Set(finals.map((c) => c.alert.orderId));
    assert.equal(finals.length, flagged.size, 'one delivered_late per order');
    assert.deepEqual([...flagged].sort(), [...expected].sort());
    for (const c of finals) {
      assert.ok(c.alert.daysLate !== null && c.alert.daysLate >= 1);
    }
  });

  it('opened delivery_overdue for each late order before (in event time) its delivery', () => {
    const finals = changes.filter((c) => c.alert.rule === RULES.deliveredLate);
    const openedAt = new Map<string, { at: number; index: number }>();
    changes.forEach((c, index) => {
      if (c.kind === 'opened' && c.alert.rule === RULES.deliveryOverdue) openedAt.set(c.alert.orderId, { at: c.alert.openedAt, index });
    });
    for (const c of finals) {
      const opened = openedAt.get(c.alert.orderId);
      const delivered = deliveredAt.get(c.alert.orderId);
      assert.ok(opened !== undefined && delivered !== undefined, c.alert.orderId);
      assert.ok(opened.at < delivered, `${c.alert.orderId}: opened ${opened.at} vs delivered ${delivered}`);
      assert.ok(opened.index < changes.indexOf(c), 'emitted before the final record');
    }
    // No order ever gets a delivery_overdue alert without being late or never delivered.
    for (const [orderId] of openedAt) {
      const delivered = deliveredAt.get(orderId);
      if (delivered !== undefined) assert.ok(finals.some((c) => c.alert.orderId === orderId), orderId);
    }
  });

  it('reports the counts of each rule', () => {
    const counts = Object.fromEntries(RULE_NAMES.map((r) => [r, 0])) as Record<Rule, number>;
    for (const c of changes) if (c.kind === 'opened' || c.kind === 'final') counts[c.alert.rule]++;
    const stats = detector.stats();
    assert.deepEqual(stats.alertsByRule, counts);
    assert.equal(stats.late, 0, 'events in event-time order are never late');
    assert.equal(stats.duplicates, 0);
    const byKind = { ...stats.changes };
    console.log(`# alerts by rule ${JSON.stringify(counts)}; changes ${JSON.stringify(byKind)}; open at end ${stats.openAlerts}; orders held ${stats.ordersInState}, dropped ${stats.ordersDropped}`);
    // Everything still open at the end is an order that never finished.
    for (const alert of detector.openAlerts()) {
      const order = dataset.orders.find((o) => o.orderId === alert.orderId);
      assert.ok(order !== undefined && order.deliveredToCustomerAt === null && order.status !== 'canceled' && order.status !== 'unavailable');
    }
    assert.ok(counts.approval_overdue > 0 && counts.handoff_overdue > 0 && counts.delivery_overdue >= counts.delivered_late);
  });

  it('is deterministic', () => {
    const again = new DelayDetector();
    const second: AlertChange[] = [];
    for (const event of olistEvents(dataset)) second.push(...again.process(event));
    second.push(...again.advanceWatermark(Date.UTC(2030, 0, 1)));
    assert.deepEqual(second, changes);
  });
});
