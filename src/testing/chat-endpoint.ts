/**
 * A chat-completions endpoint for tests: a real HTTP server speaking POST /v1/chat/completions with the
 * OpenAI request and response shapes. It classifies reviews by a rule of its own, plain enough that a test
 * knows the answer without the product's classifier: a message mentioning "prazo" is a delay, one
 * mentioning "quebr" is product_quality, anything else is other. A test may answer a call its own way
 * (an error status, a delay, a cut-off answer) through `reply`.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EndpointCall {
  /** 1-based number of the call, in arrival order. */
  readonly n: number;
  /** When the request arrived (performance.now()). */
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly model: unknown;
  /** The review ids in the user message, in order. */
  readonly ids: readonly string[];
  /** The answer the double's own rule gives, as the message content. */
  readonly answer: string;
}

export type EndpointReply =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  | { readonly content: string; readonly finishReason?: string }
  | { readonly delayMs: number; readonly then?: EndpointReply };

export interface ChatEndpoint {
  /** The base URL, e.g. http://127.0.0.1:PORT/v1. */
  readonly url: string;
  readonly calls: EndpointCall[];
  /** The most requests the server had open at once. */
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

/** The double's own rule. */
export function endpointRule(title: string, message: string): { causes: string[]; primary: string } {
  const text = `${title} ${message}`.toLowerCase();
  if (text.includes('prazo')) return { causes: ['delay'], primary: 'delay' };
  if (text.includes('quebr')) return { causes: ['product_quality'], primary: 'product_quality' };
  return { causes: ['other'], primary: 'other' };
}

const completion = (content: string, finishReason = 'stop'): string =>
  JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'test',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  });

export async function startChatEndpoint(reply?: (call: EndpointCall) => EndpointReply | undefined): Promise<ChatEndpoint> {
  const calls: EndpointCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let closed = false;
    res.on('close', () => {
      if (!closed) inFlight--;
      closed = true;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: unknown; messages: { role: string; content: string }[] };
      const user = request.messages.find((m) => m.role === 'user');
      const reviews = (JSON.parse(user?.content ?? '{"reviews":[]}') as { reviews: { id: string; title: string; message: string }[] }).reviews;
      const answer = JSON.stringify({ reviews: reviews.map((r) => ({ id: r.id, ...endpointRule(r.title, r.message) })) });
      const call: EndpointCall = { n: calls.length + 1, at: performance.now(), headers: req.headers, model: request.model, ids: reviews.map((r) => r.id), answer };
      calls.push(call);
      const respond = (r: EndpointReply): void => {
        if (res.destroyed) return;
        if ('delayMs' in r) {
          setTimeout(() => respond(r.then ?? { content: answer }), r.delayMs);
        } else if ('status' in r) {
          res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(r.body ?? '{"error":{"message":"test"}}');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(completion(r.content, r.finishReason));
        }
      };
      respond(reply?.(call) ?? { content: answer });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
