/**
 * The model's verdicts kept on disk by model and review id, as JSON Lines, so that a rerun sends nothing for
 * a review already answered. Only the model's own answers are kept, never a fallback to the rules.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isCause } from './causes.js';
import type { LlmVerdict } from './llm-answer.js';

export class LlmCache {
  private readonly verdicts = new Map<string, LlmVerdict>();
  /** Lines of the file that could not be read (a line cut by a crash while appending, an edit by hand). */
  readonly unreadableLines: number;
  /** Whether the file ends in the middle of a line (cut by a crash): the next append starts a new one. */
  private cutOff = false;

  constructor(readonly path: string) {
    let unreadable = 0;
    if (existsSync(path)) {
      const content = readFileSync(path, 'utf8');
      this.cutOff = content !== '' && !content.endsWith('\n');
      for (const text of content.split('\n')) {
        if (text.trim() === '') continue;
        const entry = parseLine(text);
        if (entry === null) unreadable++;
        else this.verdicts.set(key(entry.model, entry.reviewId), entry.verdict);
      }
    }
    this.unreadableLines = unreadable;
  }

  get(model: string, reviewId: string): LlmVerdict | undefined {
    return this.verdicts.get(key(model, reviewId));
  }

  /** Keeps the verdicts of one batch, appended to the file at once. */
  put(model: string, entries: readonly { readonly reviewId: string; readonly verdict: LlmVerdict }[]): void {
    if (entries.length === 0) return;
    const lines = entries.map(({ reviewId, verdict }) => {
      this.verdicts.set(key(model, reviewId), verdict);
      return JSON.stringify({ model, review_id: reviewId, causes: verdict.causes, primary: verdict.primary });
    });
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${this.cutOff ? '\n' : ''}${lines.join('\n')}\n`);
    this.cutOff = false;
  }
}

const key = (model: string, reviewId: string): string => `${model}\u0000${reviewId}`;

function parseLine(text: string): { model: string; reviewId: string; verdict: LlmVerdict } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { model, review_id: reviewId, causes, primary } = value as Record<string, unknown>;
  if (typeof model !== 'string' || typeof reviewId !== 'string') return null;
  if (!Array.isArray(causes) || causes.length === 0 || !(causes as unknown[]).every(isCause)) return null;
  if (!isCause(primary) || !causes.includes(primary)) return null;
  return { model, reviewId, verdict: { causes, primary } };
}
