import type { Lake } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import { DEFAULT_STREAM_CONFIG } from '../stream/index.js';
import { alertChanges, openAlerts } from './alerts.js';
import { deliveryPerformance, leadTimes, openOrders } from './delivery.js';
import { orderTimeline } from './orders.js';
import { grades, portfolio, products, reviewImpact, sales } from './sales.js';
import { reviewCauses } from './reviews.js';
import { seller, sellers } from './sellers.js';
import type { SourceOptions } from './source.js';
import { LakeSource } from './source.js';
import { checkFilters } from './sql.js';
import { freshness, pipeline } from './status.js';
import type {
  AlertChanges,
  AlertChangesQuery,
  DeliveryPerformance,
  FilterName,
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
  Sellers,
  SellersQuery,
} from './types.js';

export interface LakeReadModelOptions extends SourceOptions {
  readonly lake: Lake;
  /** The event log, for the pipeline's lag per partition (without it, lags are null). */
  readonly log?: EventLog;
  /** Hours after the purchase by which the payment is due, as the stream is configured (default 96). */
  readonly approvalHours?: number;
}

/**
 * The read model over the lake: every read of the CLI and the HTTP API. Table states and answers
 * are kept between calls (see `LakeSource`): a read costs a query only when a table it reads has a
 * new snapshot or the question is new.
 */
export class LakeReadModel implements ReadModel {
  readonly #source: LakeSource;
  readonly #log: EventLog | undefined;
  readonly #approvalHours: number;
  readonly #now: () => number;

  constructor(options: LakeReadModelOptions) {
    this.#source = new LakeSource(options.lake, options);
    this.#log = options.log;
    this.#approvalHours = options.approvalHours ?? DEFAULT_STREAM_CONFIG.approvalHours;
    this.#now = options.now ?? Date.now;
  }

  openAlerts(query: OpenAlertsQuery): Promise<OpenAlerts> {
    return openAlerts(this.#source, query);
  }
  alertChanges(query: AlertChangesQuery): Promise<AlertChanges> {
    return alertChanges(this.#source, query);
  }
  order(orderId: string): Promise<OrderTimeline | null> {
    return orderTimeline(this.#source, orderId, this.#approvalHours);
  }

  async kpis(filters: Filters): Promise<KPIs> {
    checkFilters(filters);
    const [s, d, a, f] = await Promise.all([
      sales(this.#source, filters),
      deliveryPerformance(this.#source, filters),
      openAlerts(this.#source, {
        ...(filters.state === undefined ? {} : { customerState: filters.state }),
        ...(filters.category === undefined ? {} : { category: filters.category }),
        ...(filters.grade === undefined ? {} : { grade: filters.grade }),
        limit: 1,
        offset: 0,
      }),
      this.freshness(),
    ]);
    const applied = new Set<FilterName>([...s.applied, ...d.applied, ...a.applied]);
    return {
      snapshots: { ...s.snapshots, ...d.snapshots, ...a.snapshots },
      applied: (['from', 'to', 'state', 'category', 'grade'] as const).filter((n) => applied.has(n)),
      orders: s.totals.orders,
      revenueCents: s.totals.revenueCents,
      lateRate: d.totals.lateRate,
      openAlerts: a.total,
      valueAtRiskCents: a.valueAtRiskCents,
      freshness: f,
    };
  }

  sales(filters: Filters): Promise<Sales> {
    return sales(this.#source, filters);
  }
  products(filters: Filters, page: PageQuery): Promise<Products> {
    return products(this.#source, filters, page);
  }
  portfolio(filters: Filters, page: PageQuery): Promise<Portfolio> {
    return portfolio(this.#source, filters, page);
  }
  grades(filters: Filters): Promise<Grades> {
    return grades(this.#source, filters);
  }
  leadTimes(filters: Filters): Promise<LeadTimes> {
    return leadTimes(this.#source, filters);
  }
  deliveryPerformance(filters: Filters): Promise<DeliveryPerformance> {
    return deliveryPerformance(this.#source, filters);
  }
  openOrders(filters: Filters): Promise<OpenOrdersByStage> {
    return openOrders(this.#source, filters);
  }
  sellers(query: SellersQuery): Promise<Sellers> {
    return sellers(this.#source, query);
  }
  seller(sellerId: string): Promise<SellerDetail | null> {
    return seller(this.#source, sellerId);
  }
  reviewImpact(filters: Filters): Promise<ReviewImpact> {
    return reviewImpact(this.#source, filters);
  }
  reviewCauses(filters: Filters): Promise<ReviewCauses> {
    return reviewCauses(this.#source, filters);
  }
  freshness(): Promise<Freshness> {
    return freshness(this.#source, this.#now());
  }
  pipeline(): Promise<PipelineStatus> {
    return pipeline(this.#source, this.#log);
  }
}
