import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { ReviewsError, readLabels, readReviews } from './index.js';

const dir = tempDir('orderpulse-reviews-');
after(() => dir.remove());

function labelsFile(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

/** Runs `read` and returns the ReviewsError it throws. */
function refusal(read: () => unknown): ReviewsError {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof ReviewsError, String(error));
    return error;
  }
  assert.fail('no error');
}

describe('readLabels', () => {
  it('reads labels, skipping blank lines, keeping each line number', () => {
    const path = labelsFile('good.jsonl', '{"review_id":"a","labels":["delay","service"],"primary":"delay"}\n\n{"review_id":"b","labels":["other"],"primary":"other"}\n');
    assert.deepEqual(readLabels(path), [
      { reviewId: 'a', labels: ['delay', 'service'], primary: 'delay', line: 1 },
      { reviewId: 'b', labels: ['other'], primary: 'other', line: 3 },
    ]);
  });

  it('names the file and the line of a bad label, and why', () => {
    const ok = '{"review_id":"a","labels":["delay"],"primary":"delay"}\n';
    const cases: [string, RegExp][] = [
      ['{"review_id":"b","labels":["delay"],', /not a JSON object/],
      ['["b"]', /not a JSON object/],
      ['{"labels":["delay"],"primary":"delay"}', /"review_id" must be a non-empty string/],
      ['{"review_id":"b","labels":[],"primary":"delay"}', /"labels" must be a non-empty array/],
      ['{"review_id":"b","labels":["late"],"primary":"delay"}', /unknown cause "late" in "labels"/],
      ['{"review_id":"b","labels":["delay"],"primary":"slow"}', /unknown cause "slow" in "primary"/],
      ['{"review_id":"b","labels":["delay"],"primary":"service"}', /"primary" service is not one of "labels"/],
      ['{"review_id":"a","labels":["other"],"primary":"other"}', /review a is labelled already on line 1/],
    ];
    cases.forEach(([line, why], i) => {
      const path = labelsFile(`bad-${i}.jsonl`, `${ok}${line}\n`);
      const error = refusal(() => readLabels(path));
      assert.equal(error.code, 'OP_REVIEWS_BAD_LABEL');
      assert.ok(error.message.startsWith(`${path}:2: `), error.message);
      assert.match(error.message, why);
      assert.deepEqual(error.details, { path, line: 2 });
    });
  });

  it('refuses a labels file that does not exist', () => {
    const error = refusal(() => readLabels(join(dir.path, 'missing.jsonl')));
    assert.equal(error.code, 'OP_REVIEWS_NO_FILE');
    assert.match(error.message, /missing\.jsonl/);
  });
});

describe('readReviews', () => {
  it('reads titles and messages, with line breaks inside a quoted message', async () => {
    const path = labelsFile(
      'reviews.csv',
      '"review_id","order_id","review_score","review_comment_title","review_comment_message","review_creation_date","review_answer_timestamp"\n' +
        'r1,o1,1,,"Não chegou.\r\nPéssimo",2018-01-01 00:00:00,2018-01-02 00:00:00\n' +
        'r2,o2,x,Título,,2018-01-01 00:00:00,2018-01-02 00:00:00\n',
    );
    assert.deepEqual(await readReviews(path), [
      { reviewId: 'r1', orderId: 'o1', score: 1, title: '', message: 'Não chegou.\r\nPéssimo', line: 2 },
      { reviewId: 'r2', orderId: 'o2', score: null, title: 'Título', message: '', line: 4 },
    ]);
  });

  it('names the columns a reviews file lacks', async () => {
    const path = labelsFile('no-message.csv', 'review_id,order_id,review_score,review_comment_title\nr1,o1,1,x\n');
    await assert.rejects(readReviews(path), (error: unknown) => {
      assert.ok(error instanceof ReviewsError);
      assert.equal(error.code, 'OP_REVIEWS_BAD_HEADER');
      assert.match(error.message, /no-message\.csv: the header lacks review_comment_message/);
      return true;
    });
  });
});
