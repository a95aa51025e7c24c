import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_RISK_THRESHOLD } from '../risk/index.js';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Configuration comes from, in order of precedence: command-line flags, environment variables
 * (`ORDERPULSE_*`), a JSON config file (`--config FILE`, `ORDERPULSE_CONFIG`, or
 * `./orderpulse.config.json` when present), then defaults. Every value is validated once here and
 * a bad one is reported with where it came from.
 */
export interface Settings {
  /** Where the embedded store (log, registry, catalog) and local scratch space live. */
  readonly state: string;
  /** The Olist directory to read. */
  readonly data: string;
  /** Partitions of each topic when created. */
  readonly partitions: number;
  /** Records per append. */
  readonly batchSize: number;
  /** `process` survives kill -9; `power` also survives power loss (an fsync per commit). */
  readonly durability: 'process' | 'power';
  /** Where Iceberg tables live: a local directory or `s3://bucket/prefix`; default `<state>/warehouse`. */
  readonly warehouse: string;
  /** The Iceberg catalog: a SQLite file or a `postgres://` URL; default the embedded store. */
  readonly catalog: string;
  /** S3-compatible endpoint for an `s3://` warehouse (e.g. `http://127.0.0.1:8333`); AWS when empty. */
  readonly s3Endpoint: string;
  readonly s3Region: string;
  /** Cluster mode: Kafka bootstrap brokers (`host:port`); empty means the embedded log. */
  readonly kafka: readonly string[];
  /** Cluster mode: replicas of each topic OrderPulse creates on Kafka. */
  readonly kafkaReplicas: number;
  /** Cluster mode: a Confluent-compatible schema registry's URL; empty means the embedded registry. */
  readonly registry: string;
  /** Stream: hours after the purchase by which the payment should be approved. */
  readonly approvalHours: number;
  /** Stream: how late (event time, ms) an event may arrive and still count as on time. */
  readonly allowedLateness: number;
  /** Stream: an open alert escalates after this long (ms), then each time that doubles. */
  readonly escalateAfter: number;
  /** Stream: a finished order's state is kept this long (ms of event time). */
  readonly stateRetention: number;
  /** Stream: an alert overdue this long (ms) with its event still missing leaves the queue for the stuck list; 0: never. */
  readonly stuckAfter: number;
  /** Stream: P(late) at which an order's delivery_at_risk alert opens, in (0, 1]. */
  readonly riskThreshold: number;
  /** Stream: records per micro-batch at most. */
  readonly maxBatch: number;
  /** Stream: wall-clock ms of a quiet log before the idle policy moves the watermark. */
  readonly idleAfter: number;
  /** Stream: a task's state is checkpointed after this many of its records (a restart replays at most about this many). */
  readonly checkpointEvery: number;
  /** Stream: the idle policy moves the watermark to the newest event time plus this (ms). */
  readonly idleAdvance: number;
  /** Batch: time between two batch runs inside the stream process (`stream --batch-every`), ms. */
  readonly batchInterval: number;
}

export type SettingSource = 'flag' | 'environment' | 'config file' | 'default';

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

interface SettingSpec<K extends keyof Settings> {
  readonly key: K;
  readonly env: string;
  /** The flag, when it is not the key in kebab case. */
  readonly flag?: string;
  readonly parse: (raw: unknown) => Parsed<Settings[K]>;
}

const positiveInteger =
  (max: number) =>
  (raw: unknown): Parsed<number> => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    return Number.isInteger(n) && n >= 1 && n <= max
      ? { ok: true, value: n }
      : { ok: false, problem: `must be a whole number from 1 to ${max}` };
  };
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `2h`, `1d` in milliseconds (a bare number is seconds); null when not a duration. */
export function durationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) return null;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
}

/** A duration: a string with a unit (`1h`), or a number of milliseconds in the config file. */
const duration = (raw: unknown): Parsed<number> => {
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? durationMs(raw) : null;
  return ms !== null && Number.isFinite(ms) && ms >= 0
    ? { ok: true, value: ms }
    : { ok: false, problem: 'must be a duration such as 500ms, 30s, 5m, 2h or 1d' };
};
const positiveNumber = (raw: unknown): Parsed<number> => {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? { ok: true, value: n } : { ok: false, problem: 'must be a positive number' };
};

const probability = (raw: unknown): Parsed<number> => {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 && n <= 1 ? { ok: true, value: n } : { ok: false, problem: 'must be a probability above 0 and at most 1' };
};

const path = (raw: unknown): Parsed<string> =>
  typeof raw === 'string' && raw !== '' ? { ok: true, value: raw } : { ok: false, problem: 'must be a non-empty path' };

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A local directory, or `s3://bucket` with an optional prefix (the only remote store the lake writes to). */
const warehouse = (raw: unknown): Parsed<string> => {
  const parsed = path(raw);
  if (!parsed.ok || !SCHEME.test(parsed.value)) return parsed;
  return /^s3:\/\/[^/\s]+(\/\S*)?$/.test(parsed.value)
    ? parsed
    : { ok: false, problem: 'must be a local directory or s3://bucket/prefix' };
};

/** A SQLite file (a path, or `sqlite:`/`jdbc:sqlite:` as PyIceberg and Java write it) or a `postgres://` URL. */
const catalog = (raw: unknown): Parsed<string> => {
  const parsed = path(raw);
  if (!parsed.ok) return parsed;
  const bare = parsed.value.replace(/^jdbc:/, '');
  return SCHEME.test(bare) && !/^(postgres|postgresql|sqlite):\/\//i.test(bare)
    ? { ok: false, problem: 'must be a SQLite file or a postgres:// URL' }
    : parsed;
};

/** An absolute http(s) URL. */
const httpUrl = (raw: unknown): Parsed<string> => {
  if (typeof raw !== 'string') return { ok: false, problem: 'must be an http:// or https:// URL' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'must be an http:// or https:// URL' };
  }
  return url.protocol === 'http:' || url.protocol === 'https:'
    ? { ok: true, value: raw }
    : { ok: false, problem: `must be an http:// or https:// URL (not ${url.protocol})` };
};

/** Host names, IPv4 addresses: what Kafka clients take in a bootstrap list. */
const BROKER = /^([A-Za-z0-9][A-Za-z0-9._-]*):(\d+)$/;

/** Bootstrap brokers: `host:port,host:port` (or a JSON array of `host:port` in the config file). */
const brokers = (raw: unknown): Parsed<readonly string[]> => {
  const entries =
    typeof raw === 'string'
      ? raw.split(',').map((b) => b.trim())
      : Array.isArray(raw) && raw.every((b): b is string => typeof b === 'string')
        ? raw.map((b) => b.trim())
        : null;
  if (entries === null || entries.length === 0) {
    return { ok: false, problem: 'must be a list of brokers, host:port,host:port' };
  }
  for (const entry of entries) {
    const match = BROKER.exec(entry);
    const port = Number(match?.[2]);
    if (match === null) return { ok: false, problem: `must be a list of brokers, host:port,host:port; "${entry}" is not host:port` };
    if (!(port >= 1 && port <= 65_535)) return { ok: false, problem: `must be a list of brokers, host:port,host:port; "${entry}" has a port outside 1..65535` };
  }
  return { ok: true, value: entries };
};

const SPECS: { readonly [K in keyof Settings]: SettingSpec<K> } = {
  state: { key: 'state', env: 'ORDERPULSE_STATE', parse: path },
  data: { key: 'data', env: 'ORDERPULSE_DATA', parse: path },
  partitions: { key: 'partitions', env: 'ORDERPULSE_PARTITIONS', parse: positiveInteger(1024) },
  batchSize: { key: 'batchSize', env: 'ORDERPULSE_BATCH_SIZE', parse: positiveInteger(1_000_000) },
  warehouse: { key: 'warehouse', env: 'ORDERPULSE_WAREHOUSE', parse: warehouse },
  catalog: { key: 'catalog', env: 'ORDERPULSE_CATALOG', parse: catalog },
  s3Endpoint: { key: 's3Endpoint', env: 'ORDERPULSE_S3_ENDPOINT', parse: httpUrl },
  s3Region: {
    key: 's3Region',
    env: 'ORDERPULSE_S3_REGION',
    parse: (raw) =>
      typeof raw === 'string' && /^[a-z0-9][a-z0-9-]*$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, problem: 'must be a region name such as us-east-1' },
  },
  kafka: { key: 'kafka', env: 'ORDERPULSE_KAFKA', parse: brokers },
  // Kafka caps a topic's replication factor at 32767; more than the cluster's brokers fails at creation.
  kafkaReplicas: { key: 'kafkaReplicas', env: 'ORDERPULSE_KAFKA_REPLICAS', parse: positiveInteger(32_767) },
  registry: { key: 'registry', env: 'ORDERPULSE_REGISTRY', parse: httpUrl },
  approvalHours: { key: 'approvalHours', env: 'ORDERPULSE_APPROVAL_HOURS', parse: positiveNumber },
  allowedLateness: { key: 'allowedLateness', env: 'ORDERPULSE_ALLOWED_LATENESS', parse: duration },
  escalateAfter: {
    key: 'escalateAfter',
    env: 'ORDERPULSE_ESCALATE_AFTER',
    parse: (raw) => {
      const parsed = duration(raw);
      return parsed.ok && parsed.value === 0 ? { ok: false, problem: 'must be longer than 0' } : parsed;
    },
  },
  stateRetention: { key: 'stateRetention', env: 'ORDERPULSE_STATE_RETENTION', parse: duration },
  stuckAfter: { key: 'stuckAfter', env: 'ORDERPULSE_STUCK_AFTER', parse: duration },
  riskThreshold: { key: 'riskThreshold', env: 'ORDERPULSE_RISK_THRESHOLD', parse: probability },
  maxBatch: { key: 'maxBatch', env: 'ORDERPULSE_MAX_BATCH', parse: positiveInteger(1_000_000) },
  idleAfter: { key: 'idleAfter', env: 'ORDERPULSE_IDLE_AFTER', parse: duration },
  checkpointEvery: { key: 'checkpointEvery', env: 'ORDERPULSE_CHECKPOINT_EVERY', parse: positiveInteger(100_000_000) },
  idleAdvance: { key: 'idleAdvance', env: 'ORDERPULSE_IDLE_ADVANCE', parse: duration },
  batchInterval: {
    key: 'batchInterval',
    env: 'ORDERPULSE_BATCH_EVERY',
    flag: '--batch-every',
    parse: (raw) => {
      const parsed = duration(raw);
      // The scheduler counts whole seconds.
      return parsed.ok && parsed.value < 1000 ? { ok: false, problem: 'must be at least 1s' } : parsed;
    },
  },
  durability: {
    key: 'durability',
    env: 'ORDERPULSE_DURABILITY',
    parse: (raw) =>
      raw === 'process' || raw === 'power' ? { ok: true, value: raw } : { ok: false, problem: 'must be "process" or "power"' },
  },
};

export const DEFAULTS: Settings = {
  state: '.orderpulse',
  data: 'data/olist-sample',
  partitions: 6,
  batchSize: 5_000,
  durability: 'process',
  // Empty means "derived": the warehouse and catalog default to the state directory's.
  warehouse: '',
  catalog: '',
  s3Endpoint: '',
  s3Region: 'us-east-1',
  // No brokers and no registry URL: the embedded log and registry.
  kafka: [],
  kafkaReplicas: 3,
  registry: '',
  // The stream's defaults, with the reasoning from the data, are documented in src/stream/types.ts.
  approvalHours: 96,
  allowedLateness: 3_600_000,
  escalateAfter: 86_400_000,
  stateRetention: 30 * 86_400_000,
  stuckAfter: 30 * 86_400_000,
  riskThreshold: DEFAULT_RISK_THRESHOLD,
  maxBatch: 10_000,
  idleAfter: 1_000,
  checkpointEvery: 100_000,
  idleAdvance: 0,
  batchInterval: 5 * 60_000,
};

export const DEFAULT_CONFIG_FILE = 'orderpulse.config.json';

export interface ResolveInput {
  /** Values given as flags (undefined when not given). */
  readonly flags: Partial<Record<keyof Settings, unknown>>;
  /** What a command calls a setting's flag when not its usual name (`batch run --every`), for errors. */
  readonly flagNames?: Partial<Record<keyof Settings, string>>;
  readonly configFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ResolvedSettings {
  readonly settings: Settings;
  readonly sources: Readonly<Record<keyof Settings, SettingSource>>;
  readonly configFile: string | null;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('OP_CONFIG_UNREADABLE', `cannot read config file ${file}: ${(cause as Error).message}`, {
      details: { file },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('OP_CONFIG_BAD_JSON', `config file ${file} is not valid JSON: ${(cause as Error).message}`, {
      details: { file },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('OP_CONFIG_BAD_JSON', `config file ${file} must hold a JSON object`, { details: { file } });
  }
  const unknown = Object.keys(parsed).filter((k) => !(k in SPECS));
  if (unknown.length > 0) {
    throw new ConfigError(
      'OP_CONFIG_UNKNOWN_KEY',
      `config file ${file}: unknown key ${unknown.map((k) => `"${k}"`).join(', ')}; known keys: ${Object.keys(SPECS).join(', ')}`,
      { details: { file, keys: unknown } },
    );
  }
  return parsed as Record<string, unknown>;
}

export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const explicit = input.configFile ?? env.ORDERPULSE_CONFIG;
  let configFile: string | null = null;
  if (explicit !== undefined && explicit !== '') configFile = resolve(cwd, explicit);
  else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) configFile = resolve(cwd, DEFAULT_CONFIG_FILE);
  const fromFile = configFile === null ? {} : readConfigFile(configFile);

  const settings: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const spec of Object.values(SPECS) as SettingSpec<keyof Settings>[]) {
    const candidates: [SettingSource, unknown, string][] = [
      ['flag', input.flags[spec.key], input.flagNames?.[spec.key] ?? spec.flag ?? `--${spec.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`],
      ['environment', env[spec.env], spec.env],
      ['config file', fromFile[spec.key], `"${spec.key}" in ${configFile ?? ''}`],
    ];
    const found = candidates.find(([, value]) => value !== undefined && value !== '');
    if (found === undefined) {
      settings[spec.key] = DEFAULTS[spec.key];
      sources[spec.key] = 'default';
      continue;
    }
    const [source, raw, name] = found;
    const parsed = spec.parse(raw);
    if (!parsed.ok) {
      throw new ConfigError('OP_CONFIG_BAD_VALUE', `${name} (from the ${source}) ${parsed.problem}, got ${JSON.stringify(raw)}`, {
        details: { setting: spec.key, source, value: raw },
      });
    }
    settings[spec.key] = parsed.value;
    sources[spec.key] = source;
  }
  return {
    settings: settings as unknown as Settings,
    sources: sources as Record<keyof Settings, SettingSource>,
    configFile,
  };
}
