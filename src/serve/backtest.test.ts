import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatLocal, loadOlist, parseLocalDateTime } from '../data/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { olistBacktest, trainingCut } from './backtest.js';

describe('the backtest the API serves', () => {
  it('cuts training at the first day of the month six months before the newest purchase (São Paulo time)', () => {
    assert.equal(trainingCut(parseLocalDateTime('2018-09-03 10:00:00')), parseLocalDateTime('2018-03-01'));
    assert.equal(trainingCut(parseLocalDateTime('2018-01-31 23:30:00')), parseLocalDateTime('2017-07-01'));
    // 02:30 UTC on 1 June is still 31 May in São Paulo.
    assert.equal(trainingCut(Date.UTC(2018, 5, 1, 2, 30)), parseLocalDateTime('2017-11-01'));
    assert.equal(trainingCut(parseLocalDateTime('2018-06-15'), 12), parseLocalDateTime('2017-06-01'));
  });

  it('replays the sample trained before 2018-03-01, its newest purchase being in September 2018', async () => {
    const dataset = await loadOlist(sampleDir);
    const newest = Math.max(...dataset.orders.map((o) => o.purchasedAt));
    assert.equal(formatLocal(newest).slice(0, 7), '2018-09', 'the sample ends in September 2018');
    const answer = await olistBacktest(sampleDir).answer();
    assert.ok(answer.available);
    assert.equal(answer.trainUntil, new Date(parseLocalDateTime('2018-03-01')).toISOString());
    // Orders placed from the cut, counted from the CSVs here.
    assert.equal(answer.testOrders, dataset.orders.filter((o) => o.purchasedAt >= parseLocalDateTime('2018-03-01')).length);
    assert.deepEqual(answer.rules.map((r) => r.rule), ['approval_overdue', 'handoff_overdue', 'delivery_overdue', 'deadline rules (any)', 'baseline: late seller handoff', 'delivery_at_risk']);
    assert.ok(answer.sweep.some((r) => r.threshold === answer.riskThreshold));
  });

  it('says why when there are no Olist files, and computes again after a failure', async () => {
    const dir = tempDir();
    try {
      const missing = join(dir.path, 'nowhere');
      const answer = await olistBacktest(missing).answer();
      assert.deepEqual(answer, { available: false, reason: `no Olist files at ${missing} (the --data setting) to replay` });
      const broken = olistBacktest(dir.path);
      await assert.rejects(broken.answer(), /orders|csv|file/i);
      await assert.rejects(broken.answer(), /orders|csv|file/i, 'a failed computation is not kept');
    } finally {
      dir.remove();
    }
  });
});
