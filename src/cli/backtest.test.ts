import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repoRoot, sampleDir } from '../testing/fixtures.js';
import { isLate, oracle } from '../testing/olist-oracle.js';
import { runCli } from './run-for-test.js';

const run = (args: string[]) => runCli(args, { env: {}, cwd: repoRoot });

describe('orderpulse backtest', () => {
  it('prints each rule, the sweep and the AUC, and as JSON the counts of the test period', async () => {
    const cut = '2018-03-01';
    const text = await run(['backtest', '--data', sampleDir, '--train-until', cut, '--threshold', '0.3', '0.6']);
    assert.equal(text.code, 0, text.err);
    for (const part of ['delivery_at_risk', 'handoff_overdue', 'baseline: late seller handoff', 'ROC AUC of P(late) at approval']) assert.ok(text.out.includes(part), `shows ${part}`);
    const json = await run(['backtest', '--data', sampleDir, '--train-until', cut, '--test-until', '2018-05-01', '--threshold', '0.3', '--json']);
    assert.equal(json.code, 0, json.err);
    const report = JSON.parse(json.out) as { testOrders: number; lateOrders: number; sweep: { threshold: number }[] };
    const test = oracle().orders.filter((o) => o.purchase >= `${cut} 00:00:00` && o.purchase < '2018-05-01 00:00:00');
    assert.equal(report.testOrders, test.length);
    assert.equal(report.lateOrders, test.filter((o) => o.status === 'delivered' && o.delivered !== '' && isLate(o)).length);
    assert.deepEqual(report.sweep.map((s) => s.threshold), [0.3, 0.6], 'the threshold asked for and the default');
  });

  it('refuses a bad date, a probability outside (0, 1) and a test period before the cut', async () => {
    const date = await run(['backtest', '--data', sampleDir, '--train-until', '2018-02-30']);
    assert.equal(date.code, 2);
    assert.match(date.err, /--train-until takes a real local date/);
    const p = await run(['backtest', '--data', sampleDir, '--train-until', '2018-03-01', '--threshold', '1.2']);
    assert.equal(p.code, 2);
    assert.match(p.err, /--threshold takes probabilities strictly between 0 and 1/);
    const early = await run(['backtest', '--data', sampleDir, '--train-until', '2018-03-01', '--test-from', '2018-01-01']);
    assert.equal(early.code, 1);
    assert.match(early.err, /at or after the training cut/);
  });
});
