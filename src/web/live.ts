/**
 * The live stream (/api/live, Server-Sent Events): alert changes, the stream's watermark and the
 * event rate. The browser's EventSource reconnects by itself after a dropped connection (sending
 * Last-Event-ID); when it gives up (the server refused, e.g. a 401), this reopens it with a growing
 * delay, and with the token once one is known (an EventSource cannot send headers, hence `?token=`).
 */
import type { AlertChangeRow, LiveMessage } from '../read/types.js';
import { currentToken, onToken, tokenDeclined } from './api.js';

type Watermark = Extract<LiveMessage, { type: 'watermark' }>;
type Rates = Extract<LiveMessage, { type: 'rates' }>;
export interface LiveEvents {
  readonly alert: AlertChangeRow;
  readonly watermark: Watermark;
  readonly rates: Rates;
}
export type LiveKind = keyof LiveEvents;
export type LiveState = 'connecting' | 'open' | 'reconnecting';

/** How many rate samples the pipeline chart keeps (one a second: two minutes). */
const RATE_HISTORY = 120;
const MAX_RETRY_MS = 30_000;

export class LiveStream {
  #source: EventSource | null = null;
  #retryMs = 1000;
  #retryTimer: number | undefined;
  readonly #listeners: { [K in LiveKind]: Set<(event: LiveEvents[K]) => void> } = { alert: new Set(), watermark: new Set(), rates: new Set() };
  readonly #stateListeners = new Set<(state: LiveState) => void>();
  /** Recent rates, so the pipeline page has a line as soon as it opens. */
  readonly rates: Rates[] = [];
  lastWatermark: Watermark | null = null;
  state: LiveState = 'connecting';

  constructor() {
    onToken(() => this.reopen());
  }

  open(): void {
    this.#close();
    const token = currentToken();
    const source = new EventSource(token ? `/api/live?token=${encodeURIComponent(token)}` : '/api/live');
    this.#source = source;
    source.addEventListener('open', () => {
      this.#retryMs = 1000;
      this.#setState('open');
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        this.#setState('reconnecting');
        // Refused for want of a token the user chose not to give: wait for one (onToken reopens).
        if (tokenDeclined()) return;
        this.#retryTimer = window.setTimeout(() => this.open(), this.#retryMs);
        this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
      } else {
        this.#setState('reconnecting');
      }
    });
    source.addEventListener('alert', (event) => {
      const message = parse(event, 'alert');
      if (message?.type === 'alert' && typeof message.change?.alertId === 'string') this.#emit('alert', message.change);
    });
    source.addEventListener('watermark', (event) => {
      const message = parse(event, 'watermark');
      if (message?.type === 'watermark') {
        this.lastWatermark = message;
        this.#emit('watermark', message);
      }
    });
    source.addEventListener('rates', (event) => {
      const message = parse(event, 'rates');
      if (message?.type === 'rates' && typeof message.eventsPerSecond === 'number') {
        this.rates.push(message);
        if (this.rates.length > RATE_HISTORY) this.rates.splice(0, this.rates.length - RATE_HISTORY);
        this.#emit('rates', message);
      }
    });
  }

  reopen(): void {
    this.#retryMs = 1000;
    this.open();
  }

  on<K extends LiveKind>(kind: K, listener: (event: LiveEvents[K]) => void): () => void {
    const set = this.#listeners[kind] as Set<(event: LiveEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.#stateListeners.add(listener);
    listener(this.state);
    return () => this.#stateListeners.delete(listener);
  }

  #emit<K extends LiveKind>(kind: K, event: LiveEvents[K]): void {
    for (const listener of this.#listeners[kind] as Set<(event: LiveEvents[K]) => void>) listener(event);
  }

  #setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  #close(): void {
    window.clearTimeout(this.#retryTimer);
    this.#source?.close();
    this.#source = null;
  }
}

/**
 * An event's data is the JSON of a LiveMessage. Data without its `type` is taken as the message of
 * the event's name (an alert's bare change row, a watermark's fields), so either form works.
 */
function parse(event: Event, kind: LiveKind): LiveMessage | null {
  if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if ('type' in value) return value as LiveMessage;
  return (kind === 'alert' ? { type: 'alert', change: value } : { type: kind, ...value }) as LiveMessage;
}
