/** Pipeline: events per second (live), consumer lag, watermarks, batch runs and table snapshots. */
import type { PipelineStatus } from '../../read/types.js';
import { h, table } from '../dom.js';
import { dateTime, dec1, int, timeOfDay } from '../format.js';
import { chartBox, grid, load, pageHeader, panel } from '../page.js';
import type { PageDef } from '../page.js';

const REFRESH_MS = 5000;

export const pipelinePage: PageDef = {
  title: 'Pipeline',
  nav: '/pipeline',
  filters: false,
  async render(ctx) {
    ctx.root.append(pageHeader('Pipeline', `The stream processor and the batch layer; the tables refresh every ${REFRESH_MS / 1000} s.`));
    const g = grid(ctx.root);
    const rate = panel(g, 'Events per second', { wide: true });
    const lag = panel(g, 'Consumer lag per partition');
    const tasks = panel(g, 'Watermark per stream task');
    const runs = panel(g, 'Batch runs', { wide: true });
    const tables = panel(g, 'Table snapshots', { wide: true });

    const box = chartBox();
    box.setAttribute('aria-label', 'Events processed per second over the last two minutes');
    const latest = h('p', { class: 'summary', 'aria-live': 'off' }, 'Waiting for the first rate…');
    rate.body.append(latest, box);
    const chart = ctx.chart(box, {
      tooltip: {
        trigger: 'axis',
        formatter: (p) => {
          const item = Array.isArray(p) ? p[0] : p;
          const value = item?.value;
          return Array.isArray(value) ? `${timeOfDay(Number(value[0]))}\n${dec1(Number(value[1]))} events/s` : '';
        },
      },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: 'events/s', min: 0 },
      series: [{ type: 'line', name: 'Events per second', showSymbol: false, areaStyle: { opacity: 0.15 }, data: [] }],
    });
    const drawRates = (): void => {
      const points = ctx.live.rates.map((r) => [Date.parse(r.at), r.eventsPerSecond]);
      chart.setOption({ series: [{ data: points }] });
      const last = ctx.live.rates.at(-1);
      if (last) latest.textContent = `${dec1(last.eventsPerSecond)} events/s at ${dateTime(last.at)}`;
    };
    drawRates();
    ctx.onLive('rates', drawRates);

    let first = true;
    const refresh = async (): Promise<void> => {
      let status: PipelineStatus | null = null;
      const quiet = !first;
      first = false;
      const fetched = ctx.get<PipelineStatus>('/api/pipeline').then((s) => (status = s));
      const fill = (body: HTMLElement, draw: (s: PipelineStatus) => Node): Promise<void> =>
        load(ctx, body, async () => {
          await fetched;
          if (status) body.replaceChildren(draw(status));
        }, { quiet });
      await Promise.all([
        fill(lag.body, (s) => table([
          { label: 'Topic', cell: (p) => p.topic },
          { label: 'Partition', cell: (p) => int(p.partition), numeric: true },
          { label: 'End offset', cell: (p) => int(p.endOffset), numeric: true },
          { label: 'Processed', cell: (p) => int(p.processedOffset), numeric: true },
          { label: 'Lag', cell: (p) => int(p.lag), numeric: true },
        ], s.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p }))), { caption: 'Consumer lag per topic partition', empty: 'No topics yet.' })),
        fill(tasks.body, (s) => table([
          { label: 'Task', cell: (t) => int(t.task), numeric: true },
          { label: 'Watermark', cell: (t) => (t.watermark ? h('time', { datetime: t.watermark }, dateTime(t.watermark)) : '—') },
          { label: 'Processed up to', cell: (t) => int(t.processedSeq), numeric: true },
        ], s.tasks, { caption: 'Stream tasks', empty: 'No stream tasks yet.' })),
        fill(runs.body, (s) => table([
          { label: 'Table', cell: (r) => r.table },
          { label: 'At', cell: (r) => h('time', { datetime: r.at }, dateTime(r.at)) },
          { label: 'Mode', cell: (r) => r.mode },
          { label: 'Rows read', cell: (r) => int(r.rowsRead), numeric: true },
          { label: 'Snapshot', cell: (r) => h('span', { class: 'id' }, r.snapshotId) },
        ], s.batchRuns, { caption: 'Batch runs, newest first', empty: 'No batch run yet.' })),
        fill(tables.body, (s) => table([
          { label: 'Table', cell: (t) => t.table },
          { label: 'Rows', cell: (t) => int(t.rows), numeric: true },
          { label: 'Snapshots', cell: (t) => int(t.snapshots), numeric: true },
          { label: 'Committed', cell: (t) => (t.committedAt ? h('time', { datetime: t.committedAt }, dateTime(t.committedAt)) : '—') },
          { label: 'Snapshot', cell: (t) => (t.snapshotId ? h('span', { class: 'id' }, t.snapshotId) : '—') },
        ], s.tables, { caption: 'Lake tables', empty: 'No tables yet.' })),
      ]);
    };
    ctx.every(REFRESH_MS, () => void refresh());
    await refresh();
  },
};
