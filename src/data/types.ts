/**
 * The Olist tables as OrderPulse holds them after loading and validation.
 *
 * Instants are milliseconds since the Unix epoch (UTC). Olist writes timestamps as Brazilian local time
 * without a zone; the loader converts them with the America/Sao_Paulo rules (see `time.ts`).
 * Dates without a time (the estimated delivery date, the review creation date) stay calendar dates,
 * `YYYY-MM-DD`, because their meaning is "that whole local day".
 * Money is held in integer cents (BRL) so sums are exact.
 */

/** Milliseconds since 1970-01-01T00:00:00Z. */
export type EpochMillis = number;
/** A calendar date in Brazilian local time, `YYYY-MM-DD`. */
export type LocalDate = string;

export const ORDER_STATUSES = [
  'created',
  'approved',
  'invoiced',
  'processing',
  'shipped',
  'delivered',
  'canceled',
  'unavailable',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_TYPES = ['credit_card', 'boleto', 'voucher', 'debit_card', 'not_defined'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];

/** The 27 federative units of Brazil (26 states and the Federal District). */
export const BRAZIL_STATES = [
  'AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA',
  'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO',
] as const;
export type BrazilState = (typeof BRAZIL_STATES)[number];

export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly purchasedAt: EpochMillis;
  readonly approvedAt: EpochMillis | null;
  readonly deliveredToCarrierAt: EpochMillis | null;
  readonly deliveredToCustomerAt: EpochMillis | null;
  /** The promised delivery day: delivered on that local day is on time. */
  readonly estimatedDeliveryDate: LocalDate;
}

export interface OrderItem {
  readonly orderId: string;
  /** 1-based position of the item within its order. */
  readonly orderItemId: number;
  readonly productId: string;
  readonly sellerId: string;
  /** The seller must hand the item to the carrier by this instant. */
  readonly shippingLimitAt: EpochMillis;
  readonly priceCents: number;
  readonly freightCents: number;
}

export interface OrderPayment {
  readonly orderId: string;
  readonly paymentSequential: number;
  readonly paymentType: PaymentType;
  readonly paymentInstallments: number;
  readonly paymentValueCents: number;
}

export interface Customer {
  /** Per order: Olist gives every order its own customer_id. */
  readonly customerId: string;
  /** The person behind the order. */
  readonly customerUniqueId: string;
  readonly zipCodePrefix: string;
  readonly city: string;
  readonly state: BrazilState;
}

export interface OrderReview {
  /** Not unique on its own in Olist: the key is (reviewId, orderId). */
  readonly reviewId: string;
  readonly orderId: string;
  readonly score: 1 | 2 | 3 | 4 | 5;
  readonly commentTitle: string | null;
  readonly commentMessage: string | null;
  /** The day the satisfaction survey was sent. */
  readonly createdDate: LocalDate;
  readonly answeredAt: EpochMillis;
}

export interface Product {
  readonly productId: string;
  /** Portuguese category name; null for the products Olist left uncategorised. */
  readonly categoryName: string | null;
  readonly nameLength: number | null;
  readonly descriptionLength: number | null;
  readonly photosQty: number | null;
  readonly weightG: number | null;
  readonly lengthCm: number | null;
  readonly heightCm: number | null;
  readonly widthCm: number | null;
}

export interface Seller {
  readonly sellerId: string;
  readonly zipCodePrefix: string;
  readonly city: string;
  readonly state: BrazilState;
}

export interface CategoryTranslation {
  readonly categoryName: string;
  readonly categoryNameEnglish: string;
}

export interface Geolocation {
  readonly zipCodePrefix: string;
  readonly lat: number;
  readonly lng: number;
  readonly city: string;
  readonly state: BrazilState;
}

/** The nine Kaggle files, by the role they play. */
export const OLIST_FILES = {
  orders: 'olist_orders_dataset',
  items: 'olist_order_items_dataset',
  payments: 'olist_order_payments_dataset',
  customers: 'olist_customers_dataset',
  reviews: 'olist_order_reviews_dataset',
  products: 'olist_products_dataset',
  sellers: 'olist_sellers_dataset',
  categories: 'product_category_name_translation',
  geolocation: 'olist_geolocation_dataset',
} as const;
export type OlistTable = keyof typeof OLIST_FILES;

/** A row that failed validation: kept, with where it came from and why, never silently dropped. */
export interface QuarantinedRow {
  readonly table: OlistTable;
  /** The file name as found on disk, e.g. `olist_orders_dataset.csv.gz`. */
  readonly file: string;
  /** 1-based line number in the uncompressed file where the record starts (the header is line 1). */
  readonly line: number;
  /** The column at fault, when one column is. */
  readonly column: string | null;
  readonly reason: string;
  /** The raw fields as read (column name → text), or the raw line when it could not be split. */
  readonly raw: Readonly<Record<string, string>> | string;
}

export interface FileReport {
  readonly table: OlistTable;
  readonly file: string;
  readonly rowsRead: number;
  readonly accepted: number;
  readonly quarantined: number;
}

export interface ValidationReport {
  readonly directory: string;
  readonly files: readonly FileReport[];
  readonly quarantine: readonly QuarantinedRow[];
}

export interface OlistDataset {
  readonly orders: readonly Order[];
  readonly items: readonly OrderItem[];
  readonly payments: readonly OrderPayment[];
  readonly customers: readonly Customer[];
  readonly reviews: readonly OrderReview[];
  readonly products: readonly Product[];
  readonly sellers: readonly Seller[];
  readonly categories: readonly CategoryTranslation[];
  /** Null when the directory has no geolocation file (it is optional). */
  readonly geolocation: readonly Geolocation[] | null;
  readonly report: ValidationReport;
}

/** Oddities of real Olist found in accepted orders. Counted for information; they are not errors. */
export interface DataAnomalies {
  /** Status `delivered` without an order_delivered_customer_date. */
  readonly deliveredWithoutDeliveryDate: number;
  /** An order_delivered_customer_date on an order whose status is not `delivered` (e.g. canceled). */
  readonly deliveryDateOnUndeliveredOrder: number;
  /** order_delivered_carrier_date before order_approved_at. */
  readonly carrierBeforeApproval: number;
  /** order_delivered_customer_date before order_delivered_carrier_date. */
  readonly deliveredBeforeCarrier: number;
  /** Accepted orders with no accepted item (Olist's `unavailable` and some `canceled` orders). */
  readonly ordersWithoutItems: number;
}

/** What the loader noticed beyond the quarantine. */
export interface DataObservations {
  /**
   * Product categories missing from the translation table, with how many accepted products carry each.
   * Such products are accepted; their English name falls back to the Portuguese one.
   */
  readonly untranslatedCategories: readonly { readonly categoryName: string; readonly products: number }[];
  readonly anomalies: DataAnomalies;
}

/** The validation report as `loadOlist` and `validateOlist` produce it. */
export interface OlistValidationReport extends ValidationReport {
  readonly observations: DataObservations;
}

/** What `loadOlist` returns: an OlistDataset whose report carries the observations. */
export interface LoadedOlist extends OlistDataset {
  readonly report: OlistValidationReport;
}
