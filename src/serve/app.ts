import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import Fastify from 'fastify';
import type { ReadModel } from '../read/types.js';
import { requestChannel } from './channels.js';
import type { MetricsSource, ServeRequestEvent } from './channels.js';
import { SERVE_ERROR_CODES, ServeError } from './errors.js';
import type { LiveSource, LiveTiming } from './live.js';
import { LiveFeed } from './live.js';
import { registerAlertRoutes } from './routes-alerts.js';
import type { BacktestSource } from './backtest.js';
import { registerBacktestRoute } from './backtest.js';
import { registerDeliveryRoutes } from './routes-delivery.js';
import { registerOrderRoutes } from './routes-orders.js';
import { registerOverviewRoutes } from './routes-overview.js';
import { registerSalesRoutes } from './routes-sales.js';
import { registerSellerRoutes } from './routes-sellers.js';
import { registerLiveRoute } from './sse.js';
import { describeValidation } from './validation.js';

export interface ServerOptions {
  readonly read: ReadModel;
  readonly live: LiveSource;
  /** When set, every /api/ route but /api/health needs `Authorization: Bearer <token>` (/api/live also `?token=`). */
  readonly token?: string;
  /** A directory of built web files to serve at `/`; absent: the API alone. */
  readonly webRoot?: string;
  /** Fastify's logger options (default: errors only). */
  readonly logger?: FastifyServerOptions['logger'];
  /** A logger of your own (pino-like), instead of `logger`. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Requests per minute per client address (default 1200: a dashboard's bursts pass, a flood does not); null: no limit (a load benchmark). */
  readonly rateLimitPerMinute?: number | null;
  /** The live feed's intervals (tests shorten them). */
  readonly liveTiming?: Partial<LiveTiming>;
  /** The API document's version (default: package.json's). */
  readonly version?: string;
  /** The process's metrics, served at `/metrics` (same token rule as the API); absent: no such route. */
  readonly metrics?: MetricsSource;
  /** The backtest of the served data's history, at `/api/backtest`; absent: it answers that there is none. */
  readonly backtest?: BacktestSource;
}

/** Requests carry no body (every route is a GET); anything larger than this is refused before it is read. */
export const BODY_LIMIT_BYTES = 16 * 1024;
const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

function packageVersion(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: SERVE_ERROR_CODES.badRequest,
  401: SERVE_ERROR_CODES.unauthorized,
  404: SERVE_ERROR_CODES.notFound,
  405: 'OP_METHOD_NOT_ALLOWED',
  406: 'OP_NOT_ACCEPTABLE',
  413: SERVE_ERROR_CODES.payloadTooLarge,
  415: 'OP_UNSUPPORTED_MEDIA_TYPE',
  429: SERVE_ERROR_CODES.rateLimited,
};

/** Compares in constant time (over digests, so the length of the token does not show either). */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function pathOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

function isApi(request: FastifyRequest): boolean {
  const path = pathOf(request);
  const route = request.routeOptions.url ?? '';
  return path === '/api' || path.startsWith('/api/') || route.startsWith('/api/');
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ code, message });
}

/** Why a request is refused before routing (its declared body, its token), or null when it may pass. */
function refusal(request: FastifyRequest, token: string | undefined): ServeError | null {
  // Every route is a GET: a declared body over the limit is refused before it is read, on any path.
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > BODY_LIMIT_BYTES) {
    return new ServeError(SERVE_ERROR_CODES.payloadTooLarge, `request body too large: ${length} bytes, at most ${BODY_LIMIT_BYTES}`);
  }
  const guarded = isApi(request) || pathOf(request) === '/metrics';
  if (token === undefined || !guarded || request.routeOptions.url === '/api/health') return null;
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : undefined;
  // An EventSource cannot send headers, so the live stream also takes the token in the query.
  const query = request.routeOptions.url === '/api/live' ? (request.query as { token?: unknown }).token : undefined;
  const given = bearer ?? (typeof query === 'string' ? query : undefined);
  if (given === undefined) return new ServeError(SERVE_ERROR_CODES.unauthorized, 'this server needs a token: send the header Authorization: Bearer <token>');
  if (!sameToken(given, token)) return new ServeError(SERVE_ERROR_CODES.unauthorized, 'the token is wrong');
  return null;
}

/**
 * The HTTP server: the API's routes over a read model, the live stream over the event log, the web
 * app's files. Built, not listening: `inject` tests it, `startServer` listens.
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: options.logger ?? { level: 'error' } } : { loggerInstance: options.loggerInstance }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A request must arrive whole within 10 s; a connection idle for 60 s is closed (the live stream turns this off for itself).
    requestTimeout: 10_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // An unknown query parameter is an error naming it, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });

  // The error body is always { code, message }; a 500 says nothing of its cause, which goes to the log.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation !== undefined) return sendError(reply, 400, SERVE_ERROR_CODES.badRequest, describeValidation(error, request));
    if (error instanceof ServeError) return sendError(reply, error.statusCode, error.code, error.message);
    const status = error.statusCode ?? 500;
    if (status === 403) return sendError(reply, 403, 'OP_FORBIDDEN', `the path ${pathOf(request).slice(0, 200)} is outside the web files`);
    if (status >= 400 && status < 500) return sendError(reply, status, CODE_OF_STATUS[status] ?? SERVE_ERROR_CODES.badRequest, error.message);
    // The path only: a query may hold the live stream's token.
    request.log.error({ err: error, method: request.method, path: pathOf(request) }, 'request failed');
    return sendError(reply, 500, SERVE_ERROR_CODES.internal, 'the server could not answer this request; the error is in its log');
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    const lastSegment = path.slice(path.lastIndexOf('/') + 1);
    // The web app routes on the client: a page path (no file extension) gets the app's shell.
    if (options.webRoot !== undefined && (request.method === 'GET' || request.method === 'HEAD') && !isApi(request) && !lastSegment.includes('.')) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return sendError(reply, 404, SERVE_ERROR_CODES.notFound, `no such route: ${request.method} ${path.slice(0, 200)}`);
  });

  app.addHook('onRequest', (request, _reply, done) => {
    done(refusal(request, options.token) ?? undefined);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (requestChannel.hasSubscribers) {
      requestChannel.publish({
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      } satisfies ServeRequestEvent);
    }
    done();
  });

  void app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // No style attributes either: the web app draws chart tooltips on the canvas.
        styleSrc: ["'self'"],
        // ECharts draws on canvas and exports images as data: and blob: URLs.
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Served over plain HTTP on a local or private address: asking browsers for HTTPS would break it.
    strictTransportSecurity: false,
  });
  if (options.rateLimitPerMinute !== null) {
    void app.register(rateLimit, {
      max: options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new ServeError(SERVE_ERROR_CODES.rateLimited, `too many requests from this address; try again in ${context.after}`, { statusCode: context.statusCode }),
    });
  }
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'OrderPulse', version: options.version ?? packageVersion(), description: 'Delivery-delay alerts and sales intelligence on the Olist marketplace.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(options.token === undefined ? {} : { security: [{ bearer: [] }] }),
    },
  });
  if (options.webRoot !== undefined) {
    void app.register(fastifyStatic, { root: options.webRoot, prefix: '/', list: false, index: 'index.html', dotfiles: 'ignore', redirect: false });
  }

  const feed = new LiveFeed({ source: options.live, freshness: () => options.read.freshness(), timing: options.liveTiming ?? {}, log: app.log });
  // Open live streams would hold the server's close forever: they end first.
  app.addHook('preClose', () => feed.close());

  // Registered after the plugins so that their route hooks (the API document, the rate limit) see every route.
  void app.register((api, _options, done) => {
    registerOverviewRoutes(api, options.read);
    registerAlertRoutes(api, options.read);
    registerBacktestRoute(api, options.backtest);
    registerOrderRoutes(api, options.read);
    registerSalesRoutes(api, options.read);
    registerDeliveryRoutes(api, options.read);
    registerSellerRoutes(api, options.read);
    registerLiveRoute(api, feed);
    api.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
    const metrics = options.metrics;
    if (metrics !== undefined) {
      api.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
    }
    done();
  });
  return app;
}
