import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request } from 'node:http';

/** One Server-Sent Event as received. */
export interface ReceivedEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * A Server-Sent Events client over node:http, as the tests need it: it keeps every event and
 * comment, and waits for a condition on what it received (never for a time).
 */
export class SseClient {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: ReceivedEvent[] = [];
  readonly comments: string[] = [];
  /** The whole body when the answer was not an event stream (an error). */
  body = '';
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  readonly #response: IncomingMessage;
  #buffer = '';
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(response: IncomingMessage) {
    this.#response = response;
    this.status = response.statusCode ?? 0;
    this.headers = response.headers;
    response.setEncoding('utf8');
    this.ended = new Promise((resolve) => {
      response.on('close', resolve);
      response.on('end', resolve);
    });
    response.on('data', (chunk: string) => {
      if (this.status !== 200) {
        this.body += chunk;
        return;
      }
      this.#buffer += chunk;
      let end: number;
      while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
        this.#parse(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#settle();
    });
    response.on('error', () => undefined);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => resolve(new SseClient(response)));
      req.on('error', reject);
      req.end();
    });
  }

  get alerts(): ReceivedEvent[] {
    return this.events.filter((e) => e.event === 'alert');
  }

  /** The id of the last alert received: what a browser would send back as Last-Event-ID. */
  get lastEventId(): string | undefined {
    return this.alerts.at(-1)?.id;
  }

  /** Resolves once `check` holds for what was received. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ check, resolve }));
  }

  close(): void {
    this.#response.destroy();
  }

  #parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') event = value;
      else if (name === 'id') id = value;
      else if (name === 'data') data.push(value);
      else continue;
      fields++;
    }
    if (fields > 0 && data.length > 0) this.events.push({ event, id, data: data.join('\n') });
  }

  #settle(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.check()) w.resolve();
      else this.#waiters.push(w);
    }
  }
}
