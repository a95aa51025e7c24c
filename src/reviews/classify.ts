/**
 * The rule classifier: the cue phrases of rules.ts compiled once into regular expressions over the
 * normalised text, and the choice of a primary cause.
 */
import type { Cause } from './causes.js';
import { CAUSES, ROOT_CAUSES } from './causes.js';
import { BOUNDARY, tokenise } from './normalise.js';
import type { CauseRules, Cue } from './rules.js';
import { CAUSE_RULES, FILLERS, NEGATION_ENDS, NEGATORS, SMALL_WORDS } from './rules.js';

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
const SMALL_GAP = `(?: (?:${SMALL_WORDS.join('|')})){0,3}?`;
const ANY_GAP = `(?: ${WORD}+){0,2}?`;

/** One word of a phrase (`*` and `#` allowed) as a regular expression, without the space before it. */
function wordPattern(word: string): string {
  if (!/^[a-z0-9*#]+$/.test(word)) throw new Error(`cue word "${word}" has a character the phrase syntax does not know`);
  return word.replace(/\*/g, `${WORD}*`).replace(/#/g, '[0-9]+');
}

/** Splits `text` at `separator` where it is outside every ( ) and [ ]. */
function splitTop(text: string, separator: string, phrase: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (depth < 0) throw new Error(`cue "${phrase}": a bracket closes that was not opened`);
    if (c === separator && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  if (depth !== 0) throw new Error(`cue "${phrase}": a bracket is not closed`);
  parts.push(text.slice(from));
  return parts;
}

/**
 * A phrase as a pattern in which every word starts with its space (the text is matched with a space before
 * it). `(a b|c)` is one of several word sequences, `[a|b]` one of them or none.
 */
function phrasePattern(phrase: string, whole: string = phrase): string {
  return splitTop(phrase.trim(), ' ', whole)
    .filter((item) => item !== '')
    .map((item) => {
      if (item === '…') return FILLER_GAP;
      if (item === '~') return ANY_GAP;
      const group = /^\((.*)\)$/.exec(item) ?? /^\[(.*)\]$/.exec(item);
      if (group !== null) {
        const alternatives = splitTop(group[1] as string, '|', whole).map((alt) => phrasePattern(alt, whole));
        return `(?:${alternatives.join('|')})${item.startsWith('[') ? '?' : ''}`;
      }
      return ` ${wordPattern(item)}`;
    })
    .join('');
}

interface CompiledCue {
  readonly phrase: string;
  readonly pattern: RegExp;
  readonly unless: RegExp | null;
  readonly unlessAfter: RegExp | null;
  readonly kind: Cue['kind'] | null;
}

interface CompiledRules {
  readonly cause: Cause;
  readonly cues: readonly CompiledCue[];
  readonly negatable: RegExp | null;
}

function compileCue(cue: string | Cue): CompiledCue {
  const { phrase, unless, unlessAfter, kind } = typeof cue === 'string' ? ({ phrase: cue } as Cue) : cue;
  return {
    phrase,
    kind: kind ?? null,
    unlessAfter: unlessAfter === undefined || unlessAfter.length === 0 ? null : new RegExp(`(?:${unlessAfter.map((u) => phrasePattern(u)).join('|')})(?!${WORD})`),
    pattern: new RegExp(`${phrasePattern(phrase)}(?!${WORD})`, 'g'),
    unless: unless === undefined || unless.length === 0 ? null : new RegExp(`^${SMALL_GAP}(?:${unless.map((u) => phrasePattern(u)).join('|')})(?!${WORD})`),
  };
}

function compile(rules: CauseRules): CompiledRules {
  return {
    cause: rules.cause,
    cues: rules.phrases.map(compileCue),
    negatable: rules.negatable.length === 0 ? null : new RegExp(`^(?:${rules.negatable.map((w) => wordPattern(w)).join('|')})$`),
  };
}

const COMPILED: readonly CompiledRules[] = CAUSE_RULES.map(compile);
const NEGATOR_SET = new Set(NEGATORS);
const NEGATION_END_SET = new Set(NEGATION_ENDS);
const NEGATION_REACH = 3;

interface Hit {
  readonly at: number;
  readonly text: string;
  readonly kind: Cue['kind'] | null;
}

/** The text of the clause that ends at `at` (from the last boundary before it). */
function clauseBefore(text: string, at: number): string {
  return text.slice(text.lastIndexOf(` ${BOUNDARY}`, at) + 1, at);
}

/** Every place a cause's cues match, in no particular order. `text` is the tokens joined, with a space before. */
function hitsOf(rules: CompiledRules, tokens: readonly string[], text: string): Hit[] {
  const hits: Hit[] = [];
  for (const cue of rules.cues) {
    cue.pattern.lastIndex = 0;
    for (let m = cue.pattern.exec(text); m !== null; m = cue.pattern.exec(text)) {
      const end = m.index + m[0].length;
      if (cue.unless !== null && cue.unless.test(text.slice(end))) continue;
      if (cue.unlessAfter !== null && cue.unlessAfter.test(clauseBefore(text, m.index))) continue;
      hits.push({ at: m.index, text: m[0].trim(), kind: cue.kind });
    }
  }
  if (rules.negatable !== null) {
    let at = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      if (rules.negatable.test(token) && !negated(tokens, i)) hits.push({ at, text: token, kind: null });
      at += token.length + 1;
    }
  }
  return hits;
}

/** Whether a negator stands among the few words before token `i`, in the same clause. */
function negated(tokens: readonly string[], i: number): boolean {
  for (let j = i - 1; j >= 0 && j >= i - NEGATION_REACH; j--) {
    const token = tokens[j] as string;
    if (token === BOUNDARY || NEGATION_END_SET.has(token)) return false;
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
  const hits = new Map<Cause, Hit[]>();
  for (const rules of COMPILED) {
    const found = hitsOf(rules, tokens, text);
    if (found.length > 0) hits.set(rules.cause, found);
  }
  // "Recebi só um; o outro não chegou": when part of the order is said to be missing, a bare "not received"
  // is about that part; the review is a delay only if it says so in other words (late, waiting, the date).
  if ((hits.get('wrong_or_missing') ?? []).some((h) => h.kind === 'partial')) {
    const delay = (hits.get('delay') ?? []).filter((h) => h.kind !== 'not_received');
    if (delay.length > 0) hits.set('delay', delay);
    else hits.delete('delay');
  }
  const first = new Map<Cause, Hit>();
  for (const [cause, found] of hits) first.set(cause, found.reduce((a, b) => (b.at < a.at ? b : a)));
  return fromHits(first);
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
