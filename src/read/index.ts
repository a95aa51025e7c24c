/**
 * The read room: what the CLI and the HTTP API read from the lake (alerts, an order's timeline,
 * sales, delivery, sellers, freshness and the pipeline's state), as the shapes of `types.ts`.
 */
export { LakeReadModel } from './model.js';
export type { LakeReadModelOptions } from './model.js';
export { DEFAULT_REFRESH_MS } from './source.js';
export { STAGE_OF_RULE } from './alerts.js';
export { ReadError } from './errors.js';
export * from './types.js';
