/**
 * The two baselines the classifier is measured against, the same way: what a plain keyword count would
 * say, and what "it is always the delivery" would say.
 */
import type { Cause } from './causes.js';
import { CAUSES } from './causes.js';
import type { Classification, ReviewText } from './classify.js';
import { reviewTokens } from './classify.js';

/**
 * One list of plain keywords per cause, matched as whole normalised words with no regard to negation or
 * context: "chegou antes do prazo" counts as a delay here ("prazo", "chegou").
 */
export const BASELINE_KEYWORDS: Readonly<Record<Exclude<Cause, 'other'>, readonly string[]>> = {
  delay: ['atraso', 'atrasado', 'atrasada', 'atrasou', 'prazo', 'demora', 'demorou', 'chegou', 'recebi', 'entrega', 'entregue'],
  wrong_or_missing: ['errado', 'errada', 'trocado', 'diferente', 'faltando', 'faltou', 'falta', 'incompleto'],
  product_quality: ['defeito', 'quebrado', 'quebrou', 'qualidade', 'danificado', 'funciona', 'ruim'],
  service: ['reembolso', 'estorno', 'devolucao', 'troca', 'cancelamento', 'resposta', 'atendimento', 'contato'],
};

/** Causes by keyword; primary: the cause whose keyword comes first. */
export function classifyByKeywords(review: ReviewText): Classification {
  const tokens = reviewTokens(review);
  const first = new Map<Cause, number>();
  tokens.forEach((token, at) => {
    for (const [cause, words] of Object.entries(BASELINE_KEYWORDS) as [Cause, readonly string[]][]) {
      if (!first.has(cause) && words.includes(token)) first.set(cause, at);
    }
  });
  if (first.size === 0) return { causes: ['other'], primary: 'other', evidence: {} };
  const causes = CAUSES.filter((c) => first.has(c));
  const primary = [...first.entries()].sort((a, b) => a[1] - b[1])[0]?.[0] ?? 'other';
  return { causes, primary, evidence: {} };
}

/** Every review is a delay. */
export function classifyAllDelay(): Classification {
  return { causes: ['delay'], primary: 'delay', evidence: {} };
}
