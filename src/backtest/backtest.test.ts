import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OlistDataset } from '../data/index.js';
import { loadOlist, parseLocalDateTime } from '../data/index.js';
import { sampleDir } from '../testing/fixtures.js';
import { instant, isLate, oracle } from '../testing/olist-oracle.js';
import type { BacktestReport } from './backtest.js';
import { backtest, trainingDeliveries } from './backtest.js';
import { quantileOf, rocAuc, ruleOutcome } from './measures.js';

const DAY = 86_400_000;

describe('backtest measures', () => {
  it('ROC AUC: the share of (late, on-time) pairs ranked right, ties half', () => {
    assert.equal(rocAuc([{ score: 0.9, late: true }, { score: 0.1, late: false }]), 1);
    assert.equal(rocAuc([{ score: 0.1, late: true }, { score: 0.9, late: false }]), 0);
    assert.equal(rocAuc([{ score: 0.5, late: true }, { score: 0.5, late: false }]), 0.5);
    // Pairs: (0.8 > 0.3) (0.8 > 0.6) (0.4 > 0.3) (0.4 < 0.6): 3 of 4.
    assert.equal(rocAuc([{ score: 0.8, late: true }, { score: 0.4, late: true }, { score: 0.3, late: false }, { score: 0.6, late: false }]), 0.75);
    assert.equal(rocAuc([{ score: 0.8, late: true }]), null, 'no on-time order');
  });

  it('quantiles interpolate between order statistics', () => {
    assert.equal(quantileOf([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantileOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.1), 2);
    assert.equal(quantileOf([], 0.5), null);
  });

  it('a rule: alerts, true and false positives, recall and warning before the deadline', () => {
    const deadline = 10 * DAY;
    const r = ruleOutcome(
      'r',
      [
        { late: true, deadline, alertAt: 7 * DAY },
        { late: true, deadline, alertAt: 9.5 * DAY },
        { late: true, deadline, alertAt: null },
        { late: false, deadline, alertAt: 1 * DAY },
        { late: false, deadline, alertAt: null },
      ],
      2,
    );
    assert.deepEqual(
      { ...r },
      { rule: 'r', alerts: 3, truePositives: 2, falsePositives: 1, precision: 2 / 3, recall: 2 / 3, caughtEarly: 1, recallEarly: 1 / 3, warningMedianDays: 1.75, warningP10Days: 0.5 + 0.1 * 2.5 },
    );
  });
});

describe('backtest on the sample: train before 2018-03-01, test from then on', () => {
  let dataset: OlistDataset;
  let report: BacktestReport;
  const cut = '2018-03-01 00:00:00';
  const o = oracle();

  before(async () => {
    dataset = await loadOlist(sampleDir);
    report = backtest(dataset, { trainUntil: parseLocalDateTime('2018-03-01') });
  });

  it('learns from the orders delivered before the cut only, and judges the test orders by their delivery', () => {
    const training = o.orders.filter((x) => x.status === 'delivered' && x.approved !== '' && x.carrier !== '' && x.delivered !== '' && x.delivered < cut);
    const test = o.orders.filter((x) => x.purchase >= cut);
    const judged = test.filter((x) => x.status === 'delivered' && x.delivered !== '');
    const late = judged.filter(isLate);
    assert.equal(report.trainingOrders, training.length);
    assert.equal(report.testOrders, test.length);
    assert.equal(report.judgedOrders, judged.length);
    assert.equal(report.lateOrders, late.length);
    assert.ok(late.length > 100, `the test period has late orders (${late.length})`);
  });

  it('the deadline rules and the handoff baseline match the late orders counted from the files', () => {
    const judged = o.orders.filter((x) => x.purchase >= cut && x.status === 'delivered' && x.delivered !== '');
    const limit = (id: string): number | null => {
      const limits = (o.itemsOf.get(id) ?? []).map((i) => instant(i.limit));
      return limits.length === 0 ? null : Math.min(...limits);
    };
    const handoffLate = judged.filter((x) => {
      const l = limit(x.id);
      return l !== null && instant(x.carrier === '' ? x.delivered : x.carrier) > l;
    });
    const byRule = new Map(report.rules.map((r) => [r.rule, r]));
    const baseline = byRule.get('baseline: late seller handoff');
    assert.equal(baseline?.alerts, handoffLate.length);
    assert.equal(baseline?.truePositives, handoffLate.filter(isLate).length);
    // The stream's handoff rule fires on the same orders; the delivery rule on exactly the late ones, at their deadline.
    assert.equal(byRule.get('handoff_overdue')?.truePositives, baseline?.truePositives);
    const delivery = byRule.get('delivery_overdue');
    assert.equal(delivery?.alerts, report.lateOrders);
    assert.equal(delivery?.truePositives, report.lateOrders);
    assert.equal(delivery?.caughtEarly, 0, 'it fires when the estimated day is over: no warning');
  });

  it('the risk rule warns ahead: per threshold, fewer alerts and more precision as it rises', () => {
    const risk = report.rules.find((r) => r.rule === 'delivery_at_risk');
    assert.ok(risk !== undefined);
    assert.ok(risk.truePositives <= report.lateOrders);
    for (let i = 1; i < report.sweep.length; i++) {
      const lower = report.sweep[i - 1]!;
      const higher = report.sweep[i]!;
      assert.ok(higher.alerts <= lower.alerts, `alerts fall from ${lower.threshold} to ${higher.threshold}`);
      assert.ok(higher.caughtEarly <= lower.caughtEarly);
    }
    assert.ok(report.aucAtHandoff.auc !== null && report.aucAtHandoff.auc > 0.5, 'P(late) at handoff ranks better than chance');
    assert.ok(report.aucAtHandoff.orders <= report.judgedOrders);
  });

  it('learns nothing from after the cut: changing every later delivery changes no training row', () => {
    const cutMs = parseLocalDateTime('2018-03-01');
    const later = (t: number | null): number | null => (t !== null && t >= cutMs ? t + 30 * DAY : t);
    const rewritten: OlistDataset = {
      ...dataset,
      orders: dataset.orders.map((x) => ({ ...x, deliveredToCarrierAt: later(x.deliveredToCarrierAt), deliveredToCustomerAt: later(x.deliveredToCustomerAt) })),
    };
    const original = trainingDeliveries(dataset, cutMs);
    assert.deepEqual(trainingDeliveries(rewritten, cutMs), original);
    assert.ok(original.length > 1000);
  });

  it('answers what-if for the deadline rules: a shorter approval deadline raises more approval alerts', () => {
    const short = backtest(dataset, { trainUntil: parseLocalDateTime('2018-03-01'), thresholds: [0.5], stream: { approvalHours: 24 } });
    const approval = (r: BacktestReport) => r.rules.find((x) => x.rule === 'approval_overdue');
    // Independently: delivered test orders approved more than 24 h after the purchase (or never, with a later step).
    const cut = '2018-03-01 00:00:00';
    const judged = o.orders.filter((x) => x.purchase >= cut && x.status === 'delivered' && x.delivered !== '');
    const firstStep = (x: (typeof judged)[number]): number => Math.min(...[x.approved, x.carrier, x.delivered].filter((t) => t !== '').map(instant));
    const slow = judged.filter((x) => firstStep(x) > instant(x.purchase) + 24 * 3_600_000);
    assert.equal(approval(short)?.alerts, slow.length);
    assert.ok((approval(short)?.alerts ?? 0) > (approval(report)?.alerts ?? 0));
  });

  it('refuses a test period overlapping the training and thresholds outside (0, 1)', () => {
    assert.throws(() => backtest(dataset, { trainUntil: parseLocalDateTime('2018-03-01'), testFrom: parseLocalDateTime('2018-02-01') }), /at or after the training cut/);
    assert.throws(() => backtest(dataset, { trainUntil: parseLocalDateTime('2018-03-01'), thresholds: [1.5] }), /strictly between 0 and 1/);
    assert.throws(() => backtest(dataset, { trainUntil: parseLocalDateTime('2015-01-01') }), /nothing to learn from/);
    assert.throws(() => backtest(dataset, { trainUntil: parseLocalDateTime('2018-03-01'), testUntil: parseLocalDateTime('2018-03-01') }), /end after it starts/);
  });
});
