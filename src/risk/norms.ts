import type { OrderPosition, RiskEstimate, RiskEstimator } from './model.js';

/** The seller-state name of an order whose sellers are in several states, as the gold tables say. */
export const MULTI_STATE = 'multi';
/** The seller-state name of an order with a seller whose state is not known (its route has no norms of its own). */
export const UNKNOWN_STATE = 'unknown';

/**
 * What the stream needs to price an order's risk: the model, and the sellers' states its routes are
 * named by. Orders carry seller ids only; the states come with the model from the batch layer, so
 * both are of the same moment (a seller the batch layer has not seen yet is `unknown`, and its
 * orders fall back to their customer state's norms).
 */
export class RiskNorms implements RiskEstimator {
  readonly #model: RiskEstimator;
  readonly #sellerStates: ReadonlyMap<string, string>;

  constructor(model: RiskEstimator, sellerStates: ReadonlyMap<string, string>) {
    this.#model = model;
    this.#sellerStates = sellerStates;
  }

  /** The state of the order's sellers: theirs when they share one, `multi` for several, `unknown` for an unknown seller. */
  sellerStateOf(sellerIds: readonly string[]): string {
    let state: string | null = null;
    for (const id of sellerIds) {
      const s = this.#sellerStates.get(id);
      if (s === undefined) return UNKNOWN_STATE;
      if (state !== null && s !== state) return MULTI_STATE;
      state = s;
    }
    return state ?? UNKNOWN_STATE;
  }

  estimate(position: OrderPosition): RiskEstimate {
    return this.#model.estimate(position);
  }
}
