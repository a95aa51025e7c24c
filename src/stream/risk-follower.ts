import type { Lake } from '../lake/index.js';
import type { RiskModelOptions, StageDurations } from '../risk/index.js';
import { RiskModel, RiskNorms } from '../risk/index.js';
import type { RiskSource } from './detector.js';
import { TableWatch } from './table-watch.js';

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
 * priced with it.
 *
 * A restart replays the bronze rows after each task's checkpoint; priced by another model than
 * the one that first processed them, they could open or resolve other alerts than the ones already
 * emitted. So every bronze commit records which snapshots of the silver tables the model in force
 * was built from (`RISK_NORMS_PROPERTY`), and the processor opens with that model (the snapshots are
 * read as they were), then moves to the batch layer's newest norms at its first batch. Only when
 * those snapshots are gone (expired by `orderpulse maintain`) does it open with the newest norms,
 * and says so in its recovery report.
 */
export const RISK_TRIGGER_TABLE = 'gold.route_norms';

/** How often at most a running processor asks whether the batch layer has new norms. */
export const RISK_CHECK_EVERY_MS = 5_000;

/** Bronze summary property: the silver snapshots the risk model in force was built from, as a `RiskPin` in JSON. */
export const RISK_NORMS_PROPERTY = 'orderpulse.risk-norms';

/** The snapshots of `silver.orders` and `silver.order_items` a model was built from. */
export interface RiskPin {
  readonly orders: bigint;
  readonly items: bigint;
}

export function formatRiskPin(pin: RiskPin): string {
  return JSON.stringify({ orders: String(pin.orders), items: String(pin.items) });
}

/** The pin a bronze summary recorded; null when it holds none or it is not readable. */
export function parseRiskPin(text: string | null): RiskPin | null {
  if (text === null) return null;
  try {
    const { orders, items } = JSON.parse(text) as { orders?: unknown; items?: unknown };
    if (typeof orders !== 'string' || typeof items !== 'string' || !/^-?\d+$/.test(orders) || !/^-?\d+$/.test(items)) return null;
    return { orders: BigInt(orders), items: BigInt(items) };
  } catch {
    return null;
  }
}

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

/**
 * The norms the silver tables give now (or at the snapshots of `pin`), with the snapshots they were
 * built from; null while they hold no delivered order. Throws when a pinned snapshot is gone.
 */
export async function readRiskNorms(lake: Lake, options: Partial<RiskModelOptions> = {}, pin: RiskPin | null = null): Promise<{ readonly norms: RiskNorms; readonly pin: RiskPin } | null> {
  for (const name of ['silver.orders', 'silver.order_items']) if (!(await lake.tableExists(name))) return null;
  const ordersTable = await lake.table('silver.orders');
  const itemsTable = await lake.table('silver.order_items');
  const at = {
    orders: pin?.orders ?? ordersTable.currentSnapshot()?.['snapshot-id'] ?? null,
    items: pin?.items ?? itemsTable.currentSnapshot()?.['snapshot-id'] ?? null,
  };
  if (at.orders === null || at.items === null) return null;
  const orders = await (await ordersTable.scan({ snapshotId: at.orders })).view();
  const items = await (await itemsTable.scan({ snapshotId: at.items })).view();
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
  return { norms: new RiskNorms(RiskModel.build(deliveries, options), sellerStates), pin: { orders: at.orders, items: at.items } };
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
  #pin: RiskPin | null = null;
  readonly #watch: TableWatch;
  #checkedAt = -Infinity;

  private constructor(lake: Lake, options: RiskFollowerOptions) {
    this.#lake = lake;
    this.#checkEveryMs = options.checkEveryMs ?? RISK_CHECK_EVERY_MS;
    this.#now = options.now ?? Date.now;
    this.#model = options.model ?? {};
    this.#watch = new TableWatch(lake, RISK_TRIGGER_TABLE);
  }

  /**
   * Reads the norms of `pinned` (the silver snapshots a bronze commit recorded) when given and still
   * there, else the ones the lake has now (none before the batch layer's first run). With a pin,
   * the first `refresh()` moves to the newest norms.
   */
  static async open(lake: Lake, options: RiskFollowerOptions = {}): Promise<RiskFollower> {
    const follower = new RiskFollower(lake, options);
    const pinned = options.pinned ?? null;
    if (pinned !== null) {
      try {
        const read = await readRiskNorms(lake, follower.#model, pinned);
        if (read !== null) {
          follower.#norms = read.norms;
          follower.#pin = read.pin;
          follower.restoredPin = true;
          return follower;
        }
      } catch (error) {
        follower.pinLost = `the risk model's silver snapshots ${formatRiskPin(pinned)} are gone (${error instanceof Error ? error.message : String(error)}): orders are priced with the newest norms`;
      }
    }
    await follower.#check();
    return follower;
  }

  /** Whether the processor opened with the model its last commit recorded. */
  restoredPin = false;
  /** Why the recorded model could not be restored; null when it was, or none was recorded. */
  pinLost: string | null = null;

  /** The silver snapshots the norms in force were built from; null while there are none. */
  get pin(): RiskPin | null {
    return this.#pin;
  }

  /** The model in force; null until the batch layer has delivered orders to learn from. */
  get norms(): RiskNorms | null {
    return this.#norms;
  }

  /** The snapshot of `gold.route_norms` the norms were built at; null: none yet. */
  get snapshotId(): bigint | null {
    return this.#watch.snapshotId;
  }

  /** When a check is due, builds the norms again if the batch layer wrote new ones; true when it did. */
  async refresh(): Promise<boolean> {
    if (this.#now() - this.#checkedAt < this.#checkEveryMs) return false;
    return this.#check();
  }

  async #check(): Promise<boolean> {
    this.#checkedAt = this.#now();
    // A dropped or empty table leaves the norms in force as they are: old norms beat none.
    const change = await this.#watch.changed();
    if (change === null || change === 'dropped' || this.#watch.snapshotId === null) return false;
    const read = await readRiskNorms(this.#lake, this.#model);
    if (read === null) return false;
    this.#norms = read.norms;
    this.#pin = read.pin;
    return true;
  }
}

export interface RiskFollowerOptions {
  /** How often at most `refresh()` looks (default `RISK_CHECK_EVERY_MS`; 0: every call). */
  readonly checkEveryMs?: number;
  readonly now?: () => number;
  /** The model's options (default `DEFAULT_RISK_MODEL_OPTIONS`). */
  readonly model?: Partial<RiskModelOptions>;
  /** The silver snapshots to build the first model from (what the last bronze commit recorded). */
  readonly pinned?: RiskPin | null;
}
