/**
 * A client for a Confluent-compatible schema registry over REST (Confluent Schema Registry,
 * Apicurio's ccompat API, Karapace, Redpanda): the cluster-mode `SchemaRegistry`.
 *
 * Schemas are parsed locally first (an invalid one is refused without a request) and sent in their
 * canonical form (see registry-schema.ts), so every client sends one text per schema whatever the
 * formatting of its source. Network failures, timeouts, 5xx and 429 answers are
 * `OP_EVENTS_REGISTRY_UNAVAILABLE` (retryable) and are retried inside the client with exponential
 * backoff and jitter, `retries` times; the loop reads only the error's `retryable` flag, so nothing
 * else is retried. Every call here is idempotent (registering a schema twice gives its id twice).
 *
 * Confluent error codes: 40401 subject not found, 40402 version not found, 40403 schema not found,
 * 409 incompatible schema, 42201 invalid schema, 42202 invalid version, 42203 invalid
 * compatibility level, 40408 no subject-level config, 5xxxx server errors.
 */
import type { CompatibilityLevel, CompatibilityResult, RegisteredSchema, SchemaRegistry } from './registry-types.js';
import { assertCompatibilityLevel, isCompatibilityLevel } from './compatibility.js';
import {
  EVENTS_ERROR_CODES,
  EventsError,
  describeCause,
  incompatibleSchemaError,
  invalidSchemaError,
  unknownSchemaIdError,
  unknownSubjectError,
} from './errors.js';
import { parseSchema } from './registry-schema.js';
import { assertSubject } from './registry-subject.js';

export interface RestSchemaRegistryOptions {
  /**
   * The registry's base URL, e.g. http://127.0.0.1:8081 or http://127.0.0.1:8080/apis/ccompat/v7.
   * `https://key:secret@host` sends Basic credentials (or pass an `authorization` header).
   */
  readonly url: string;
  /** Per attempt, for the whole request and response. Default 10,000 ms. */
  readonly timeoutMs?: number;
  /** Further attempts after a retryable failure. Default 3 (so at most 4 attempts). */
  readonly retries?: number;
  /** The first backoff; it doubles each retry, with full jitter, up to retryMaxDelayMs. Default 200 ms. */
  readonly retryBaseDelayMs?: number;
  /** Default 5,000 ms. */
  readonly retryMaxDelayMs?: number;
  /** Sent with every request, e.g. `{ authorization: 'Basic …' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5';

const CONFLUENT = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_CONFIG_NOT_FOUND: 40408,
  INCOMPATIBLE: 409,
  INVALID_SCHEMA: 42201,
  INVALID_COMPATIBILITY_LEVEL: 42203,
} as const;

interface Request {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path segments and query, already encoded. */
  readonly path: string;
  readonly body?: unknown;
  /** What the call does, for messages: "register a schema under subject \"x\"". */
  readonly what: string;
}

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RestSchemaRegistry implements SchemaRegistry {
  readonly kind = 'rest';
  readonly url: string;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private closed = false;
  /** id → schema text; ids are immutable. */
  private readonly textById = new Map<number, string>();
  /** `subject \0 canonical` → id of a registered schema. */
  private readonly registered = new Map<string, number>();

  constructor(options: RestSchemaRegistryOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new EventsError(EVENTS_ERROR_CODES.REGISTRY_REQUEST_FAILED, `invalid schema registry URL ${JSON.stringify(options.url)}`, {
        details: { url: options.url },
        cause,
      });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new EventsError(
        EVENTS_ERROR_CODES.REGISTRY_REQUEST_FAILED,
        `invalid schema registry URL ${options.url}: expected http: or https:, got ${parsed.protocol}`,
        { details: { url: options.url } },
      );
    }
    // Credentials in the URL become a Basic authorization header (fetch refuses such URLs), and
    // stay out of messages.
    const credentials: Record<string, string> =
      parsed.username !== '' || parsed.password !== ''
        ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}` }
        : {};
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.href;
    this.base = parsed.href.replace(/\/+$/, '');
    this.timeoutMs = positive(options.timeoutMs, 10_000, 'timeoutMs');
    this.retries = nonNegativeInteger(options.retries, 3, 'retries');
    this.retryBaseDelayMs = nonNegative(options.retryBaseDelayMs, 200, 'retryBaseDelayMs');
    this.retryMaxDelayMs = nonNegative(options.retryMaxDelayMs, 5_000, 'retryMaxDelayMs');
    this.headers = { ...credentials, ...(options.headers ?? {}) };
  }

  async register(subject: string, schema: string): Promise<number> {
    this.assertOpen('register a schema');
    assertSubject(subject);
    const { canonical } = parseSchema(schema, subject);
    const key = `${subject}\u0000${canonical}`;
    const cached = this.registered.get(key);
    if (cached !== undefined) return cached;
    let body: unknown;
    try {
      body = await this.call({
        method: 'POST',
        path: `/subjects/${encodeURIComponent(subject)}/versions`,
        body: { schema: canonical },
        what: `register a schema under subject "${subject}"`,
      });
    } catch (error) {
      if (isEventsError(error, EVENTS_ERROR_CODES.INCOMPATIBLE_SCHEMA)) throw await this.explainIncompatible(subject, canonical, error);
      if (isEventsError(error, EVENTS_ERROR_CODES.INVALID_SCHEMA)) throw withSubject(error, subject);
      throw error;
    }
    const id = this.expectId(body, 'id', `register a schema under subject "${subject}"`);
    this.registered.set(key, id);
    if (!this.textById.has(id)) this.textById.set(id, canonical);
    return id;
  }

  async lookup(subject: string, schema: string): Promise<RegisteredSchema | null> {
    assertSubject(subject);
    const { canonical } = parseSchema(schema, subject);
    const what = `look up a schema under subject "${subject}"`;
    let body: unknown;
    try {
      body = await this.call({ method: 'POST', path: `/subjects/${encodeURIComponent(subject)}`, body: { schema: canonical }, what });
    } catch (error) {
      if (isNotFound(error, CONFLUENT.SUBJECT_NOT_FOUND, CONFLUENT.SCHEMA_NOT_FOUND, CONFLUENT.VERSION_NOT_FOUND)) return null;
      if (isEventsError(error, EVENTS_ERROR_CODES.INVALID_SCHEMA)) throw withSubject(error, subject);
      throw error;
    }
    const found = this.expectRegistered(body, subject, what);
    this.registered.set(`${subject}\u0000${canonical}`, found.id);
    return found;
  }

  async schemaById(id: number): Promise<string> {
    this.assertOpen(`read schema id ${id}`);
    const cached = this.textById.get(id);
    if (cached !== undefined) return cached;
    if (!Number.isSafeInteger(id) || id < 0) throw unknownSchemaIdError(id, this.where());
    const what = `read schema id ${id}`;
    let body: unknown;
    try {
      body = await this.call({ method: 'GET', path: `/schemas/ids/${id}`, what });
    } catch (error) {
      if (isNotFound(error)) throw unknownSchemaIdError(id, this.where());
      throw error;
    }
    if (!isRecord(body) || typeof body['schema'] !== 'string') throw this.unexpected(what, body);
    if (body['schemaType'] !== undefined && body['schemaType'] !== 'AVRO') {
      throw new EventsError(
        EVENTS_ERROR_CODES.REGISTRY_REQUEST_FAILED,
        `schema id ${id} in ${this.where()} is a ${JSON.stringify(body['schemaType'])} schema, not Avro`,
        { details: { id, schemaType: body['schemaType'] } },
      );
    }
    this.textById.set(id, body['schema']);
    return body['schema'];
  }

  async latest(subject: string): Promise<RegisteredSchema | null> {
    assertSubject(subject);
    const what = `read the latest version of subject "${subject}"`;
    let body: unknown;
    try {
      body = await this.call({ method: 'GET', path: `/subjects/${encodeURIComponent(subject)}/versions/latest`, what });
    } catch (error) {
      if (isNotFound(error, CONFLUENT.SUBJECT_NOT_FOUND, CONFLUENT.VERSION_NOT_FOUND)) return null;
      throw error;
    }
    return this.expectRegistered(body, subject, what);
  }

  /** A given version of a subject; `OP_EVENTS_UNKNOWN_SUBJECT` / `OP_EVENTS_UNKNOWN_VERSION` when absent. */
  async getVersion(subject: string, version: number): Promise<RegisteredSchema> {
    assertSubject(subject);
    const what = `read version ${version} of subject "${subject}"`;
    let body: unknown;
    try {
      body = await this.call({ method: 'GET', path: `/subjects/${encodeURIComponent(subject)}/versions/${encodeURIComponent(String(version))}`, what });
    } catch (error) {
      if (isNotFound(error, CONFLUENT.SUBJECT_NOT_FOUND)) throw unknownSubjectError(subject, this.where());
      if (isNotFound(error, CONFLUENT.VERSION_NOT_FOUND)) {
        throw new EventsError(EVENTS_ERROR_CODES.UNKNOWN_VERSION, `subject "${subject}" has no version ${version} in ${this.where()}`, {
          details: { subject, version },
          cause: error,
        });
      }
      throw error;
    }
    return this.expectRegistered(body, subject, what);
  }

  async subjects(): Promise<readonly string[]> {
    const what = 'list subjects';
    const body = await this.call({ method: 'GET', path: '/subjects', what });
    if (!Array.isArray(body) || !body.every((item) => typeof item === 'string')) throw this.unexpected(what, body);
    return [...body].sort();
  }

  async versions(subject: string): Promise<readonly number[]> {
    assertSubject(subject);
    const what = `list the versions of subject "${subject}"`;
    let body: unknown;
    try {
      body = await this.call({ method: 'GET', path: `/subjects/${encodeURIComponent(subject)}/versions`, what });
    } catch (error) {
      if (isNotFound(error, CONFLUENT.SUBJECT_NOT_FOUND)) return [];
      throw error;
    }
    if (!Array.isArray(body) || !body.every((item) => Number.isInteger(item))) throw this.unexpected(what, body);
    return [...(body as number[])].sort((a, b) => a - b);
  }

  /**
   * Asks the registry whether the schema could be registered. The registry checks it against the
   * subject's latest version (Confluent's `/versions/latest` endpoint): at a *_TRANSITIVE level,
   * register() still checks every version and may refuse what this accepted.
   */
  async checkCompatibility(subject: string, schema: string): Promise<CompatibilityResult> {
    assertSubject(subject);
    const { canonical } = parseSchema(schema, subject);
    const result = await this.askCompatibility(subject, canonical);
    if (result.compatible || result.messages.length > 0) return result;
    return {
      compatible: false,
      messages: [`${this.where()} reports the schema incompatible with the latest version of "${subject}" and gives no detail`],
    };
  }

  /** The registry's verbose answer as is: its messages may be none. */
  private async askCompatibility(subject: string, canonical: string): Promise<CompatibilityResult> {
    const what = `check a schema's compatibility with subject "${subject}"`;
    let body: unknown;
    try {
      body = await this.call({
        method: 'POST',
        path: `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`,
        body: { schema: canonical },
        what,
      });
    } catch (error) {
      // Nothing to be compatible with yet.
      if (isNotFound(error, CONFLUENT.SUBJECT_NOT_FOUND, CONFLUENT.VERSION_NOT_FOUND)) return { compatible: true, messages: [] };
      if (isEventsError(error, EVENTS_ERROR_CODES.INVALID_SCHEMA)) throw withSubject(error, subject);
      throw error;
    }
    if (!isRecord(body) || typeof body['is_compatible'] !== 'boolean') throw this.unexpected(what, body);
    if (body['is_compatible']) return { compatible: true, messages: [] };
    const raw = body['messages'];
    const messages = Array.isArray(raw) ? raw.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))) : [];
    return { compatible: false, messages };
  }

  async compatibility(subject?: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) {
      assertSubject(subject);
      const what = `read the compatibility level of subject "${subject}"`;
      try {
        const body = await this.call({ method: 'GET', path: `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`, what });
        return this.expectLevel(body, what);
      } catch (error) {
        // No level of its own: the registry's default applies.
        if (!isNotFound(error)) throw error;
      }
    }
    const what = 'read the global compatibility level';
    return this.expectLevel(await this.call({ method: 'GET', path: '/config', what }), what);
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    assertCompatibilityLevel(level);
    if (subject !== undefined) assertSubject(subject);
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`;
    const what = subject === undefined ? `set the global compatibility level to ${level}` : `set the compatibility level of subject "${subject}" to ${level}`;
    await this.call({ method: 'PUT', path, body: { compatibility: level }, what });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private where(): string {
    return `the schema registry at ${this.base}`;
  }

  /** One call with retries: retried only when the error says it is retryable. */
  private async call(request: Request): Promise<unknown> {
    const attempts = this.retries + 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.send(request, attempt, attempts);
      } catch (error) {
        const retryable = error instanceof EventsError && error.retryable;
        if (!retryable || attempt >= attempts) throw error;
        const ceiling = Math.min(this.retryMaxDelayMs, this.retryBaseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.random() * ceiling);
      }
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) {
      throw new EventsError(EVENTS_ERROR_CODES.REGISTRY_CLOSED, `cannot ${what}: the client of ${this.where()} is closed`);
    }
  }

  private async send(request: Request, attempt: number, attempts: number): Promise<unknown> {
    this.assertOpen(request.what);
    const url = `${this.base}${request.path}`;
    const context = { method: request.method, url, attempt, attempts };
    const tries = attempts > 1 ? ` (attempt ${attempt} of ${attempts})` : '';
    let response: Response;
    let text: string;
    try {
      const init: RequestInit = {
        method: request.method,
        headers: {
          accept: ACCEPT,
          ...(request.body === undefined ? {} : { 'content-type': CONTENT_TYPE }),
          ...this.headers,
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      };
      if (request.body !== undefined) init.body = JSON.stringify(request.body);
      response = await fetch(url, init);
      text = await response.text();
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : networkReason(cause);
      throw new EventsError(
        EVENTS_ERROR_CODES.REGISTRY_UNAVAILABLE,
        `cannot ${request.what}: ${this.where()} is unreachable: ${request.method} ${url}: ${reason}${tries}`,
        { details: { ...context, reason }, retryable: true, cause },
      );
    }
    let body: unknown = undefined;
    let json = true;
    if (text.length > 0) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        json = false;
      }
    }
    const status = response.status;
    if (status >= 200 && status < 300) {
      if (!json) throw this.unexpected(request.what, text.slice(0, 200));
      return body;
    }
    const errorCode = isRecord(body) && typeof body['error_code'] === 'number' ? body['error_code'] : null;
    const registryMessage = isRecord(body) && typeof body['message'] === 'string' ? body['message'] : json ? '' : text.slice(0, 200);
    const said = `HTTP ${status}${errorCode === null ? '' : ` error_code ${errorCode}`}${registryMessage ? `: ${registryMessage}` : ''} (${request.method} ${url})`;
    const details = { ...context, status, errorCode, registryMessage };
    if (status >= 500 || status === 429 || status === 408) {
      throw new EventsError(
        EVENTS_ERROR_CODES.REGISTRY_UNAVAILABLE,
        `cannot ${request.what}: ${this.where()} answered ${said}${tries}`,
        { details, retryable: true },
      );
    }
    throw this.clientError(request, status, errorCode, registryMessage, said, details);
  }

  /** Maps a 4xx answer to a structured, non-retryable error. */
  private clientError(
    request: Request,
    status: number,
    errorCode: number | null,
    registryMessage: string,
    said: string,
    details: Record<string, unknown>,
  ): EventsError {
    const code = errorCode ?? status;
    if (code === CONFLUENT.INCOMPATIBLE || status === 409) {
      return new EventsError(EVENTS_ERROR_CODES.INCOMPATIBLE_SCHEMA, `cannot ${request.what}: ${this.where()} answered ${said}`, {
        details: { ...details, messages: registryMessage ? [registryMessage] : [] },
      });
    }
    if (code === CONFLUENT.INVALID_SCHEMA) {
      return invalidSchemaError(`${this.where()} refused it: ${registryMessage || said}`);
    }
    if (code === CONFLUENT.INVALID_COMPATIBILITY_LEVEL) {
      return new EventsError(EVENTS_ERROR_CODES.INVALID_COMPATIBILITY_LEVEL, `cannot ${request.what}: ${this.where()} answered ${said}`, {
        details,
      });
    }
    return new EventsError(EVENTS_ERROR_CODES.REGISTRY_REQUEST_FAILED, `cannot ${request.what}: ${this.where()} answered ${said}`, {
      details,
    });
  }

  /** The 409 of a registration, with the level and the registry's verbose reasons when it gives them. */
  private async explainIncompatible(subject: string, canonical: string, error: EventsError): Promise<EventsError> {
    let level: CompatibilityLevel | null = null;
    let messages = Array.isArray(error.details['messages']) ? (error.details['messages'] as string[]) : [];
    try {
      level = await this.compatibility(subject);
    } catch {
      // best effort: the refusal matters, not its level
    }
    try {
      // Confluent's verbose reasons are better than its 409 message; Apicurio gives none here.
      const result = await this.askCompatibility(subject, canonical);
      if (!result.compatible && result.messages.length > 0) messages = [...result.messages];
    } catch {
      // best effort
    }
    const refused = incompatibleSchemaError(subject, level, messages, this.where());
    return new EventsError(refused.code, refused.message, { details: { ...refused.details }, cause: error });
  }

  private expectId(body: unknown, key: string, what: string): number {
    if (!isRecord(body) || !Number.isSafeInteger(body[key])) throw this.unexpected(what, body);
    return body[key] as number;
  }

  private expectRegistered(body: unknown, subject: string, what: string): RegisteredSchema {
    if (
      !isRecord(body) ||
      !Number.isSafeInteger(body['id']) ||
      !Number.isSafeInteger(body['version']) ||
      typeof body['schema'] !== 'string'
    ) {
      throw this.unexpected(what, body);
    }
    const id = body['id'] as number;
    const schema = body['schema'];
    if (!this.textById.has(id)) this.textById.set(id, schema);
    return {
      subject: typeof body['subject'] === 'string' ? body['subject'] : subject,
      version: body['version'] as number,
      id,
      schema,
    };
  }

  private expectLevel(body: unknown, what: string): CompatibilityLevel {
    const level = isRecord(body) ? (body['compatibilityLevel'] ?? body['compatibility']) : undefined;
    if (!isCompatibilityLevel(level)) throw this.unexpected(what, body);
    return level;
  }

  private unexpected(what: string, body: unknown): EventsError {
    const shown = typeof body === 'string' ? body : JSON.stringify(body);
    return new EventsError(
      EVENTS_ERROR_CODES.REGISTRY_REQUEST_FAILED,
      `cannot ${what}: ${this.where()} gave an unexpected answer: ${(shown ?? 'nothing').slice(0, 200)}`,
      { details: { body: shown?.slice(0, 200) ?? null } },
    );
  }
}

function isEventsError(value: unknown, code: string): value is EventsError {
  return value instanceof EventsError && value.code === code;
}

/**
 * A registry's 404 answer: with a Confluent error code, one of `codes` when given. A 404 without
 * an error code is not one: it is more likely a wrong base URL than a missing subject.
 */
function isNotFound(error: unknown, ...codes: number[]): boolean {
  if (!(error instanceof EventsError) || error.details['status'] !== 404) return false;
  const errorCode = error.details['errorCode'];
  if (typeof errorCode !== 'number') return false;
  return codes.length === 0 || codes.includes(errorCode);
}

function withSubject(error: EventsError, subject: string): EventsError {
  const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : error.message;
  return invalidSchemaError(reason, subject);
}

function networkReason(cause: unknown): string {
  const inner = cause instanceof Error ? (cause.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (inner && typeof inner.code === 'string') return `${inner.code}${typeof inner.message === 'string' ? ` (${inner.message})` : ''}`;
  return describeCause(cause);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

