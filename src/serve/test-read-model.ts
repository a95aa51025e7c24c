import type {
  AlertChangeRow,
  AlertChanges,
  AlertChangesQuery,
  AlertRow,
  DeliveryPerformance,
  Filters,
  Freshness,
  Grades,
  KPIs,
  LeadTimes,
  OpenAlerts,
  OpenAlertsQuery,
  OpenOrdersByStage,
  OrderTimeline,
  PageQuery,
  PipelineStatus,
  Portfolio,
  Products,
  ReadModel,
  ReviewCauses,
  ReviewImpact,
  Sales,
  SellerDetail,
  SellerRow,
  Sellers,
  SellersQuery,
} from '../read/types.js';

/**
 * A hand-written read model for the routing and validation tests: fixed answers with every field
 * (nulls where the contract allows them, so both sides of each nullable field go through the
 * serialiser), and a record of the queries the routes made of it.
 */

export const KNOWN_ORDER = 'e481f51cbdc54678b7cc49136f2d6af7';
export const KNOWN_SELLER = '3442f8959a84dea7ee197c632cb2df15';

const provenance = { snapshots: { 'gold.sales_monthly': '7319026351128350001', 'gold.grades': null }, applied: ['from', 'to'] as const };

const alert: AlertRow = {
  alertId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  orderId: KNOWN_ORDER,
  rule: 'handoff_overdue',
  stage: 'handoff',
  state: 'escalated',
  openedAt: '2017-10-04T19:55:00.000Z',
  updatedAt: '2017-10-06T19:55:00.000Z',
  deadline: '2017-10-04T19:55:00.000Z',
  overdueMs: 172_800_000,
  daysLate: null,
  priority: 114.57,
  orderValueCents: 3814,
  level: 2,
  reason: 'no carrier handoff 2 days after the shipping limit',
  sequence: 3,
  probability: null,
  expectedDeliveryAt: null,
  riskStage: null,
  category: 'housewares',
  grade: 'B',
  customerState: 'SP',
};
const change: AlertChangeRow = { ...alert, change: 'escalated', watermark: '2017-10-06T20:00:00.000Z' };
const finalChange: AlertChangeRow = {
  ...alert,
  rule: 'delivered_late',
  stage: null,
  state: 'resolved',
  daysLate: 3,
  category: null,
  grade: null,
  customerState: null,
  change: 'final',
  watermark: '2017-10-21T00:00:00.000Z',
};

const freshness: Freshness = {
  completeUpTo: '2018-08-29T15:00:37.000Z',
  streamCommittedAt: '2026-01-01T10:00:00.000Z',
  behindMs: 1250,
  lastBatch: { endedAt: '2026-01-01T09:59:00.000Z', mode: 'incremental', ok: true },
};

const sellerRow: SellerRow = {
  sellerId: KNOWN_SELLER,
  sellerState: 'SP',
  orders: 12,
  handoffs: 11,
  onTimeRate: 0.9090909090909091,
  medianSlackHours: 30.5,
  deliveredOrders: 11,
  lateDeliveries: 1,
  reviews: 10,
  meanReviewScore: 4.2,
  recentOnTimeRate: null,
  priorOnTimeRate: 0.875,
};

export const ANSWERS = {
  openAlerts: { ...provenance, total: 1, valueAtRiskCents: 3814, alerts: [{ ...alert, rank: 1 }] } satisfies OpenAlerts,
  alertChanges: { ...provenance, alerts: [change, finalChange] } satisfies AlertChanges,
  order: {
    ...provenance,
    orderId: KNOWN_ORDER,
    status: 'delivered',
    customerState: 'SP',
    orderValueCents: 3814,
    items: [{ productId: '87285b34884572647811a353c7ac498a', sellerId: KNOWN_SELLER, category: 'housewares', grade: null, priceCents: 2999, freightCents: 815 }],
    events: [{ eventId: 'ev-1', type: 'OrderPlaced', eventTime: '2017-10-02T13:56:33.000Z', topic: 'orders', payload: { orderId: KNOWN_ORDER, nested: { items: [1, 2] } } }],
    deadlines: [
      { stage: 'approval', due: '2017-10-03T13:56:33.000Z', doneAt: '2017-10-02T14:07:15.000Z', late: false },
      { stage: 'handoff', due: '2017-10-06T14:07:15.000Z', doneAt: '2017-10-04T22:55:00.000Z', late: false },
      { stage: 'delivery', due: null, doneAt: null, late: false },
    ],
    alerts: [change],
  } satisfies OrderTimeline,
  kpis: { ...provenance, orders: 980, revenueCents: 13_456_789, lateRate: null, openAlerts: 4, valueAtRiskCents: 98_000, freshness } satisfies KPIs,
  sales: {
    ...provenance,
    months: [{ month: '2017-10', orders: 40, items: 45, revenueCents: 512_300, freightCents: 80_100 }],
    totals: { orders: 40, items: 45, revenueCents: 512_300 },
    categories: [{ category: 'housewares', items: 7, revenueCents: 21_000 }],
  } satisfies Sales,
  products: { ...provenance, products: [{ productId: '87285b34884572647811a353c7ac498a', category: 'housewares', quantity: 3, revenueCents: 8997, grade: 'C' }] } satisfies Products,
  portfolio: {
    ...provenance,
    points: [{ productId: '87285b34884572647811a353c7ac498a', category: 'housewares', month: '2017-10', quantity: 3, unitPriceCents: 2999, revenueCents: 8997, quadrant: 'Question Mark' }],
    quadrants: [{ quadrant: 'Star', productMonths: 12, revenueCents: 120_000 }],
  } satisfies Portfolio,
  grades: { ...provenance, grades: [{ grade: 'A', products: 10, quantity: 50, revenueCents: 900_000, reviewScores: [1, 2, 3, 4, 5] }] } satisfies Grades,
  leadTimes: { ...provenance, rows: [{ month: '2017-10', stage: 'transit', orders: 38, meanDays: 7.25 }] } satisfies LeadTimes,
  delivery: {
    ...provenance,
    months: [{ month: '2017-10', deliveredOrders: 38, lateOrders: 3, lateRate: 0.07894736842105263 }],
    states: [{ state: 'RJ', deliveredOrders: 10, lateOrders: 2, lateRate: 0.2 }],
    routes: [
      { sellerState: 'SP', customerState: 'RJ', deliveredOrders: 10, lateOrders: 2, lateRate: 0.2, meanDaysLate: 3.5 },
      { sellerState: 'SP', customerState: 'SP', deliveredOrders: 5, lateOrders: 0, lateRate: 0, meanDaysLate: null },
    ],
    totals: { deliveredOrders: 38, lateOrders: 3, lateRate: null },
  } satisfies DeliveryPerformance,
  openOrders: {
    ...provenance,
    stages: [
      { stage: 'delivery', orders: 3, valueCents: 12_000, medianAgeDays: 9.5, maxAgeDays: 20 },
      { stage: 'approval', orders: 0, valueCents: 0, medianAgeDays: null, maxAgeDays: null },
    ],
  } satisfies OpenOrdersByStage,
  sellers: { ...provenance, total: 1, sellers: [sellerRow] } satisfies Sellers,
  seller: {
    ...provenance,
    seller: sellerRow,
    lateOrders: [{ orderId: KNOWN_ORDER, purchasedAt: '2017-10-02T13:56:33.000Z', stage: 'handoff', daysLate: null, valueCents: 3814 }],
    trend: [{ month: '2017-10', handoffs: 4, onTimeRate: null, lateDeliveries: 0 }],
  } satisfies SellerDetail,
  reviewImpact: { ...provenance, buckets: [{ delayBucket: 'on_time', reviews: 90, meanScore: 4.3, lowScoreShare: 0.08 }] } satisfies ReviewImpact,
  reviewCauses: {
    ...provenance,
    byDelay: [{ delayBucket: '8+', lowScoreReviews: 12, withText: 5, causes: { delay: 4, wrong_or_missing: 0, product_quality: 1, service: 2, other: 0 } }],
    byMonth: [{ month: '2017-10', lowScoreReviews: 12, withText: 5, causes: { delay: 4, wrong_or_missing: 0, product_quality: 1, service: 2, other: 0 } }],
    headline: [
      { delivery: 'late', lowScoreReviews: 12, withText: 5, delay: 4, delayShare: 0.8 },
      { delivery: 'not_delivered', lowScoreReviews: 0, withText: 0, delay: 0, delayShare: null },
    ],
  } satisfies ReviewCauses,
  freshness,
  pipeline: {
    topics: [{ topic: 'orders', partitions: [{ partition: 0, endOffset: 120, processedOffset: 100, lag: 20 }, { partition: 1, endOffset: 0, processedOffset: null, lag: null }] }],
    tasks: [{ task: 0, watermark: null, processedSeq: 0 }],
    batchRuns: [{ table: 'gold.sales_monthly', snapshotId: '7319026351128350001', at: '2026-01-01T09:59:00.000Z', mode: 'full', rowsRead: null }],
    tables: [{ table: 'gold.grades', snapshotId: null, snapshots: 0, rows: null, committedAt: null }],
  } satisfies PipelineStatus,
};

export type ReadCall = { readonly read: keyof ReadModel; readonly args: readonly unknown[] };

/** The fake: answers from ANSWERS, records each call; `failing` makes every read throw that error. */
export class FakeReadModel implements ReadModel {
  readonly calls: ReadCall[] = [];
  failing: Error | null = null;

  #answer<T>(read: keyof ReadModel, args: readonly unknown[], value: T): Promise<T> {
    this.calls.push({ read, args });
    return this.failing === null ? Promise.resolve(value) : Promise.reject(this.failing);
  }

  openAlerts(query: OpenAlertsQuery): Promise<OpenAlerts> { return this.#answer('openAlerts', [query], ANSWERS.openAlerts); }
  alertChanges(query: AlertChangesQuery): Promise<AlertChanges> { return this.#answer('alertChanges', [query], ANSWERS.alertChanges); }
  order(orderId: string): Promise<OrderTimeline | null> { return this.#answer('order', [orderId], orderId === KNOWN_ORDER ? ANSWERS.order : null); }
  kpis(filters: Filters): Promise<KPIs> { return this.#answer('kpis', [filters], ANSWERS.kpis); }
  sales(filters: Filters): Promise<Sales> { return this.#answer('sales', [filters], ANSWERS.sales); }
  products(filters: Filters, page: PageQuery): Promise<Products> { return this.#answer('products', [filters, page], ANSWERS.products); }
  portfolio(filters: Filters, page: PageQuery): Promise<Portfolio> { return this.#answer('portfolio', [filters, page], ANSWERS.portfolio); }
  grades(filters: Filters): Promise<Grades> { return this.#answer('grades', [filters], ANSWERS.grades); }
  leadTimes(filters: Filters): Promise<LeadTimes> { return this.#answer('leadTimes', [filters], ANSWERS.leadTimes); }
  deliveryPerformance(filters: Filters): Promise<DeliveryPerformance> { return this.#answer('deliveryPerformance', [filters], ANSWERS.delivery); }
  openOrders(filters: Filters): Promise<OpenOrdersByStage> { return this.#answer('openOrders', [filters], ANSWERS.openOrders); }
  sellers(query: SellersQuery): Promise<Sellers> { return this.#answer('sellers', [query], ANSWERS.sellers); }
  seller(sellerId: string): Promise<SellerDetail | null> { return this.#answer('seller', [sellerId], sellerId === KNOWN_SELLER ? ANSWERS.seller : null); }
  reviewImpact(filters: Filters): Promise<ReviewImpact> { return this.#answer('reviewImpact', [filters], ANSWERS.reviewImpact); }
  reviewCauses(filters: Filters): Promise<ReviewCauses> { return this.#answer('reviewCauses', [filters], ANSWERS.reviewCauses); }
  freshness(): Promise<Freshness> { return this.#answer('freshness', [], this.freshnessAnswer); }
  pipeline(): Promise<PipelineStatus> { return this.#answer('pipeline', [], ANSWERS.pipeline); }

  /** What freshness() answers: the live tests change it to see a watermark event. */
  freshnessAnswer: Freshness = freshness;
}
