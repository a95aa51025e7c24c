import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplayProgress } from './index.js';
import { ProgressReporter } from './index.js';

function sink(isTTY: boolean): { isTTY: boolean; text: string[]; write: (s: string) => boolean } {
  const text: string[] = [];
  return { isTTY, text, write: (s: string) => text.push(s) > 0 };
}

const at = (appended: number, overrides: Partial<ReplayProgress> = {}): ReplayProgress => ({
  total: 1_000,
  appended,
  alreadyInLog: 0,
  simulatedTime: 1_500_000_000_000,
  elapsedMs: 1_000,
  eventsPerSecond: 250,
  ...overrides,
});

describe('ProgressReporter', () => {
  it('redraws one line on a terminal with the bar, simulated clock, rate and time left', () => {
    const out = sink(true);
    const reporter = new ProgressReporter(out, (ms) => `T${ms}`);
    reporter.update(at(250));
    reporter.update(at(500));
    reporter.finish();
    assert.equal(out.text.length, 3);
    assert.ok(out.text[1]?.startsWith('\r\x1b[2K'), 'redraws in place');
    assert.match(out.text[1] ?? '', /50\.0%/);
    assert.match(out.text[1] ?? '', /500\/1,000/);
    assert.match(out.text[1] ?? '', /sim T1500000000000/);
    assert.match(out.text[1] ?? '', /250 ev\/s/);
    assert.match(out.text[1] ?? '', /ETA 0:02/); // 500 left at 250/s
    assert.equal(out.text[2], '\n');
  });

  it('writes plain lines at most once an interval elsewhere, and always the last one', () => {
    const out = sink(false);
    let now = 0;
    const reporter = new ProgressReporter(out, String, () => now, 5_000);
    reporter.update(at(100));
    now = 1_000;
    reporter.update(at(200));
    now = 6_000;
    reporter.update(at(300));
    now = 6_500;
    reporter.update(at(1_000));
    reporter.finish();
    assert.equal(out.text.length, 3);
    assert.ok(out.text.every((line) => line.startsWith('replay: ') && line.endsWith('\n')));
    assert.match(out.text[2] ?? '', /1000\/1000 events \(100\.0%\)/);
  });

  it('counts events already in the log as done', () => {
    const out = sink(false);
    new ProgressReporter(out, String, () => 0).update(at(100, { alreadyInLog: 900 }));
    assert.match(out.text[0] ?? '', /1000\/1000/);
  });
});
