import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { API_ROUTES } from '../read/types.js';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import type { BacktestAnswer } from '../read/index.js';
import type { ServerOptions } from './app.js';
import { createServer } from './app.js';
import { ANSWERS, FakeReadModel, KNOWN_ORDER, KNOWN_SELLER } from './test-read-model.js';
import type { TestLiveLog } from './test-live-source.js';
import { openTestLiveLog } from './test-live-source.js';

const dir = tempDir('orderpulse-serve-');
let liveLog: TestLiveLog;
const apps: FastifyInstance[] = [];

function appWith(read: FakeReadModel, options: Partial<ServerOptions> = {}): FastifyInstance {
  const app = createServer({ read, live: liveLog.source, logger: false, ...options });
  apps.push(app);
  return app;
}

/** A pino-like logger that keeps what is logged at error level. */
function errorRecorder(): { logger: FastifyBaseLogger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  const ignore = (): void => undefined;
  const logger = {
    level: 'error',
    fatal: ignore,
    error: (...args: unknown[]) => errors.push(args),
    warn: ignore,
    info: ignore,
    debug: ignore,
    trace: ignore,
    silent: ignore,
    child: () => logger,
  };
  return { logger, errors };
}

before(async () => {
  liveLog = await openTestLiveLog(dir.path);
});
after(async () => {
  for (const app of apps) await app.close();
  await liveLog.close();
  dir.remove();
});

describe('the API routes', () => {
  const read = new FakeReadModel();
  let app: FastifyInstance;
  before(() => {
    app = appWith(read);
  });

  // Every route and the read it must make; the answer must come back whole (the response schema drops nothing).
  const cases: [url: string, read: string, args: unknown[], answer: unknown][] = [
    ['/api/alerts', 'openAlerts', [{ limit: 50, offset: 0 }], ANSWERS.openAlerts],
    ['/api/alerts?rule=handoff_overdue&stage=handoff&state=escalated&grade=B&customerState=SP&category=housewares&limit=10&offset=20', 'openAlerts',
      [{ rule: 'handoff_overdue', stage: 'handoff', state: 'escalated', grade: 'B', customerState: 'SP', category: 'housewares', limit: 10, offset: 20 }], ANSWERS.openAlerts],
    ['/api/alerts?kind=risk&rule=delivery_at_risk', 'openAlerts', [{ kind: 'risk', rule: 'delivery_at_risk', limit: 50, offset: 0 }], ANSWERS.openAlerts],
    ['/api/alerts/changes', 'alertChanges', [{ limit: 50 }], ANSWERS.alertChanges],
    [`/api/alerts/changes?order=${KNOWN_ORDER}&rule=delivered_late&limit=500`, 'alertChanges', [{ orderId: KNOWN_ORDER, rule: 'delivered_late', limit: 500 }], ANSWERS.alertChanges],
    [`/api/orders/${KNOWN_ORDER}`, 'order', [KNOWN_ORDER], ANSWERS.order],
    ['/api/kpis?from=2017-01&to=2017-12&state=RJ&grade=A', 'kpis', [{ from: '2017-01', to: '2017-12', state: 'RJ', grade: 'A' }], ANSWERS.kpis],
    ['/api/sales', 'sales', [{}], ANSWERS.sales],
    ['/api/products?category=housewares&offset=5', 'products', [{ category: 'housewares' }, { limit: 50, offset: 5 }], ANSWERS.products],
    ['/api/portfolio?limit=1', 'portfolio', [{}, { limit: 1, offset: 0 }], ANSWERS.portfolio],
    ['/api/grades?from=2018-01', 'grades', [{ from: '2018-01' }], ANSWERS.grades],
    ['/api/lead-times?to=2016-12', 'leadTimes', [{ to: '2016-12' }], ANSWERS.leadTimes],
    ['/api/delivery', 'deliveryPerformance', [{}], ANSWERS.delivery],
    ['/api/open-orders?state=SP', 'openOrders', [{ state: 'SP' }], ANSWERS.openOrders],
    ['/api/sellers', 'sellers', [{ sort: 'orders', direction: 'desc', limit: 50, offset: 0 }], ANSWERS.sellers],
    ['/api/sellers?sort=trend&direction=asc&state=MG&limit=3&offset=1', 'sellers', [{ sort: 'trend', direction: 'asc', state: 'MG', limit: 3, offset: 1 }], ANSWERS.sellers],
    [`/api/sellers/${KNOWN_SELLER}`, 'seller', [KNOWN_SELLER], ANSWERS.seller],
    ['/api/review-impact', 'reviewImpact', [{}], ANSWERS.reviewImpact],
    ['/api/review-causes?from=2017-01&to=2017-12', 'reviewCauses', [{ from: '2017-01', to: '2017-12' }], ANSWERS.reviewCauses],
    ['/api/freshness', 'freshness', [], ANSWERS.freshness],
    ['/api/pipeline', 'pipeline', [], ANSWERS.pipeline],
  ];
  for (const [url, readName, args, answer] of cases) {
    it(`GET ${url} answers the read ${readName} whole`, async () => {
      read.calls.length = 0;
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, response.body);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.deepEqual(response.json(), answer);
      assert.deepEqual(read.calls, [{ read: readName, args }]);
    });
  }

  it('GET /api/backtest answers the source whole, or says there is none, without a read', async () => {
    read.calls.length = 0;
    const none = await app.inject('/api/backtest');
    assert.equal(none.statusCode, 200);
    assert.deepEqual(none.json(), { available: false, reason: 'this server was started without Olist files to replay' });
    const rule = { rule: 'delivery_at_risk', alerts: 9, truePositives: 4, falsePositives: 5, precision: 4 / 9, recall: 1, caughtEarly: 3, recallEarly: 0.75, warningMedianDays: 3.5, warningP10Days: null };
    const report: BacktestAnswer = {
      available: true,
      trainUntil: '2018-03-01T03:00:00.000Z',
      testFrom: '2018-03-01T03:00:00.000Z',
      testUntil: null,
      trainingOrders: 70,
      testOrders: 60,
      judgedOrders: 58,
      lateOrders: 4,
      baseLateRate: 4 / 58,
      earlyDays: 2,
      riskThreshold: 0.6,
      rules: [rule],
      sweep: [{ ...rule, threshold: 0.6 }],
      aucAtApproval: 0.667,
      aucAtHandoff: null,
      handoffBaselineAuc: 0.568,
    };
    const served = appWith(read, { backtest: { answer: () => Promise.resolve(report) } });
    const response = await served.inject('/api/backtest');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), report, 'no field dropped by the response schema');
    assert.deepEqual(read.calls, []);
  });

  it('GET /api/health answers without a read', async () => {
    read.calls.length = 0;
    const response = await app.inject('/api/health');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { ok: true });
    assert.deepEqual(read.calls, []);
  });

  it('every route of the contract but the live stream is one of the cases above (the live stream has its own tests)', () => {
    const tested = new Set([...cases.map(([url]) => url.split('?')[0]!), '/api/health', '/api/openapi.json', '/api/live', '/api/backtest']);
    const untested = API_ROUTES.filter((route) => ![...tested].some((url) => url === route || (route.includes(':') && url.startsWith(route.slice(0, route.indexOf(':'))))));
    assert.deepEqual(untested, []);
  });

  it('a category is passed as it came, quotes and all: SQL safety is the read model bound parameters, not the schema', async () => {
    read.calls.length = 0;
    const category = "' OR 1=1 --";
    const response = await app.inject({ method: 'GET', url: '/api/sales', query: { category } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(read.calls, [{ read: 'sales', args: [{ category }] }]);
  });

  it('an unknown order or seller is a 404 naming it', async () => {
    for (const [url, what] of [
      ['/api/orders/00000000000000000000000000000000', 'order 00000000000000000000000000000000'],
      ['/api/sellers/ffffffffffffffffffffffffffffffff', 'seller ffffffffffffffffffffffffffffffff'],
    ] as const) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 404);
      assert.deepEqual(response.json(), { code: 'OP_NOT_FOUND', message: `${what} not found` });
    }
  });

  it('an unknown route is a 404 in JSON', async () => {
    for (const url of ['/api/nope', '/api', '/api/alerts/nope/deeper', '/nope']) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 404, url);
      assert.equal(response.json<{ code: string }>().code, 'OP_NOT_FOUND');
      assert.match(response.json<{ message: string }>().message, /no such route: GET /);
    }
  });

  it('serves its OpenAPI 3 document with every route of the contract', async () => {
    const response = await app.inject('/api/openapi.json');
    assert.equal(response.statusCode, 200);
    const document = response.json<{ openapi: string; info: { title: string; version: string }; paths: Record<string, { get?: unknown }> }>();
    assert.match(document.openapi, /^3\./);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(document.info.title, 'OrderPulse');
    assert.equal(document.info.version, pkg.version);
    const expected = API_ROUTES.filter((r) => r !== '/api/openapi.json').map((r) => r.replace(/:(\w+)/g, '{$1}'));
    assert.deepEqual(Object.keys(document.paths).sort(), [...expected].sort());
    for (const path of expected) assert.ok(document.paths[path]?.get !== undefined, `${path} has a GET`);
  });
});

describe('bad requests', () => {
  const read = new FakeReadModel();
  let app: FastifyInstance;
  before(() => {
    app = appWith(read);
  });

  // Each kind of bad parameter: the answer is a 400 whose message names the parameter and says what it must be.
  const bad: [url: string, parameter: string, says: RegExp][] = [
    ['/api/sales?from=2017-13', 'from', /YYYY-MM/],
    ['/api/sales?to=17-01', 'to', /YYYY-MM/],
    ['/api/kpis?state=sp', 'state', /two capital letters/],
    ['/api/kpis?grade=F', 'grade', /one of A, B, C, D, E/],
    ['/api/grades?category=' + 'x'.repeat(101), 'category', /1 to 100 characters/],
    ['/api/alerts?customerState=SAO', 'customerState', /two capital letters/],
    ['/api/alerts?rule=late', 'rule', /one of approval_overdue/],
    ['/api/alerts?stage=shipping', 'stage', /one of approval, handoff, delivery/],
    ['/api/alerts?state=closed', 'state', /one of open, escalated, resolved/],
    ['/api/alerts?limit=0', 'limit', /from 1 to 1000/],
    ['/api/alerts?limit=1001', 'limit', /from 1 to 1000/],
    ['/api/alerts?limit=ten', 'limit', /from 1 to 1000/],
    ['/api/products?offset=-1', 'offset', /0 or more/],
    ['/api/portfolio?offset=1.5', 'offset', /whole number/],
    ['/api/alerts/changes?order=XYZ', 'order', /32 lowercase hex/],
    ['/api/orders/E481F51CBDC54678B7CC49136F2D6AF7', 'orderId', /32 lowercase hex/],
    ['/api/sellers/123', 'sellerId', /32 lowercase hex/],
    ['/api/sellers?sort=revenue', 'sort', /one of orders, onTimeRate/],
    ['/api/sellers?direction=up', 'direction', /asc or desc/],
    ['/api/sales?grade=A&grade=B', 'grade', /given once/],
  ];
  for (const [url, parameter, says] of bad) {
    it(`${url.slice(0, 70)} is a 400 naming ${parameter}`, async () => {
      read.calls.length = 0;
      const response = await app.inject(url);
      assert.equal(response.statusCode, 400, response.body);
      const body = response.json<{ code: string; message: string }>();
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
      assert.equal(body.code, 'OP_BAD_REQUEST');
      assert.match(body.message, new RegExp(`parameter ${parameter} `));
      assert.match(body.message, says);
      assert.deepEqual(read.calls, [], 'no read is made for a bad request');
    });
  }

  it('an unknown query parameter is a 400 naming it and the ones the route takes', async () => {
    const response = await app.inject('/api/sales?form=2017-01');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { code: 'OP_BAD_REQUEST', message: 'unknown query parameter form; this route takes from, to, state, category, grade' });
    const none = await app.inject('/api/freshness?verbose=1');
    assert.deepEqual(none.json(), { code: 'OP_BAD_REQUEST', message: 'unknown query parameter verbose; this route takes none' });
  });

  it('a month range that runs backwards is a 400 naming both ends', async () => {
    const response = await app.inject('/api/sales?from=2018-02&to=2017-12');
    assert.equal(response.statusCode, 400);
    assert.match(response.json<{ message: string }>().message, /from 2018-02 is after to 2017-12/);
  });

  it('a body over the limit is a 413, on any path', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await app.inject({ method, url: '/api/alerts', payload: 'x'.repeat(20_000), headers: { 'content-type': 'text/plain' } });
      assert.equal(response.statusCode, 413, method);
      assert.equal(response.json<{ code: string }>().code, 'OP_PAYLOAD_TOO_LARGE');
    }
  });

  it('a read that throws is a 500 with a generic message; the error goes to the log, not to the client', async () => {
    const { logger, errors } = errorRecorder();
    const failing = new FakeReadModel();
    failing.failing = new Error('duckdb: Catalog Error: table gold.secret_internal does not exist');
    const app500 = appWith(failing, { loggerInstance: logger });
    const response = await app500.inject('/api/kpis');
    assert.equal(response.statusCode, 500);
    const body = response.json<Record<string, unknown>>();
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
    assert.equal(body['code'], 'OP_INTERNAL');
    assert.doesNotMatch(response.body, /secret_internal|duckdb|at |\.js/);
    assert.ok(errors.some((args) => args.some((a) => (a as { err?: Error } | null)?.err?.message.includes('secret_internal') === true)), 'the error is logged');
  });

  it('too many requests from one address is a 429', async () => {
    const limited = appWith(new FakeReadModel(), { rateLimitPerMinute: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.inject('/api/health')).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const response = await limited.inject('/api/sales');
    assert.equal(response.json<{ code: string }>().code, 'OP_RATE_LIMITED');
    assert.match(response.json<{ message: string }>().message, /too many requests/);
  });
});

describe('the token', () => {
  const token = 's3cret-token-for-tests';
  let app: FastifyInstance;
  before(() => {
    app = appWith(new FakeReadModel(), { token });
  });

  it('every /api/ route but /api/health needs it: none or a wrong one is a 401, the right one passes', async () => {
    for (const url of ['/api/kpis', '/api/alerts', `/api/orders/${KNOWN_ORDER}`, '/api/openapi.json', '/api/nope']) {
      const none = await app.inject(url);
      assert.equal(none.statusCode, 401, url);
      assert.deepEqual(none.json(), { code: 'OP_UNAUTHORIZED', message: 'this server needs a token: send the header Authorization: Bearer <token>' });
      const wrong = await app.inject({ url, headers: { authorization: `Bearer ${token}x` } });
      assert.equal(wrong.statusCode, 401, url);
      assert.deepEqual(wrong.json(), { code: 'OP_UNAUTHORIZED', message: 'the token is wrong' });
      const basic = await app.inject({ url, headers: { authorization: `Basic ${token}` } });
      assert.equal(basic.statusCode, 401, url);
      const right = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      assert.equal(right.statusCode, url === '/api/nope' ? 404 : 200, url);
    }
    assert.equal((await app.inject('/api/health')).statusCode, 200);
    // A route reached through an encoded path is still a route that needs the token.
    assert.equal((await app.inject('/%61pi/kpis')).statusCode, 401);
    assert.equal((await app.inject('/api/%6Bpis')).statusCode, 401);
  });

  it('a query token is taken by the live stream only', async () => {
    assert.equal((await app.inject(`/api/kpis?token=${token}`)).statusCode, 401);
    assert.equal((await app.inject('/api/live?token=wrong')).statusCode, 401);
    assert.equal((await app.inject('/api/live')).statusCode, 401);
  });
});

describe('security headers', () => {
  it('helmet sets a content security policy that lets the web app run and nothing else', async () => {
    const app = appWith(new FakeReadModel());
    const response = await app.inject('/api/health');
    const csp = String(response.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "img-src 'self' data: blob:", "object-src 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response.headers['x-powered-by'], undefined);
    // Errors carry them too.
    assert.ok((await app.inject('/api/nope')).headers['content-security-policy']);
  });
});

describe('the web files', () => {
  let app: FastifyInstance;
  const web = join(dir.path, 'site', 'web');
  before(() => {
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>OrderPulse</title>');
    writeFileSync(join(web, 'app.js'), 'console.log("app");');
    writeFileSync(join(web, 'assets', 'style.css'), 'body{}');
    writeFileSync(join(web, '.env'), 'HIDDEN-DOTFILE');
    // Beside the web root, where a traversal would reach.
    writeFileSync(join(dir.path, 'site', 'secret.txt'), 'TOP-SECRET');
    app = appWith(new FakeReadModel(), { webRoot: web });
  });

  it('serves the files and index.html at /', async () => {
    const root = await app.inject('/');
    assert.equal(root.statusCode, 200);
    assert.match(root.body, /<title>OrderPulse<\/title>/);
    const script = await app.inject('/app.js');
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.equal((await app.inject('/assets/style.css')).body, 'body{}');
  });

  it("a page path of the web app gets index.html (the app routes on the client); a missing file is a 404", async () => {
    for (const url of ['/sales', '/orders/e481f51cbdc54678b7cc49136f2d6af7?from=2017-01', '/delivery/']) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 200, url);
      assert.match(response.body, /<title>OrderPulse<\/title>/, url);
    }
    const missing = await app.inject('/missing.js');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ code: string }>().code, 'OP_NOT_FOUND');
  });

  it('a directory is never listed', async () => {
    for (const url of ['/assets/', '/assets']) {
      const response = await app.inject(url);
      assert.doesNotMatch(response.body, /style\.css/, url);
      assert.ok(response.statusCode === 404 || /<title>OrderPulse<\/title>/.test(response.body), `${url}: ${response.statusCode} ${response.body}`);
    }
  });

  it('a path out of the web root, or to a dotfile, is refused', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/.env']) {
      const response = await app.inject(url);
      assert.doesNotMatch(response.body, /TOP-SECRET|HIDDEN-DOTFILE/, url);
      assert.notEqual(response.statusCode, 500, url);
    }
  });

  it('a raw request line with .. (as no browser or client library would send it) gets nothing out of the web root', async () => {
    const listening = appWith(new FakeReadModel(), { webRoot: web });
    await listening.listen({ host: '127.0.0.1', port: 0 });
    const { port } = listening.server.address() as { port: number };
    const rawGet = (path: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..\\..\\secret.txt']) {
      const answer = await rawGet(path);
      assert.match(answer, /^HTTP\/1\.1 (400|403|404) /, path);
      assert.match(answer, /"code":"OP_(BAD_REQUEST|FORBIDDEN|NOT_FOUND)"/, path);
      assert.doesNotMatch(answer, /TOP-SECRET/, path);
    }
  });
});
