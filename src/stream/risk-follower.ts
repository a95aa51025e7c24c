import type { Lake } from '../lake/index.js';
import { parseTableName } from '../lake/index.js';
import type { RiskModelOptions, StageDurations } from '../risk/index.js';
import { RiskModel, RiskNorms } from '../risk/index.js';
import type { RiskSource } from './detector.js';

/**
 * The delay-risk model of a running processor, from what the batch layer knows. The batch layer
 * writes `gold.route_norms` (each stage's duration per route) from `silver.orders` and
 * `silver.order_items` at every run that changes them; the model needs the whole distribution of
 * each stage, not its four quantiles, so it is built from the delivered orders of those silver
 * tables, with the sellers' states they hold (orders carry seller ids only).
 *
 * A running processor follows the batch layer as it follows product grades (`ProductGrades`): once
 * per batch, at most every `RISK_CHECK_EVERY_MS`, it asks the catalog where `gold.route_norms`'s
 * metadata is (one lookup), and builds the model again only when that table has a new snapshot.
 * The processor hands the new model to its tasks between two batches: from then on, orders are
 * priced with it. A restart prices every order with the model of its start, as grades do; the
 * alerts already emitted stay as they were.
 */
export const RISK_TRIGGER_TABLE = 'gold.route_norms';

/** How often at most a running processor asks whether the batch layer has new norms. */
export const RISK_CHECK_EVERY_MS = 5_000;

/**
 * Each delivered order with all three stages recorded (as the backtest learns: `trainingDeliveries`),
 * with its sellers' state: theirs when they share one, `multi` for several, `unknown` when one is not known.
 */
const DELIVERED_DURATIONS = `
  WITH per_order AS (
    SELECT order_id,
      CASE WHEN bool_or(seller_state IS NULL) THEN 'unknown'
           WHEN count(DISTINCT seller_state) > 1 THEN 'multi'
           ELSE min(seller_state) END AS seller_state
    FROM items GROUP BY order_id)
  SELECT coalesce(p.seller_state, 'unknown') AS seller_state, coalesce(o.customer_state, 'unknown') AS customer_state,
    o.approval_days, o.carrier_days, o.transit_days
  FROM orders o LEFT JOIN per_order p USING (order_id)
  WHERE o.status = 'delivered' AND o.approval_days IS NOT NULL AND o.carrier_days IS NOT NULL AND o.transit_days IS NOT NULL
  ORDER BY o.order_id`;

const SELLER_STATES = `SELECT seller_id, min(seller_state) AS seller_state FROM items WHERE seller_state IS NOT NULL GROUP BY seller_id`;

/** The norms the silver tables give now; null while they hold no delivered order. */
export async function readRiskNorms(lake: Lake, options: Partial<RiskModelOptions> = {}): Promise<RiskNorms | null> {
  for (const name of ['silver.orders', 'silver.order_items']) if (!(await lake.tableExists(name))) return null;
  const orders = await (await (await lake.table('silver.orders')).scan()).view();
  const items = await (await (await lake.table('silver.order_items')).scan()).view();
  const views = { orders, items };
  const rows = (await lake.query(views, DELIVERED_DURATIONS)).rows;
  if (rows.length === 0) return null;
  const deliveries: StageDurations[] = rows.map((r) => ({
    sellerState: String(r.seller_state),
    customerState: String(r.customer_state),
    approvalDays: Number(r.approval_days),
    handoffDays: Number(r.carrier_days),
    transitDays: Number(r.transit_days),
  }));
  const sellerStates = new Map<string, string>();
  for (const r of (await lake.query({ items }, SELLER_STATES)).rows) sellerStates.set(String(r.seller_id), String(r.seller_state));
  return new RiskNorms(RiskModel.build(deliveries, options), sellerStates);
}

/**
 * The norms as the lake has them now, followed while the processor runs. `norms` is what the
 * detectors read; `refresh()` builds them again when `gold.route_norms` has a new current snapshot.
 */
export class RiskFollower implements RiskSource {
  readonly #lake: Lake;
  readonly #checkEveryMs: number;
  readonly #now: () => number;
  readonly #model: Partial<RiskModelOptions>;
  #norms: RiskNorms | null = null;
  #metadataLocation: string | null = null;
  #snapshotId: bigint | null = null;
  #checkedAt = -Infinity;

  private constructor(lake: Lake, options: RiskFollowerOptions) {
    this.#lake = lake;
    this.#checkEveryMs = options.checkEveryMs ?? RISK_CHECK_EVERY_MS;
    this.#now = options.now ?? Date.now;
    this.#model = options.model ?? {};
  }

  /** Reads the norms the lake has now (none before the batch layer's first run). */
  static async open(lake: Lake, options: RiskFollowerOptions = {}): Promise<RiskFollower> {
    const follower = new RiskFollower(lake, options);
    await follower.#check();
    return follower;
  }

  /** The model in force; null until the batch layer has delivered orders to learn from. */
  get norms(): RiskNorms | null {
    return this.#norms;
  }

  /** The snapshot of `gold.route_norms` the norms were built at; null: none yet. */
  get snapshotId(): bigint | null {
    return this.#snapshotId;
  }

  /** When a check is due, builds the norms again if the batch layer wrote new ones; true when it did. */
  async refresh(): Promise<boolean> {
    if (this.#now() - this.#checkedAt < this.#checkEveryMs) return false;
    return this.#check();
  }

  async #check(): Promise<boolean> {
    this.#checkedAt = this.#now();
    const location = await this.#lake.catalog.currentMetadataLocation(parseTableName(RISK_TRIGGER_TABLE));
    if (location === null || location === this.#metadataLocation) return false;
    const table = await this.#lake.table(RISK_TRIGGER_TABLE);
    this.#metadataLocation = table.metadataLocation;
    const snapshotId = table.currentSnapshot()?.['snapshot-id'] ?? null;
    // A commit that changed no snapshot (a schema change, an expiry) leaves the norms as they are.
    if (snapshotId === null || snapshotId === this.#snapshotId) return false;
    const norms = await readRiskNorms(this.#lake, this.#model);
    this.#snapshotId = snapshotId;
    if (norms === null) return false;
    this.#norms = norms;
    return true;
  }
}

export interface RiskFollowerOptions {
  /** How often at most `refresh()` looks (default `RISK_CHECK_EVERY_MS`; 0: every call). */
  readonly checkEveryMs?: number;
  readonly now?: () => number;
  /** The model's options (default `DEFAULT_RISK_MODEL_OPTIONS`). */
  readonly model?: Partial<RiskModelOptions>;
}
