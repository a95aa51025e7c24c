/**
 * The rule classifier: the cue phrases of rules.ts compiled once into regular expressions over the
 * normalised text, and the choice of a primary cause.
 */
import type { Cause } from './causes.js';
import { CAUSES, ROOT_CAUSES } from './causes.js';
import { BOUNDARY, tokenise } from './normalise.js';
import type { CauseRules, Cue } from './rules.js';
import { CAUSE_RULES, FILLERS, NEGATORS } from './rules.js';

/** What a review says, as Olist stores it: a title and a message, either possibly empty. */
export interface ReviewText {
  readonly title: string;
  readonly message: string;
}

export interface Classification {
  /** Every cause found, in the order of CAUSES; `['other']` when none is. */
  readonly causes: readonly Cause[];
  readonly primary: Cause;
  /** For each cause found, the normalised words that showed it (the first match). */
  readonly evidence: Readonly<Partial<Record<Cause, string>>>;
}

const WORD = '[a-z0-9]';
const FILLER_GAP = `(?: (?:${FILLERS.join('|')})){0,3}?`;
const ANY_GAP = `(?: ${WORD}+){0,2}?`;

/** One word of a phrase as a regular expression (without the space before it). */
function wordPattern(word: string): string {
  if (!/^[a-z0-9*()|#[\]]+$/.test(word)) throw new Error(`cue word "${word}" has a character the syntax does not know`);
  return word.replace(/\*/g, `${WORD}*`).replace(/#/g, '[0-9]+').replace(/\(/g, '(?:');
}

/** A phrase as a pattern in which every word starts with its space (the text is matched with a space before it). */
function phrasePattern(phrase: string): string {
  return phrase
    .split(' ')
    .map((word) => {
      if (word === '…') return FILLER_GAP;
      if (word === '~') return ANY_GAP;
      if (word.startsWith('[') && word.endsWith(']')) return `(?: (?:${wordPattern(word.slice(1, -1))}))?`;
      return ` ${wordPattern(word)}`;
    })
    .join('');
}

interface CompiledCue {
  readonly phrase: string;
  readonly pattern: RegExp;
  readonly unless: RegExp | null;
}

interface CompiledRules {
  readonly cause: Cause;
  readonly cues: readonly CompiledCue[];
  readonly negatable: RegExp | null;
}

function compileCue(cue: string | Cue): CompiledCue {
  const { phrase, unless } = typeof cue === 'string' ? { phrase: cue, unless: undefined } : cue;
  return {
    phrase,
    pattern: new RegExp(`${phrasePattern(phrase)}(?!${WORD})`, 'g'),
    unless: unless === undefined || unless.length === 0 ? null : new RegExp(`^${FILLER_GAP}(?:${unless.map(phrasePattern).join('|')})(?!${WORD})`),
  };
}

function compile(rules: CauseRules): CompiledRules {
  return {
    cause: rules.cause,
    cues: rules.phrases.map(compileCue),
    negatable: rules.negatable.length === 0 ? null : new RegExp(`^(?:${rules.negatable.map(wordPattern).join('|')})$`),
  };
}

const COMPILED: readonly CompiledRules[] = CAUSE_RULES.map(compile);
const NEGATOR_SET = new Set(NEGATORS);
const NEGATION_REACH = 3;

interface Hit {
  readonly at: number;
  readonly text: string;
}

/** The first place a cause's cues match in the text, or null. `text` is the tokens joined, with a space before. */
function firstHit(rules: CompiledRules, tokens: readonly string[], text: string): Hit | null {
  let best: Hit | null = null;
  for (const cue of rules.cues) {
    cue.pattern.lastIndex = 0;
    for (let m = cue.pattern.exec(text); m !== null; m = cue.pattern.exec(text)) {
      if (best !== null && m.index >= best.at) break;
      const end = m.index + m[0].length;
      if (cue.unless !== null && cue.unless.test(text.slice(end))) continue;
      best = { at: m.index, text: m[0].trim() };
      break;
    }
  }
  if (rules.negatable !== null) {
    let at = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      if (best !== null && at >= best.at) break;
      if (rules.negatable.test(token) && !negated(tokens, i)) {
        best = { at, text: token };
        break;
      }
      at += token.length + 1;
    }
  }
  return best;
}

/** Whether a negator stands among the few words before token `i`, in the same clause. */
function negated(tokens: readonly string[], i: number): boolean {
  for (let j = i - 1; j >= 0 && j >= i - NEGATION_REACH; j--) {
    const token = tokens[j] as string;
    if (token === BOUNDARY) return false;
    if (NEGATOR_SET.has(token)) return true;
  }
  return false;
}

/** The tokens of a review, title first, with a clause boundary between title and message. */
export function reviewTokens(review: ReviewText): string[] {
  const title = tokenise(review.title);
  const message = tokenise(review.message);
  return title.length > 0 && message.length > 0 ? [...title, BOUNDARY, ...message] : [...title, ...message];
}

/**
 * The causes of a review and its primary cause. Primary: among the causes that concern the goods (delay,
 * wrong or missing, quality) the one the customer mentions first; `service` when only service trouble is
 * stated; `other` when nothing is.
 */
export function classifyReview(review: ReviewText): Classification {
  const tokens = reviewTokens(review);
  const text = ` ${tokens.join(' ')}`;
  const hits = new Map<Cause, Hit>();
  for (const rules of COMPILED) {
    const hit = firstHit(rules, tokens, text);
    if (hit !== null) hits.set(rules.cause, hit);
  }
  return fromHits(hits);
}

/** Causes and primary from the first hit of each cause found. */
function fromHits(hits: ReadonlyMap<Cause, Hit>): Classification {
  if (hits.size === 0) return { causes: ['other'], primary: 'other', evidence: {} };
  const causes = CAUSES.filter((c) => hits.has(c));
  const roots = ROOT_CAUSES.filter((c) => hits.has(c)).sort((a, b) => (hits.get(a)?.at ?? 0) - (hits.get(b)?.at ?? 0));
  const primary = roots[0] ?? (hits.has('service') ? 'service' : 'other');
  const evidence: Partial<Record<Cause, string>> = {};
  for (const [cause, hit] of hits) evidence[cause] = hit.text;
  return { causes, primary, evidence };
}
