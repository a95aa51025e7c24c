/**
 * What the read model answers: the shapes the CLI prints and the HTTP API sends as JSON. The web app
 * imports these types (types only) so that a change of shape fails the build of both sides.
 *
 * Conventions: instants are ISO 8601 strings in UTC (`2017-05-04T13:22:00.000Z`); the web app shows
 * them in Brazil's time (America/Sao_Paulo), as Olist recorded them. Months are `YYYY-MM` (purchase
 * month, as the gold tables have them). Money is in integer cents of BRL (`…Cents`). Rates are
 * fractions (0.07, not 7 %). A figure the data does not have is null, never 0.
 */

import type { RuleOutcome } from '../backtest/index.js';

/** The alert rules, the alert states and the product grades, as the stream and the batch name them. */
export type RuleName = 'approval_overdue' | 'handoff_overdue' | 'delivery_overdue' | 'delivered_late' | 'delivery_at_risk';
export type AlertStateName = 'open' | 'escalated' | 'resolved' | 'stuck';
export type GradeName = 'A' | 'B' | 'C' | 'D' | 'E';
/** The stage an open alert waits for: approval (payment), handoff (seller to carrier), delivery. */
export type StageName = 'approval' | 'handoff' | 'delivery';

/**
 * The global filters of the dashboard: a purchase-month range, the customer's state (UF, two
 * capitals), a product category (English name, as silver has it) and a product grade. Every read
 * that takes filters applies those its data has the dimension for and lists them in `applied`.
 */
export interface Filters {
  /** First purchase month, inclusive. */
  readonly from?: string;
  /** Last purchase month, inclusive. */
  readonly to?: string;
  readonly state?: string;
  readonly category?: string;
  readonly grade?: GradeName;
}
export type FilterName = keyof Filters;

/** Every answer built from lake tables says which snapshots it read, so a figure can be traced. */
export interface Provenance {
  /** Table name → the snapshot id read (a decimal string: ids exceed 2^53), or null when the table does not exist yet. */
  readonly snapshots: Readonly<Record<string, string | null>>;
  /** The filters this answer honoured (a filter on a dimension the data lacks is not applied). */
  readonly applied: readonly FilterName[];
}

// ---------------------------------------------------------------------------------------- alerts

export interface AlertRow {
  readonly alertId: string;
  readonly orderId: string;
  readonly rule: RuleName;
  readonly stage: StageName | null;
  readonly state: AlertStateName;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly deadline: string;
  readonly overdueMs: number;
  readonly daysLate: number | null;
  readonly priority: number;
  readonly orderValueCents: number;
  readonly level: number;
  readonly reason: string;
  readonly sequence: number;
  /** `delivery_at_risk` only (else null): P(late), when delivery is expected, and the stage the order is in. */
  readonly probability: number | null;
  readonly expectedDeliveryAt: string | null;
  readonly riskStage: string | null;
  /** From silver and gold (null until the batch layer has seen the order): the category and grade of the order's most valuable item, the customer's state. */
  readonly category: string | null;
  readonly grade: GradeName | null;
  readonly customerState: string | null;
}

/** The two queues of open alerts: what is overdue already, and what is likely to be (`delivery_at_risk`). */
export type AlertKind = 'overdue' | 'risk';

export interface OpenAlertsQuery {
  readonly rule?: RuleName;
  /** Only one queue: `overdue` (the deadline rules) or `risk` (`delivery_at_risk`). */
  readonly kind?: AlertKind;
  readonly stage?: StageName;
  readonly state?: AlertStateName;
  /** Leave the stuck alerts out: the operators' queue of what can still be saved. */
  readonly withoutStuck?: boolean;
  readonly category?: string;
  readonly grade?: GradeName;
  readonly customerState?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface OpenAlerts extends Provenance {
  /** Open alerts matching the query in all (not only this page). */
  readonly total: number;
  /** Sum of the matching alerts' order values. */
  readonly valueAtRiskCents: number;
  /** Highest priority first (then the oldest), `rank` counting from 1 over the whole match. */
  readonly alerts: readonly (AlertRow & { readonly rank: number })[];
}

/** One change of an alert, as `gold.alert_events` holds it. */
export interface AlertChangeRow extends AlertRow {
  readonly change: 'opened' | 'escalated' | 'resolved' | 'final';
  readonly watermark: string;
}

// ---------------------------------------------------------------------------------------- orders

export interface OrderEvent {
  readonly eventId: string;
  readonly type: string;
  readonly eventTime: string;
  readonly topic: string;
  /** The event as the log carried it (camelCase fields). */
  readonly payload: unknown;
}

export interface OrderDeadline {
  readonly stage: StageName;
  /** The deadline (null when the order's events do not give it yet). */
  readonly due: string | null;
  /** When the stage was done (null: not yet). */
  readonly doneAt: string | null;
  /** done after due, or not done and due before the stream's watermark. */
  readonly late: boolean;
}

export interface OrderTimeline extends Provenance {
  readonly orderId: string;
  readonly status: string | null;
  readonly customerState: string | null;
  readonly orderValueCents: number | null;
  readonly items: readonly { readonly productId: string; readonly sellerId: string; readonly category: string | null; readonly grade: GradeName | null; readonly priceCents: number; readonly freightCents: number }[];
  /** Every event of the order in bronze, by event time. */
  readonly events: readonly OrderEvent[];
  /** Approval, handoff, delivery: always three, in that order. */
  readonly deadlines: readonly OrderDeadline[];
  /** Every alert change of the order, oldest first. */
  readonly alerts: readonly AlertChangeRow[];
}

// ---------------------------------------------------------------------------------------- sales

export interface SalesMonth {
  readonly month: string;
  readonly orders: number;
  readonly items: number;
  readonly revenueCents: number;
  readonly freightCents: number;
}
export interface Sales extends Provenance {
  readonly months: readonly SalesMonth[];
  readonly totals: { readonly orders: number; readonly items: number; readonly revenueCents: number };
  /** Categories by revenue over the filtered period, highest first. */
  readonly categories: readonly { readonly category: string; readonly items: number; readonly revenueCents: number }[];
}

export interface ProductRank {
  readonly productId: string;
  readonly category: string;
  readonly quantity: number;
  readonly revenueCents: number;
  readonly grade: GradeName | null;
}
export interface Products extends Provenance {
  readonly products: readonly ProductRank[];
}

/** The quadrants of gold.product_portfolio: quantity above the category-month's median, price at or above it. */
export type Quadrant = 'Star' | 'Volume Driver' | 'Niche Gem' | 'Question Mark';
export interface PortfolioPoint {
  readonly productId: string;
  readonly category: string;
  readonly month: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly revenueCents: number;
  readonly quadrant: Quadrant;
}
export interface Portfolio extends Provenance {
  readonly points: readonly PortfolioPoint[];
  readonly quadrants: readonly { readonly quadrant: Quadrant; readonly productMonths: number; readonly revenueCents: number }[];
}

/** Quantity and revenue per product grade, and the review score mix (1–5 stars) of each grade. */
export interface Grades extends Provenance {
  readonly grades: readonly {
    readonly grade: GradeName;
    readonly products: number;
    readonly quantity: number;
    readonly revenueCents: number;
    /** Reviews per score, index 0 = 1 star … 4 = 5 stars. */
    readonly reviewScores: readonly [number, number, number, number, number];
  }[];
}

// ---------------------------------------------------------------------------------------- delivery

export interface LeadTimes extends Provenance {
  /** Per purchase month and stage (approval, carrier_handoff, transit, total), weighted over routes and categories. */
  readonly rows: readonly { readonly month: string; readonly stage: string; readonly orders: number; readonly meanDays: number }[];
}

export interface DeliveryPerformance extends Provenance {
  readonly months: readonly { readonly month: string; readonly deliveredOrders: number; readonly lateOrders: number; readonly lateRate: number }[];
  /** Per customer state, for the map. */
  readonly states: readonly { readonly state: string; readonly deliveredOrders: number; readonly lateOrders: number; readonly lateRate: number }[];
  /** Routes (seller state → customer state) with the most late deliveries, worst first. */
  readonly routes: readonly { readonly sellerState: string; readonly customerState: string; readonly deliveredOrders: number; readonly lateOrders: number; readonly lateRate: number; readonly meanDaysLate: number | null }[];
  readonly totals: { readonly deliveredOrders: number; readonly lateOrders: number; readonly lateRate: number | null };
}

export interface OpenOrdersByStage extends Provenance {
  /** Orders the stream holds open, per stage they wait for, with their age (since purchase) at the watermark. */
  readonly stages: readonly { readonly stage: StageName; readonly orders: number; readonly valueCents: number; readonly medianAgeDays: number | null; readonly maxAgeDays: number | null }[];
}

export interface SellerRow {
  readonly sellerId: string;
  readonly sellerState: string;
  readonly orders: number;
  readonly handoffs: number;
  readonly onTimeRate: number | null;
  readonly medianSlackHours: number | null;
  readonly deliveredOrders: number;
  readonly lateDeliveries: number;
  readonly reviews: number;
  readonly meanReviewScore: number | null;
  readonly recentOnTimeRate: number | null;
  readonly priorOnTimeRate: number | null;
}
export type SellerSort = 'orders' | 'onTimeRate' | 'lateDeliveries' | 'meanReviewScore' | 'trend';
export interface Sellers extends Provenance {
  readonly total: number;
  readonly sellers: readonly SellerRow[];
}
export interface SellerDetail extends Provenance {
  readonly seller: SellerRow;
  /** The seller's late orders (handoff or delivery), newest first. */
  readonly lateOrders: readonly { readonly orderId: string; readonly purchasedAt: string; readonly stage: StageName; readonly daysLate: number | null; readonly valueCents: number }[];
  /** Per purchase month: handoffs and on-time rate. */
  readonly trend: readonly { readonly month: string; readonly handoffs: number; readonly onTimeRate: number | null; readonly lateDeliveries: number }[];
}

export interface ReviewImpact extends Provenance {
  /** In the order of lateness: on_time, 1-3, 4-7, 8+ days late. */
  readonly buckets: readonly { readonly delayBucket: string; readonly reviews: number; readonly meanScore: number; readonly lowScoreShare: number }[];
}

// ---------------------------------------------------------------------------------------- review causes

/** What a low-score review complains of, the closed set of the reviews room's classifier. */
export type ReviewCauseName = 'delay' | 'wrong_or_missing' | 'product_quality' | 'service' | 'other';
/** How late a reviewed order came: on or before the estimated local day, days after it, or never delivered. */
export type ReviewDelayBucket = 'on_time' | '1-3' | '4-7' | '8+' | 'not_delivered';

/** 1-2 star reviews and their causes; a review with text may have several causes. */
export interface ReviewCauseCounts {
  readonly lowScoreReviews: number;
  /** Those with a title or a message: the ones classified. */
  readonly withText: number;
  /** Per cause, the reviews with text whose causes include it. */
  readonly causes: Readonly<Record<ReviewCauseName, number>>;
}

export interface ReviewCauses extends Provenance {
  /** Every delay bucket, in order of lateness (on_time, 1-3, 4-7, 8+, not_delivered), zeros included. */
  readonly byDelay: readonly (ReviewCauseCounts & { readonly delayBucket: ReviewDelayBucket })[];
  /** Per purchase month with a low-score review, in order. */
  readonly byMonth: readonly (ReviewCauseCounts & { readonly month: string })[];
  /**
   * The headline: among low-score reviews with text, the share that complain of delay, for orders
   * delivered late (any of 1-3, 4-7, 8+), on time, and not delivered; null when none has text.
   */
  readonly headline: readonly {
    readonly delivery: 'late' | 'on_time' | 'not_delivered';
    readonly lowScoreReviews: number;
    readonly withText: number;
    readonly delay: number;
    readonly delayShare: number | null;
  }[];
}

// ---------------------------------------------------------------------------------------- freshness and pipeline

export interface Freshness {
  /** The stream's watermark: every event up to this event time is in (min over tasks); null before the first batch. */
  readonly completeUpTo: string | null;
  /** When the stream last committed (wall clock), and how long ago. */
  readonly streamCommittedAt: string | null;
  readonly behindMs: number | null;
  /** The last batch run: when it ended, its mode and whether every job succeeded. */
  readonly lastBatch: { readonly endedAt: string; readonly mode: string; readonly ok: boolean } | null;
}

export interface KPIs extends Provenance {
  readonly orders: number;
  readonly revenueCents: number;
  readonly lateRate: number | null;
  readonly openAlerts: number;
  readonly valueAtRiskCents: number;
  readonly freshness: Freshness;
}

export interface PipelineStatus {
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly endOffset: number; readonly processedOffset: number | null; readonly lag: number | null }[] }[];
  /** Per stream task: its watermark and the position its outputs are complete up to. */
  readonly tasks: readonly { readonly task: number; readonly watermark: string | null; readonly processedSeq: number }[];
  readonly batchRuns: readonly { readonly table: string; readonly snapshotId: string; readonly at: string; readonly mode: string; readonly rowsRead: number | null }[];
  readonly tables: readonly { readonly table: string; readonly snapshotId: string | null; readonly snapshots: number; readonly rows: number | null; readonly committedAt: string | null }[];
}

/** What the live stream (Server-Sent Events) sends. */
export type LiveMessage =
  | { readonly type: 'alert'; readonly change: AlertChangeRow }
  | { readonly type: 'watermark'; readonly completeUpTo: string | null; readonly behindMs: number | null }
  | { readonly type: 'rates'; readonly eventsPerSecond: number; readonly at: string };

// ---------------------------------------------------------------------------------------- the reads

export interface AlertChangesQuery {
  readonly rule?: RuleName;
  /** One order's changes, oldest first; without it the newest changes first. */
  readonly orderId?: string;
  readonly limit: number;
}
export interface AlertChanges extends Provenance {
  readonly alerts: readonly AlertChangeRow[];
}

export interface PageQuery {
  readonly limit: number;
  readonly offset: number;
}
export interface SellersQuery extends PageQuery {
  readonly sort: SellerSort;
  readonly direction: 'asc' | 'desc';
  readonly state?: string;
}

/**
 * Every read the CLI and the HTTP API make. Values reach SQL as bound parameters only. A table the
 * pipeline has not written yet gives an empty answer (its snapshot null in `snapshots`), not an error;
 * an unknown order or seller gives null.
 */
export interface ReadModel {
  openAlerts(query: OpenAlertsQuery): Promise<OpenAlerts>;
  alertChanges(query: AlertChangesQuery): Promise<AlertChanges>;
  order(orderId: string): Promise<OrderTimeline | null>;
  kpis(filters: Filters): Promise<KPIs>;
  sales(filters: Filters): Promise<Sales>;
  products(filters: Filters, page: PageQuery): Promise<Products>;
  portfolio(filters: Filters, page: PageQuery): Promise<Portfolio>;
  grades(filters: Filters): Promise<Grades>;
  leadTimes(filters: Filters): Promise<LeadTimes>;
  deliveryPerformance(filters: Filters): Promise<DeliveryPerformance>;
  openOrders(filters: Filters): Promise<OpenOrdersByStage>;
  sellers(query: SellersQuery): Promise<Sellers>;
  seller(sellerId: string): Promise<SellerDetail | null>;
  reviewImpact(filters: Filters): Promise<ReviewImpact>;
  reviewCauses(filters: Filters): Promise<ReviewCauses>;
  freshness(): Promise<Freshness>;
  pipeline(): Promise<PipelineStatus>;
}

/**
 * The HTTP API's routes (all GET, JSON), each calling one read. Filters are query parameters
 * `from`, `to` (YYYY-MM), `state` (UF), `category`, `grade`; pages `limit`, `offset`.
 *   /api/health                      → { ok: true } (no lake read: the floor of the serving benchmark)
 *   /api/alerts                      → OpenAlerts        (rule, stage, state, category, grade, customerState, limit, offset)
 *   /api/alerts/changes              → AlertChanges      (rule, order, limit)
 *   /api/orders/:orderId             → OrderTimeline     (404 when unknown)
 *   /api/kpis                        → KPIs              (filters)
 *   /api/sales                       → Sales             (filters)
 *   /api/products                    → Products          (filters, limit, offset)
 *   /api/portfolio                   → Portfolio         (filters, limit, offset)
 *   /api/grades                      → Grades            (filters)
 *   /api/lead-times                  → LeadTimes         (filters)
 *   /api/delivery                    → DeliveryPerformance (filters)
 *   /api/open-orders                 → OpenOrdersByStage (filters)
 *   /api/sellers                     → Sellers           (sort, direction, state, limit, offset)
 *   /api/sellers/:sellerId           → SellerDetail      (404 when unknown)
 *   /api/review-impact               → ReviewImpact      (filters)
 *   /api/review-causes               → ReviewCauses      (filters: from, to)
 *   /api/freshness                   → Freshness
 *   /api/pipeline                    → PipelineStatus
 *   /api/live                        → Server-Sent Events of LiveMessage: `event: alert` (with `id:` a
 *                                      resumable cursor; send it back as Last-Event-ID), `event: watermark`,
 *                                      `event: rates`
 *   /api/openapi.json                → the OpenAPI 3 document of all of the above
 * Errors: { code, message } with the HTTP status (400 validation, 401 token, 404, 413, 429, 500).
 * With a token set, every /api/ route but /api/health needs `Authorization: Bearer <token>`;
 * /api/live also takes `?token=` because a browser's EventSource cannot send headers.
 */
export const API_ROUTES = [
  '/api/health',
  '/api/alerts',
  '/api/alerts/changes',
  '/api/orders/:orderId',
  '/api/kpis',
  '/api/sales',
  '/api/products',
  '/api/portfolio',
  '/api/grades',
  '/api/lead-times',
  '/api/delivery',
  '/api/open-orders',
  '/api/sellers',
  '/api/sellers/:sellerId',
  '/api/review-impact',
  '/api/review-causes',
  '/api/backtest',
  '/api/freshness',
  '/api/pipeline',
  '/api/live',
  '/api/openapi.json',
] as const;

// -------------------------------------------------------------------------------------- backtest

/** One alert rule judged on the test period's delivered orders (see `orderpulse backtest`). */
export type BacktestRule = RuleOutcome;

/**
 * `/api/backtest`: every alert rule replayed on the served data's history, as `orderpulse backtest`
 * reports it, trained before `trainUntil`; or why there is none.
 */
export type BacktestAnswer =
  | {
      readonly available: true;
      readonly trainUntil: string;
      readonly testFrom: string;
      readonly testUntil: string | null;
      readonly trainingOrders: number;
      readonly testOrders: number;
      readonly judgedOrders: number;
      readonly lateOrders: number;
      readonly baseLateRate: number | null;
      readonly earlyDays: number;
      readonly riskThreshold: number;
      readonly rules: readonly BacktestRule[];
      readonly sweep: readonly (BacktestRule & { readonly threshold: number })[];
      readonly aucAtApproval: number | null;
      readonly aucAtHandoff: number | null;
      readonly handoffBaselineAuc: number | null;
    }
  | { readonly available: false; readonly reason: string };
