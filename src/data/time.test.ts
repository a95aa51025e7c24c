import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  endOfLocalDay,
  formatLocal,
  parseLocalDate,
  parseLocalDateTime,
  parseLocalTimestamp,
  SAO_PAULO_TIME_ZONE,
} from './time.js';

const utc = (iso: string): number => Date.parse(iso);

describe('parseLocalTimestamp', () => {
  it('reads standard time as UTC-3', () => {
    assert.equal(parseLocalTimestamp('2017-10-02 10:56:33'), utc('2017-10-02T13:56:33Z'));
    assert.equal(parseLocalTimestamp('2019-11-03 12:00:00'), utc('2019-11-03T15:00:00Z')); // no DST since 2019
  });

  it('reads Brazilian daylight time (2017-10-15 to 2018-02-18) as UTC-2', () => {
    assert.equal(parseLocalTimestamp('2018-01-10 12:00:00'), utc('2018-01-10T14:00:00Z'));
    assert.equal(parseLocalTimestamp('2016-12-24 18:30:00'), utc('2016-12-24T20:30:00Z'));
    assert.equal(parseLocalTimestamp('2018-12-01 09:00:00'), utc('2018-12-01T11:00:00Z'));
  });

  it('shifts a nonexistent time (spring-forward gap at midnight) forward by the gap', () => {
    assert.equal(parseLocalTimestamp('2017-10-14 23:59:59'), utc('2017-10-15T02:59:59Z'));
    assert.equal(parseLocalTimestamp('2017-10-15 00:30:00'), utc('2017-10-15T03:30:00Z'));
    assert.equal(formatLocal(utc('2017-10-15T03:30:00Z')), '2017-10-15 01:30:00');
    // 00:00 does not exist either: it is the same instant as 01:00.
    assert.equal(parseLocalTimestamp('2017-10-15 00:00:00'), utc('2017-10-15T03:00:00Z'));
    assert.equal(parseLocalTimestamp('2017-10-15 01:00:00'), utc('2017-10-15T03:00:00Z'));
    assert.equal(parseLocalTimestamp('2016-10-16 00:15:00'), utc('2016-10-16T03:15:00Z'));
    assert.equal(parseLocalTimestamp('2018-11-04 00:59:59'), utc('2018-11-04T03:59:59Z'));
  });

  it('takes the earlier instant (still daylight time, UTC-2) for an ambiguous fall-back time', () => {
    assert.equal(parseLocalTimestamp('2018-02-17 22:59:59'), utc('2018-02-18T00:59:59Z'));
    assert.equal(parseLocalTimestamp('2018-02-17 23:30:00'), utc('2018-02-18T01:30:00Z'));
    assert.equal(parseLocalTimestamp('2018-02-18 00:00:00'), utc('2018-02-18T03:00:00Z'));
    // Both instants of the repeated hour read 23:30 locally.
    assert.equal(formatLocal(utc('2018-02-18T01:30:00Z')), '2018-02-17 23:30:00');
    assert.equal(formatLocal(utc('2018-02-18T02:30:00Z')), '2018-02-17 23:30:00');
    // A real Olist purchase in the 2017 repeated hour.
    assert.equal(parseLocalTimestamp('2017-02-18 23:26:24'), utc('2017-02-19T01:26:24Z'));
  });

  it('rejects what is not a real YYYY-MM-DD HH:MM:SS', () => {
    for (const text of [
      '',
      '2017-13-45 10:00:00',
      '2017-02-29 10:00:00',
      '2017-04-31 10:00:00',
      '2017-10-02 24:00:00',
      '2017-10-02 10:60:00',
      '2017-10-02 10:00:60',
      '2017-10-02T10:56:33',
      '2017-10-02 10:56',
      ' 2017-10-02 10:56:33',
      '2017-10-02 10:56:33 ',
      '2017/10/02 10:56:33',
      '2017-1a-02 10:56:33',
      '2017-10-02',
    ]) {
      assert.equal(parseLocalTimestamp(text), null, text);
    }
    assert.equal(parseLocalTimestamp('2016-02-29 10:00:00'), utc('2016-02-29T13:00:00Z'));
  });

  it('agrees with Intl for every hour from 2016 to 2019 (formatLocal ∘ parse is the identity outside the gaps)', () => {
    const check = new Intl.DateTimeFormat('sv-SE', {
      timeZone: SAO_PAULO_TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    let repeated = 0;
    for (let ms = utc('2016-01-01T00:17:05Z'); ms < utc('2019-12-31T00:00:00Z'); ms += 3_600_000) {
      const local = formatLocal(ms);
      assert.equal(local, check.format(ms), `formatLocal(${new Date(ms).toISOString()})`);
      const back = parseLocalTimestamp(local);
      if (back !== ms) {
        // Only the second pass through a fall-back hour maps to the earlier instant.
        assert.equal(back, ms - 3_600_000, local);
        repeated++;
      }
    }
    assert.equal(repeated, 4); // 23:xx on 2016-02-20, 2017-02-18, 2018-02-17 and 2019-02-16 (the last DST end)
  });
});

describe('parseLocalDate', () => {
  it('accepts YYYY-MM-DD and YYYY-MM-DD 00:00:00', () => {
    assert.equal(parseLocalDate('2017-10-18 00:00:00'), '2017-10-18');
    assert.equal(parseLocalDate('2017-10-18'), '2017-10-18');
    assert.equal(parseLocalDate('2016-02-29'), '2016-02-29');
  });

  it('rejects a time of day, impossible dates and other shapes', () => {
    for (const text of ['2017-10-18 10:00:00', '2017-02-29', '2017-00-10', '2017-10-18 00:00', '18/10/2017', '']) {
      assert.equal(parseLocalDate(text), null, text);
    }
  });
});

describe('endOfLocalDay', () => {
  it('is the first instant of the next local day', () => {
    assert.equal(endOfLocalDay('2017-10-02'), utc('2017-10-03T03:00:00Z'));
    assert.equal(endOfLocalDay('2017-10-18'), utc('2017-10-19T02:00:00Z')); // in daylight time
    assert.equal(endOfLocalDay('2017-12-31'), utc('2018-01-01T02:00:00Z'));
    assert.equal(endOfLocalDay('2018-02-16'), utc('2018-02-17T02:00:00Z'));
  });

  it('handles the days around the changes', () => {
    // 2017-10-15 starts at 01:00 (midnight does not exist).
    assert.equal(endOfLocalDay('2017-10-14'), utc('2017-10-15T03:00:00Z'));
    assert.equal(formatLocal(endOfLocalDay('2017-10-14')), '2017-10-15 01:00:00');
    // 2018-02-17 lasts 25 hours; 2018-02-18 starts at 00:00 standard time.
    assert.equal(endOfLocalDay('2018-02-17'), utc('2018-02-18T03:00:00Z'));
    assert.equal(endOfLocalDay('2018-02-17') - endOfLocalDay('2018-02-16'), 25 * 3_600_000);
    assert.equal(endOfLocalDay('2017-10-15') - endOfLocalDay('2017-10-14'), 23 * 3_600_000);
  });

  it('makes a delivery on the estimated day on time and one at the next midnight late', () => {
    const deadline = endOfLocalDay('2017-10-18');
    assert.ok((parseLocalTimestamp('2017-10-18 23:59:59') as number) < deadline);
    assert.ok((parseLocalTimestamp('2017-10-19 00:00:00') as number) >= deadline);
  });

  it('throws a RangeError for a bad date', () => {
    assert.throws(() => endOfLocalDay('2017-02-30'), RangeError);
    assert.throws(() => endOfLocalDay('2017-10-18 00:00:00'), RangeError);
  });
});

describe('parseLocalDateTime', () => {
  it('reads a date as the start of that local day and a timestamp as itself', () => {
    assert.equal(parseLocalDateTime('2018-03-01'), utc('2018-03-01T03:00:00Z'));
    assert.equal(parseLocalDateTime('2017-10-15'), utc('2017-10-15T03:00:00Z'));
    assert.equal(parseLocalDateTime('2018-01-10 12:00:00'), utc('2018-01-10T14:00:00Z'));
    assert.throws(() => parseLocalDateTime('2018-03-32'), RangeError);
    assert.throws(() => parseLocalDateTime('yesterday'), RangeError);
  });
});

describe('formatLocal', () => {
  it('drops milliseconds and pads', () => {
    assert.equal(formatLocal(utc('2017-01-05T03:04:05.999Z')), '2017-01-05 01:04:05');
    assert.equal(formatLocal(0), '1969-12-31 21:00:00');
  });
});
