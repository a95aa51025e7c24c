import { hash } from 'node:crypto';
import type { LocalDate, OlistDataset } from '../data/index.js';

const DAY_MS = 86_400_000;

/** A fresh 32-hex id for copy `copy` of an id: deterministic, and never an id of the real data. */
function freshId(copy: number, id: string): string {
  return hash('sha256', `orderpulse-synthetic:${copy}:${id}`, 'hex').slice(0, 32);
}

function shiftDate(date: LocalDate, days: number): LocalDate {
  const t = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * DAY_MS;
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * A SYNTHETIC dataset for benchmarks: `scale` copies of a real one. Copy k has fresh ids for every
 * entity (orders, customers, products, sellers, reviews) and every time and date moved k days
 * later, so the copies interleave over the same years: order volume grows `scale` times while the
 * distributions stay those of the real data (stage durations, lateness by day, order sizes, time
 * of day; an instant moved across a daylight-saving change shifts its local hour by one).
 */
export function scaleDataset(dataset: OlistDataset, scale: number): OlistDataset {
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`scale must be a positive whole number, got ${scale}`);
  const copies = Array.from({ length: scale }, (_, k) => k);
  const shift = (copy: number, t: number): number => t + copy * DAY_MS;
  const shiftNull = (copy: number, t: number | null): number | null => (t === null ? null : t + copy * DAY_MS);
  return {
    orders: copies.flatMap((k) =>
      dataset.orders.map((o) => ({
        ...o,
        orderId: freshId(k, o.orderId),
        customerId: freshId(k, o.customerId),
        purchasedAt: shift(k, o.purchasedAt),
        approvedAt: shiftNull(k, o.approvedAt),
        deliveredToCarrierAt: shiftNull(k, o.deliveredToCarrierAt),
        deliveredToCustomerAt: shiftNull(k, o.deliveredToCustomerAt),
        estimatedDeliveryDate: shiftDate(o.estimatedDeliveryDate, k),
      })),
    ),
    items: copies.flatMap((k) =>
      dataset.items.map((i) => ({
        ...i,
        orderId: freshId(k, i.orderId),
        productId: freshId(k, i.productId),
        sellerId: freshId(k, i.sellerId),
        shippingLimitAt: shift(k, i.shippingLimitAt),
      })),
    ),
    payments: copies.flatMap((k) => dataset.payments.map((p) => ({ ...p, orderId: freshId(k, p.orderId) }))),
    customers: copies.flatMap((k) =>
      dataset.customers.map((c) => ({
        ...c,
        customerId: freshId(k, c.customerId),
        customerUniqueId: freshId(k, c.customerUniqueId),
      })),
    ),
    reviews: copies.flatMap((k) =>
      dataset.reviews.map((r) => ({
        ...r,
        reviewId: freshId(k, r.reviewId),
        orderId: freshId(k, r.orderId),
        createdDate: shiftDate(r.createdDate, k),
        answeredAt: shift(k, r.answeredAt),
      })),
    ),
    products: copies.flatMap((k) => dataset.products.map((p) => ({ ...p, productId: freshId(k, p.productId) }))),
    sellers: copies.flatMap((k) => dataset.sellers.map((s) => ({ ...s, sellerId: freshId(k, s.sellerId) }))),
    categories: dataset.categories,
    geolocation: dataset.geolocation,
    report: {
      directory: `${dataset.report.directory} (synthetic, scale ${scale})`,
      files: dataset.report.files.map((f) => ({
        ...f,
        rowsRead: f.table === 'categories' || f.table === 'geolocation' ? f.rowsRead : f.rowsRead * scale,
        accepted: f.table === 'categories' || f.table === 'geolocation' ? f.accepted : f.accepted * scale,
        quarantined: f.table === 'categories' || f.table === 'geolocation' ? f.quarantined : f.quarantined * scale,
      })),
      quarantine: [],
    },
  };
}
