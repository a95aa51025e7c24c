/** Review and label files for tests of the reviews commands. */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const HEADER = '"review_id","order_id","review_score","review_comment_title","review_comment_message","review_creation_date","review_answer_timestamp"';
const row = (id: string, score: number, title: string, message: string): string => `${id},o-${id},${score},"${title}","${message}",2018-01-01 00:00:00,2018-01-02 00:00:00`;

/**
 * Writes Olist's review file with five reviews: four low-score ones whose causes are plain to read
 * (not received; early but broken; wrong product and no answer; no reason stated) and a 5-star one
 * with no text. Gzipped when `path` ends in `.gz`.
 */
export function writeReviewsCsv(path: string): void {
  const text =
    [
      HEADER,
      row('r1', 1, '', 'Não recebi o produto'),
      row('r2', 2, '', 'Chegou antes do prazo, mas veio quebrado'),
      row('r3', 1, 'Produto errado', 'e ninguém responde'),
      row('r4', 1, '', 'Péssimo'),
      row('r5', 5, '', ''),
    ].join('\n') + '\n';
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(text) : text);
}

/** Writes a labels file (JSON Lines) with these labels. */
export function writeLabels(path: string, labels: readonly { readonly review_id: string; readonly labels: readonly string[]; readonly primary: string }[]): void {
  writeFileSync(path, labels.map((l) => JSON.stringify(l)).join('\n') + '\n');
}
