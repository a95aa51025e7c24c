import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Runtime } from '../deploy/index.js';
import { LakeReadModel } from '../read/index.js';
import { AlertCodec } from '../stream/index.js';
import type { RunningServer, StartOptions } from './server.js';
import { startServer } from './server.js';
import { olistBacktest } from './backtest.js';

/** Where the build puts the web app (`dist/web`), beside the compiled server. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface ServeRuntimeOptions extends Omit<StartOptions, 'read' | 'live' | 'webRoot'> {
  /** The payment deadline the stream runs with, for an order's timeline (default: the stream's). */
  readonly approvalHours?: number;
  /** The web app's files; default the built `dist/web`, null for the API alone. */
  readonly webRoot?: string | null;
  /** The Olist files whose history `/api/backtest` replays (the --data setting); absent: none. */
  readonly backtestData?: string;
}

/**
 * Serves a deployment: the read model over its lake and log, the live feed over its alerts topic,
 * and the web app. The runtime stays the caller's to close, after the server.
 */
export async function serveRuntime(runtime: Runtime, options: ServeRuntimeOptions = {}): Promise<RunningServer> {
  const { approvalHours, webRoot, backtestData, ...rest } = options;
  const read = new LakeReadModel({ lake: await runtime.lake(), log: runtime.log, ...(approvalHours === undefined ? {} : { approvalHours }) });
  const alerts = await AlertCodec.open(runtime.registry, { registerSchemas: runtime.registersSchemas });
  // The first read of a table opens its metadata and files (about 0.1 s each): done before the
  // first visitor, not during their first page. A failure here is the route's to report later.
  await Promise.allSettled([read.kpis({}), read.openAlerts({ limit: 50, offset: 0 }), read.freshness(), read.pipeline(), read.leadTimes({}), read.sellers({ sort: 'orders', direction: 'desc', limit: 50, offset: 0 })]);
  const root = webRoot === undefined ? (existsSync(WEB_ROOT) ? WEB_ROOT : undefined) : (webRoot ?? undefined);
  return startServer({
    ...rest,
    read,
    live: { log: runtime.log, alerts },
    ...(root === undefined ? {} : { webRoot: root }),
    ...(backtestData === undefined ? {} : { backtest: olistBacktest(backtestData) }),
  });
}
