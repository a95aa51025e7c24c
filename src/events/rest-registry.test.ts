import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { EventsError } from './errors.js';
import { schemaRegistryContract } from './registry-contract.js';
import { canonicalSchema } from './registry-schema.js';
import { RestSchemaRegistry } from './rest-registry.js';
import type { RestSchemaRegistryOptions } from './rest-registry.js';

// ---- the contract, against a real Confluent-compatible registry ----------------------------------

// scripts/services/up.sh starts Apicurio Registry and exports the variable; without it the contract
// reports itself skipped, unless ORDERPULSE_REQUIRE_REGISTRY=1 (as in CI) makes its absence a failure.
const realRegistryUrl = process.env['ORDERPULSE_TEST_REGISTRY_URL'] || undefined;
const registryRequired = process.env['ORDERPULSE_REQUIRE_REGISTRY'] === '1';
schemaRegistryContract(
  `rest (${realRegistryUrl ?? 'no registry'})`,
  () => {
    assert.ok(realRegistryUrl !== undefined, 'ORDERPULSE_REQUIRE_REGISTRY=1 but ORDERPULSE_TEST_REGISTRY_URL is not set');
    return Promise.resolve({
      registry: new RestSchemaRegistry({ url: realRegistryUrl, timeoutMs: 10_000, retries: 2 }),
      cleanup: () => Promise.resolve(),
    });
  },
  {
    skip:
      realRegistryUrl === undefined && !registryRequired
        ? 'ORDERPULSE_TEST_REGISTRY_URL not set: run `eval "$(scripts/services/up.sh registry)"` (Apicurio Registry; it sets http://127.0.0.1:58081/apis/ccompat/v7) or point it at any Confluent-compatible registry (e.g. http://127.0.0.1:8081) to run the contract against it'
        : false,
  },
);

// ---- unit tests of the client's own logic, against canned Confluent-style answers ----------------

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  /** Sent as is instead of `body` as JSON. */
  readonly raw?: string;
}

type Handler = (request: Seen, index: number) => Answer | 'hang';

/** A local HTTP server answering with `handler`; every request is recorded in `seen`. */
async function withServer(
  handler: Handler,
  body: (url: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      seen.push(request);
      const answer = handler(request, seen.length - 1);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await body(`http://127.0.0.1:${port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const client = (url: string, options: Partial<RestSchemaRegistryOptions> = {}): RestSchemaRegistry =>
  new RestSchemaRegistry({ url, retries: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 5, timeoutMs: 2_000, ...options });

const SCHEMA = JSON.stringify({ type: 'record', name: 'Order', namespace: 'olist', fields: [{ name: 'orderId', type: 'string' }] });
const CANONICAL = canonicalSchema(SCHEMA);
const notFound = (errorCode: number, message: string): Answer => ({ status: 404, body: { error_code: errorCode, message } });

function fails(code: string, check?: (error: EventsError) => void) {
  return (error: unknown) => {
    assert.ok(error instanceof EventsError, String(error));
    assert.equal(error.code, code, error.message);
    check?.(error);
    return true;
  };
}

void describe('RestSchemaRegistry (client logic, canned answers)', () => {
  void test('registers with the Confluent request: URL-encoded subject, media type, headers, canonical schema', () =>
    withServer(
      () => ({ status: 200, body: { id: 17 } }),
      async (url, seen) => {
        const registry = client(`${url}/apis/ccompat/v7/`, { headers: { authorization: 'Bearer t0ken' } });
        assert.equal(registry.kind, 'rest');
        assert.equal(await registry.register('orders/eu west?-value', SCHEMA), 17);
        const request = seen[0] as Seen;
        assert.equal(request.method, 'POST');
        assert.equal(request.url, '/apis/ccompat/v7/subjects/orders%2Feu%20west%3F-value/versions');
        assert.equal(request.headers['content-type'], 'application/vnd.schemaregistry.v1+json');
        assert.match(String(request.headers['accept']), /application\/vnd\.schemaregistry\.v1\+json/);
        assert.equal(request.headers['authorization'], 'Bearer t0ken');
        assert.deepEqual(request.body, { schema: CANONICAL }, 'canonical text, no schemaType for Avro');
        // Cached: the same schema, however written, and its id need no request.
        assert.equal(await registry.register('orders/eu west?-value', ` ${SCHEMA} `), 17);
        assert.equal(canonicalSchema(await registry.schemaById(17)), CANONICAL);
        assert.equal(seen.length, 1);
      },
    ));

  void test('credentials in the URL become a Basic authorization header and stay out of messages', () =>
    withServer(
      () => ({ status: 401, body: { error_code: 40101, message: 'Unauthorized' } }),
      async (url, seen) => {
        const registry = client(url.replace('http://', 'http://api%20key:s3cret@'));
        await assert.rejects(registry.subjects(), (error: unknown) => {
          assert.ok(error instanceof EventsError);
          assert.doesNotMatch(error.message, /s3cret/);
          assert.doesNotMatch(JSON.stringify(error.details), /s3cret/);
          return true;
        });
        assert.equal(seen[0]?.headers['authorization'], `Basic ${Buffer.from('api key:s3cret').toString('base64')}`);
        assert.ok(!registry.url.includes('s3cret'));
      },
    ));

  void test('reads a schema by id once, then from its cache; an unknown id is OP_EVENTS_UNKNOWN_SCHEMA_ID', () =>
    withServer(
      (request) =>
        request.url === '/schemas/ids/3' ? { status: 200, body: { schema: SCHEMA } } : notFound(40403, 'Schema 99 not found'),
      async (url, seen) => {
        const registry = client(url);
        assert.equal(await registry.schemaById(3), SCHEMA);
        assert.equal(await registry.schemaById(3), SCHEMA);
        assert.equal(seen.length, 1);
        await assert.rejects(registry.schemaById(99), fails('OP_EVENTS_UNKNOWN_SCHEMA_ID', (e) => assert.equal(e.details['id'], 99)));
        assert.equal(seen.length, 2, 'not retried');
      },
    ));

  void test('maps "not found" answers: lookup and latest give null, versions an empty list', () =>
    withServer(
      (request) => (request.url.endsWith('/known-value') ? notFound(40403, 'Schema not found') : notFound(40401, "Subject 'x' not found.")),
      async (url) => {
        const registry = client(url);
        assert.equal(await registry.lookup('known-value', SCHEMA), null);
        assert.equal(await registry.lookup('unknown-value', SCHEMA), null);
        assert.equal(await registry.latest('unknown-value'), null);
        assert.deepEqual(await registry.versions('unknown-value'), []);
        assert.deepEqual(await registry.checkCompatibility('unknown-value', SCHEMA), { compatible: true, messages: [] });
        await assert.rejects(registry.getVersion('unknown-value', 1), fails('OP_EVENTS_UNKNOWN_SUBJECT'));
      },
    ));

  void test('a 404 without a registry error code is a failed request, not an absent subject (wrong base URL)', () =>
    withServer(
      () => ({ status: 404, raw: '<html>Not Found</html>' }),
      async (url, seen) => {
        const registry = client(`${url}/wrong`);
        await assert.rejects(
          registry.latest('orders-value'),
          fails('OP_EVENTS_REGISTRY_REQUEST_FAILED', (e) => {
            assert.equal(e.details['status'], 404);
            assert.match(e.message, /HTTP 404: <html>Not Found<\/html>/);
            assert.match(e.message, /\/wrong\/subjects\/orders-value\/versions\/latest/);
          }),
        );
        assert.equal(seen.length, 1);
      },
    ));

  void test('a 409 on register is OP_EVENTS_INCOMPATIBLE_SCHEMA with the level and the verbose reasons', () =>
    withServer(
      (request) => {
        if (request.url.startsWith('/subjects/')) return { status: 409, body: { error_code: 409, message: 'Schema being registered is incompatible with an earlier schema' } };
        if (request.url.startsWith('/config/')) return { status: 200, body: { compatibilityLevel: 'FULL' } };
        if (request.url.startsWith('/compatibility/')) {
          return { status: 200, body: { is_compatible: false, messages: ["READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 'note'"] } };
        }
        return { status: 500 };
      },
      async (url, seen) => {
        await assert.rejects(
          client(url).register('orders-value', SCHEMA),
          fails('OP_EVENTS_INCOMPATIBLE_SCHEMA', (e) => {
            assert.equal(e.details['subject'], 'orders-value');
            assert.equal(e.details['level'], 'FULL');
            assert.deepEqual(e.details['messages'], ["READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 'note'"]);
            assert.equal(e.retryable, false);
          }),
        );
        assert.deepEqual(
          seen.map((r) => `${r.method} ${r.url}`),
          [
            'POST /subjects/orders-value/versions',
            'GET /config/orders-value?defaultToGlobal=true',
            'POST /compatibility/subjects/orders-value/versions/latest?verbose=true',
          ],
        );
      },
    ));

  void test('a 409 keeps the registry message when the verbose check gives no reasons (as Apicurio does)', () =>
    withServer(
      (request) => {
        if (request.url.startsWith('/subjects/')) {
          return { status: 409, body: { error_code: 409, message: 'Incompatible artifact: reader type: INT not compatible with writer type: STRING at /fields/0/type' } };
        }
        if (request.url.startsWith('/config/')) return notFound(40401, "Subject 'orders-value' not found.");
        if (request.url === '/config') return { status: 200, body: { compatibilityLevel: 'BACKWARD' } };
        return { status: 200, body: { is_compatible: false } };
      },
      async (url) => {
        await assert.rejects(
          client(url).register('orders-value', SCHEMA),
          fails('OP_EVENTS_INCOMPATIBLE_SCHEMA', (e) => {
            assert.equal(e.details['level'], 'BACKWARD');
            assert.deepEqual(e.details['messages'], [
              'Incompatible artifact: reader type: INT not compatible with writer type: STRING at /fields/0/type',
            ]);
          }),
        );
      },
    ));

  void test('a 42201 is OP_EVENTS_INVALID_SCHEMA; a locally invalid schema sends no request', () =>
    withServer(
      () => ({ status: 422, body: { error_code: 42201, message: 'Invalid schema: no type' } }),
      async (url, seen) => {
        const registry = client(url);
        await assert.rejects(
          registry.register('orders-value', SCHEMA),
          fails('OP_EVENTS_INVALID_SCHEMA', (e) => {
            assert.equal(e.details['subject'], 'orders-value');
            assert.match(e.message, /Invalid schema: no type/);
          }),
        );
        assert.equal(seen.length, 1);
        await assert.rejects(registry.register('orders-value', '{"type": "nope"}'), fails('OP_EVENTS_INVALID_SCHEMA'));
        await assert.rejects(registry.checkCompatibility('orders-value', 'not json'), fails('OP_EVENTS_INVALID_SCHEMA'));
        assert.equal(seen.length, 1);
      },
    ));

  void test('other 4xx answers are OP_EVENTS_REGISTRY_REQUEST_FAILED with the error code and message, never retried', () =>
    withServer(
      () => ({ status: 401, body: { error_code: 40101, message: 'Unauthorized' } }),
      async (url, seen) => {
        await assert.rejects(
          client(url, { retries: 5 }).subjects(),
          fails('OP_EVENTS_REGISTRY_REQUEST_FAILED', (e) => {
            assert.equal(e.retryable, false);
            assert.equal(e.details['status'], 401);
            assert.equal(e.details['errorCode'], 40101);
            assert.equal(e.details['registryMessage'], 'Unauthorized');
            assert.match(e.message, /cannot list subjects: the schema registry at http:\/\/127\.0\.0\.1:\d+ answered HTTP 401 error_code 40101: Unauthorized/);
          }),
        );
        assert.equal(seen.length, 1);
      },
    ));

  void test('retries 5xx answers with backoff and succeeds when the registry recovers', () =>
    withServer(
      (_request, index) => (index < 2 ? { status: 503, body: { error_code: 50003, message: 'Error while forwarding the request to the leader' } } : { status: 200, body: ['b-value', 'a-value'] }),
      async (url, seen) => {
        assert.deepEqual(await client(url, { retries: 2 }).subjects(), ['a-value', 'b-value']);
        assert.equal(seen.length, 3);
      },
    ));

  void test('gives up after the configured retries with a retryable OP_EVENTS_REGISTRY_UNAVAILABLE', () =>
    withServer(
      () => ({ status: 500, body: { error_code: 50001, message: 'Error in the backend data store' } }),
      async (url, seen) => {
        await assert.rejects(
          client(url, { retries: 3 }).versions('orders-value'),
          fails('OP_EVENTS_REGISTRY_UNAVAILABLE', (e) => {
            assert.equal(e.retryable, true);
            assert.equal(e.details['attempt'], 4);
            assert.equal(e.details['errorCode'], 50001);
            assert.match(e.message, /attempt 4 of 4/);
          }),
        );
        assert.equal(seen.length, 4);
        seen.length = 0;
        await assert.rejects(client(url, { retries: 0 }).versions('orders-value'), fails('OP_EVENTS_REGISTRY_UNAVAILABLE'));
        assert.equal(seen.length, 1);
      },
    ));

  void test('a timeout is a retryable OP_EVENTS_REGISTRY_UNAVAILABLE, retried', () =>
    withServer(
      () => 'hang',
      async (url, seen) => {
        await assert.rejects(
          client(url, { timeoutMs: 50, retries: 1 }).latest('orders-value'),
          fails('OP_EVENTS_REGISTRY_UNAVAILABLE', (e) => {
            assert.equal(e.retryable, true);
            assert.match(e.message, /no answer within 50 ms/);
          }),
        );
        assert.equal(seen.length, 2);
      },
    ));

  void test('an unreachable registry is a retryable OP_EVENTS_REGISTRY_UNAVAILABLE', async () => {
    let closedUrl = '';
    await withServer(
      () => ({ status: 200 }),
      (url) => {
        closedUrl = url;
        return Promise.resolve();
      },
    );
    await assert.rejects(
      client(closedUrl, { retries: 1 }).subjects(),
      fails('OP_EVENTS_REGISTRY_UNAVAILABLE', (e) => {
        assert.equal(e.retryable, true);
        assert.match(e.message, /unreachable: GET http:\/\/127\.0\.0\.1:\d+\/subjects: ECONNREFUSED/);
      }),
    );
  });

  void test('a 200 that is not the expected JSON is OP_EVENTS_REGISTRY_REQUEST_FAILED', () =>
    withServer(
      (request) => (request.url === '/subjects' ? { status: 200, raw: 'OK' } : { status: 200, body: { unexpected: true } }),
      async (url) => {
        const registry = client(url);
        await assert.rejects(registry.subjects(), fails('OP_EVENTS_REGISTRY_REQUEST_FAILED', (e) => assert.match(e.message, /unexpected answer: OK/)));
        await assert.rejects(registry.register('orders-value', SCHEMA), fails('OP_EVENTS_REGISTRY_REQUEST_FAILED'));
        await assert.rejects(registry.compatibility(), fails('OP_EVENTS_REGISTRY_REQUEST_FAILED'));
      },
    ));

  void test('compatibility levels: a subject without its own falls back to the global one; PUT sends {compatibility}', () =>
    withServer(
      (request) => {
        if (request.method === 'PUT') return { status: 200, body: request.body };
        if (request.url === '/config') return { status: 200, body: { compatibilityLevel: 'FORWARD_TRANSITIVE' } };
        if (request.url.startsWith('/config/own-value')) return { status: 200, body: { compatibilityLevel: 'NONE' } };
        return notFound(40408, 'Subject does not have subject-level compatibility configured');
      },
      async (url, seen) => {
        const registry = client(url);
        assert.equal(await registry.compatibility(), 'FORWARD_TRANSITIVE');
        assert.equal(await registry.compatibility('own-value'), 'NONE');
        assert.equal(await registry.compatibility('plain-value'), 'FORWARD_TRANSITIVE');
        await registry.setCompatibility('FULL', 'a/b');
        await registry.setCompatibility('BACKWARD');
        const puts = seen.filter((r) => r.method === 'PUT').map((r) => [r.url, r.body]);
        assert.deepEqual(puts, [
          ['/config/a%2Fb', { compatibility: 'FULL' }],
          ['/config', { compatibility: 'BACKWARD' }],
        ]);
        await assert.rejects(registry.setCompatibility('SIDEWAYS' as 'NONE'), fails('OP_EVENTS_INVALID_COMPATIBILITY_LEVEL'));
      },
    ));

  void test('checkCompatibility reads is_compatible and messages, and says something when the registry does not', () =>
    withServer(
      (request) =>
        request.url.includes('/quiet-value/')
          ? { status: 200, body: { is_compatible: false } }
          : { status: 200, body: { is_compatible: false, messages: ['Incompatibility{type:TYPE_MISMATCH, location:/fields/0/type}'] } },
      async (url, seen) => {
        const registry = client(url);
        assert.deepEqual(await registry.checkCompatibility('loud-value', SCHEMA), {
          compatible: false,
          messages: ['Incompatibility{type:TYPE_MISMATCH, location:/fields/0/type}'],
        });
        const quiet = await registry.checkCompatibility('quiet-value', SCHEMA);
        assert.equal(quiet.compatible, false);
        assert.match(quiet.messages[0] as string, /incompatible with the latest version of "quiet-value"/);
        assert.equal(seen[0]?.url, '/compatibility/subjects/loud-value/versions/latest?verbose=true');
        assert.deepEqual(seen[0]?.body, { schema: CANONICAL });
      },
    ));

  void test('lookup returns the registered version and caches the id', () =>
    withServer(
      () => ({ status: 200, body: { subject: 'orders-value', id: 5, version: 2, schema: SCHEMA } }),
      async (url, seen) => {
        const registry = client(url);
        assert.deepEqual(await registry.lookup('orders-value', SCHEMA), { subject: 'orders-value', version: 2, id: 5, schema: SCHEMA });
        assert.equal(seen[0]?.url, '/subjects/orders-value');
        assert.equal(await registry.register('orders-value', SCHEMA), 5);
        assert.equal(await registry.schemaById(5), SCHEMA);
        assert.equal(seen.length, 1);
      },
    ));

  void test('refuses bad options and calls after close()', async () => {
    assert.throws(() => new RestSchemaRegistry({ url: 'not a url' }), fails('OP_EVENTS_REGISTRY_REQUEST_FAILED'));
    assert.throws(() => new RestSchemaRegistry({ url: 'ftp://x' }), fails('OP_EVENTS_REGISTRY_REQUEST_FAILED'));
    assert.throws(() => new RestSchemaRegistry({ url: 'http://x', retries: -1 }), RangeError);
    assert.throws(() => new RestSchemaRegistry({ url: 'http://x', timeoutMs: 0 }), RangeError);
    const registry = new RestSchemaRegistry({ url: 'http://127.0.0.1:1' });
    await registry.close();
    await assert.rejects(registry.subjects(), fails('OP_EVENTS_REGISTRY_CLOSED'));
    await assert.rejects(registry.register('orders-value', SCHEMA), fails('OP_EVENTS_REGISTRY_CLOSED'));
    const open = new RestSchemaRegistry({ url: 'http://127.0.0.1:1' });
    await assert.rejects(open.register('', SCHEMA), fails('OP_EVENTS_INVALID_SUBJECT'));
  });
});
