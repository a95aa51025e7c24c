import { channel } from 'node:diagnostics_channel';

/** Each HTTP request answered, published when someone listens (the metrics room). */
export const requestChannel = channel('orderpulse:serve:request');
/** The number of live-push (SSE) clients, each time it changes. */
export const sseChannel = channel('orderpulse:serve:sse');

export interface ServeRequestEvent {
  /** The route's template (`/api/orders/:orderId`), or `unmatched` for a request no route took (bounded labels). */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly seconds: number;
}

export interface ServeSseEvent {
  readonly clients: number;
}

/** What the server exposes at `/metrics`: the process's registry, kept by the composition root. */
export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}
