import {
  UF_PATTERN,
  arrayOf,
  errorBody,
  errorResponses,
  idParameter,
  int,
  nullableNum,
  object,
  pageProperties,
  querystring,
  stage,
  str,
  withProvenance,
} from './schemas-common.js';

/** /api/sellers and /api/sellers/:sellerId. */

export const SELLER_SORTS = ['orders', 'onTimeRate', 'lateDeliveries', 'meanReviewScore', 'trend'] as const;

const sellerRow = object({
  sellerId: str,
  sellerState: str,
  orders: int,
  handoffs: int,
  onTimeRate: nullableNum,
  medianSlackHours: nullableNum,
  deliveredOrders: int,
  lateDeliveries: int,
  reviews: int,
  meanReviewScore: nullableNum,
  recentOnTimeRate: nullableNum,
  priorOnTimeRate: nullableNum,
});

export const sellersSchema = {
  summary: 'Seller scorecards',
  tags: ['sellers'],
  querystring: querystring({
    sort: { type: 'string', enum: SELLER_SORTS, default: 'orders' },
    direction: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    state: { type: 'string', pattern: UF_PATTERN, description: "Seller's state (UF)" },
    ...pageProperties,
  }),
  response: {
    200: withProvenance({ total: int, sellers: arrayOf(sellerRow) }),
    ...errorResponses,
  },
} as const;

export const sellerSchema = {
  summary: "One seller's scorecard, late orders and monthly trend",
  tags: ['sellers'],
  params: { type: 'object', required: ['sellerId'], properties: { sellerId: idParameter }, additionalProperties: false },
  response: {
    200: withProvenance({
      seller: sellerRow,
      lateOrders: arrayOf(object({ orderId: str, purchasedAt: str, stage, daysLate: nullableNum, valueCents: int })),
      trend: arrayOf(object({ month: str, handoffs: int, onTimeRate: nullableNum, lateDeliveries: int })),
    }),
    404: errorBody,
    ...errorResponses,
  },
} as const;
