/**
 * Review text as the cue rules read it: lower case, no accents, no punctuation, letters repeated for
 * emphasis cut back, and the abbreviations and misspellings customers write most often spelt out.
 *
 * Clause marks (. , ; : ! ? and line breaks) become the token `|`, so that a negation or a cue phrase never
 * reaches across a sentence ("não gostei. chegou quebrado" has no "não … chegou").
 */

/** The clause boundary token. */
export const BOUNDARY = '|';

/**
 * Whole-word abbreviations and chat spellings → the word. "n" alone is "não" in chat Portuguese; "no" is
 * never mapped (it is "in the", as in "no prazo").
 */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  n: 'nao',
  nn: 'nao',
  naum: 'nao',
  nau: 'nao',
  vc: 'voce',
  vcs: 'voces',
  q: 'que',
  pq: 'porque',
  oq: 'o que',
  pk: 'porque',
  msm: 'mesmo',
  tb: 'tambem',
  tbm: 'tambem',
  td: 'tudo',
  hj: 'hoje',
  qdo: 'quando',
  qnd: 'quando',
  qndo: 'quando',
  mt: 'muito',
  mto: 'muito',
  mts: 'muitos',
  dps: 'depois',
  ngm: 'ninguem',
  nd: 'nada',
  agr: 'agora',
  p: 'para',
  pra: 'para',
  pro: 'para',
  ta: 'esta',
  to: 'estou',
  kd: 'cade',
  prod: 'produto',
  msg: 'mensagem',
  obs: 'observacao',
  // Misspellings seen as whole words.
  chego: 'chegou',
  xegou: 'chegou',
  recebii: 'recebi',
  pesimo: 'pessimo',
  pessimu: 'pessimo',
  ruin: 'ruim',
};

/**
 * Misspelt word beginnings → the right one, so that one cue stem covers every ending ("atrazou",
 * "atrazado" → "atras…"; "reembolço" loses its cedilla to "reembolco").
 */
const STEM_FIXES: readonly (readonly [wrong: string, right: string])[] = [
  ['atraz', 'atras'],
  ['atrass', 'atras'],
  ['reembolc', 'reembols'],
  ['rembols', 'reembols'],
  ['estravi', 'extravi'],
  ['esxtravi', 'extravi'],
  ['exstravi', 'extravi'],
  ['entrege', 'entregue'],
  ['entreque', 'entregue'],
  ['defeto', 'defeito'],
  ['difeito', 'defeito'],
  ['resposa', 'resposta'],
  ['devoluss', 'devoluc'],
  ['devolusa', 'devoluca'],
  ['produdo', 'produto'],
  ['rastrio', 'rastreio'],
];

const CLAUSE_MARKS = /[.,;:!?\n\r()]+/g;
const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** Cuts a letter repeated three times or more: "muitooo" → "muito"; rr and ss stay double ("carrro" → "carro"). */
function cutRepeats(word: string): string {
  return word.replace(/([a-z])\1{2,}/g, (_run, letter: string) => (letter === 'r' || letter === 's' ? letter + letter : letter));
}

function fixWord(word: string): string {
  const cut = cutRepeats(word);
  const whole = ABBREVIATIONS[cut];
  if (whole !== undefined) return whole;
  for (const [wrong, right] of STEM_FIXES) if (cut.startsWith(wrong)) return right + cut.slice(wrong.length);
  return cut;
}

/** The tokens of a text: normalised words and `|` between clauses (never two in a row, none at either end). */
export function tokenise(text: string): string[] {
  const plain = text
    .toLowerCase()
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(CLAUSE_MARKS, ` ${BOUNDARY} `)
    .replace(/[^a-z0-9| ]+/g, ' ');
  const tokens: string[] = [];
  for (const raw of plain.split(' ')) {
    if (raw === '') continue;
    if (raw === BOUNDARY) {
      if (tokens.length > 0 && tokens[tokens.length - 1] !== BOUNDARY) tokens.push(BOUNDARY);
      continue;
    }
    // An abbreviation may stand for more than one word ("oq" → "o que").
    tokens.push(...fixWord(raw).split(' '));
  }
  while (tokens[tokens.length - 1] === BOUNDARY) tokens.pop();
  return tokens;
}

/** The tokens joined by single spaces: the string the cue patterns are matched against. */
export function normalise(text: string): string {
  return tokenise(text).join(' ');
}
