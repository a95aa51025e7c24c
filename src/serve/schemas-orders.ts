import {
  alertChangeRow,
  arrayOf,
  bool,
  errorBody,
  errorResponses,
  idParameter,
  int,
  nullableGrade,
  nullableInt,
  nullableStr,
  object,
  stage,
  str,
  withProvenance,
} from './schemas-common.js';

/** /api/orders/:orderId. */

export const orderSchema = {
  summary: "One order's timeline: its items, events, deadlines and alert changes",
  tags: ['orders'],
  params: { type: 'object', required: ['orderId'], properties: { orderId: idParameter }, additionalProperties: false },
  response: {
    200: withProvenance({
      orderId: str,
      status: nullableStr,
      customerState: nullableStr,
      orderValueCents: nullableInt,
      items: arrayOf(
        object({ productId: str, sellerId: str, category: nullableStr, grade: nullableGrade, priceCents: int, freightCents: int }),
      ),
      // The payload is the event as the log carried it: any JSON object.
      events: arrayOf(object({ eventId: str, type: str, eventTime: str, topic: str, payload: {} })),
      deadlines: arrayOf(object({ stage, due: nullableStr, doneAt: nullableStr, late: bool })),
      alerts: arrayOf(alertChangeRow),
    }),
    404: errorBody,
    ...errorResponses,
  },
} as const;
