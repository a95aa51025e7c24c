import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { LiveMessage } from '../read/types.js';
import { sseChannel } from './channels.js';
import type { ServeSseEvent } from './channels.js';
import { parseCursor } from './cursor.js';
import { badRequest } from './errors.js';
import type { LiveFeed, LiveSubscriber } from './live.js';
import { liveSchema } from './schemas-overview.js';

/** A client whose unsent output grows past this is too slow: it is dropped and resumes from its Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** How long an EventSource waits before reconnecting. */
const RETRY_MS = 2000;

/** One Server-Sent Events connection: the text format over the raw response. */
class SseConnection implements LiveSubscriber {
  readonly #response: ServerResponse;
  readonly #gone: () => void;
  /** What the feed sent before the head was written (a catch-up runs before the client is accepted). */
  #queued: string[] | null = [];

  constructor(response: ServerResponse, gone: () => void) {
    this.#response = response;
    this.#gone = gone;
  }

  open(): void {
    this.#response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // A reverse proxy must pass each event on at once rather than buffer the stream.
      'x-accel-buffering': 'no',
    });
    const queued = this.#queued ?? [];
    this.#queued = null;
    this.#write(`retry: ${RETRY_MS}\n: connected\n\n${queued.join('')}`);
  }

  send(message: LiveMessage, id?: string): void {
    this.#write(`event: ${message.type}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(message)}\n\n`);
  }

  heartbeat(): void {
    this.#write(': heartbeat\n\n');
  }

  end(): void {
    if (!this.#response.writableEnded) this.#response.end();
  }

  #write(text: string): void {
    if (this.#queued !== null) {
      this.#queued.push(text);
      return;
    }
    const response = this.#response;
    if (response.writableEnded || response.destroyed) return;
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      response.destroy();
      this.#gone();
      return;
    }
    response.write(text);
  }
}

/** `/api/live`: the live feed as Server-Sent Events. */
export function registerLiveRoute(api: FastifyInstance, feed: LiveFeed): void {
  // Connected clients of this server, published on each change (a gauge's current value).
  let clients = 0;
  api.get<{ Querystring: { token?: string }; Headers: { 'last-event-id'?: string } }>('/api/live', { schema: liveSchema }, async (request, reply) => {
    const lastEventId = request.headers['last-event-id'];
    let cursor = null;
    if (lastEventId !== undefined && lastEventId !== '') {
      cursor = parseCursor(lastEventId);
      if (cursor === null) {
        throw badRequest('header Last-Event-ID must be a cursor as this server sent it in `id:` (partition:offset, comma separated, e.g. 0:120,1:98)');
      }
    }
    reply.hijack();
    const socket = request.raw.socket;
    // The stream stays open: no idle timeout, and each event leaves at once.
    socket.setTimeout(0);
    socket.setNoDelay(true);
    const connection: SseConnection = new SseConnection(reply.raw, () => feed.unsubscribe(connection));
    clients++;
    if (sseChannel.hasSubscribers) sseChannel.publish({ clients } satisfies ServeSseEvent);
    reply.raw.on('close', () => {
      feed.unsubscribe(connection);
      clients--;
      if (sseChannel.hasSubscribers) sseChannel.publish({ clients } satisfies ServeSseEvent);
    });
    try {
      await feed.subscribe(connection, cursor);
    } catch {
      // The server is closing.
      reply.raw.destroy();
      return;
    }
    if (reply.raw.destroyed) return;
    connection.open();
  });
}
