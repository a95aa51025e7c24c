/** The closed set of causes a low-score review is put down to. */
export const CAUSES = ['delay', 'wrong_or_missing', 'product_quality', 'service', 'other'] as const;

/**
 * - `delay`: late, not arrived yet, never arrived (lost, sent back).
 * - `wrong_or_missing`: the wrong product, colour, size or model came; part of the order is missing.
 * - `product_quality`: defective, broken, does not work, poor quality, not as described.
 * - `service`: no answer, refund, exchange, return or cancellation trouble, billing and invoices.
 * - `other`: no reason stated (or none of the above).
 */
export type Cause = (typeof CAUSES)[number];

export function isCause(value: unknown): value is Cause {
  return typeof value === 'string' && (CAUSES as readonly string[]).includes(value);
}

/**
 * The causes that are something that went wrong with the goods themselves. `service` trouble is most often
 * what followed one of them (the customer asks for a refund BECAUSE the parcel never came), so it is the
 * primary cause only when none of these is stated.
 */
export const ROOT_CAUSES: readonly Cause[] = ['delay', 'wrong_or_missing', 'product_quality'];
