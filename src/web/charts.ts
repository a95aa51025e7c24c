/**
 * ECharts, with only the charts and components the pages use (echarts/core keeps the rest out of
 * the bundle). Every chart follows its box's size (ResizeObserver) and is disposed with its page.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, MapChart, ScatterChart } from 'echarts/charts';
import type { BarSeriesOption, LineSeriesOption, MapSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import { GridComponent, LegendScrollComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption, VisualMapComponentOption } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { TIME_ZONE } from './format.js';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

echarts.use([BarChart, LineChart, MapChart, ScatterChart, GridComponent, LegendScrollComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

export type ChartOption = echarts.ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | MapSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;
export type Chart = echarts.ECharts;

/** The palette the pages share (colour-blind safe, from the Okabe–Ito set). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

// Drawn on the canvas: HTML tooltips carry inline styles, which the content security policy refuses.
const TOOLTIP = { confine: true, renderMode: 'richText' } as const;
const GRID = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
const BASE: ChartOption = {
  color: PALETTE,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
  grid: GRID,
  tooltip: TOOLTIP,
  animationDuration: 300,
};

/** A chart in `el`; the returned dispose stops following the size and frees the canvas. */
export function createChart(el: HTMLElement, option: ChartOption): { readonly chart: Chart; readonly dispose: () => void } {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  // A legend sits under the plot (above it, it collides with the axis names on a phone).
  const room: ChartOption = option.legend !== undefined && option.grid === undefined ? { grid: { ...GRID, bottom: 36 } } : {};
  const tooltip = option.tooltip === undefined || Array.isArray(option.tooltip) ? {} : { tooltip: { ...TOOLTIP, ...option.tooltip } };
  // One row of legend whatever the width (a phone would wrap it over the axis labels): it scrolls instead.
  const legend = option.legend === undefined || Array.isArray(option.legend) ? {} : { legend: { type: 'scroll' as const, ...option.legend } };
  chart.setOption({ ...BASE, ...room, ...withLocalAxes(option), ...tooltip, ...legend });
  const observer = new ResizeObserver(() => chart.resize());
  observer.observe(el);
  return {
    chart,
    dispose: () => {
      observer.disconnect();
      chart.dispose();
    },
  };
}

const axisNumber = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 2 });
const axisTime = new Intl.DateTimeFormat('pt-BR', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit' });

type AxisLike = { type?: string; axisLabel?: { formatter?: unknown } };

/**
 * Axes read like the rest of the page: numbers in pt-BR notation (ECharts writes 1,200) and time
 * axes in Brazil's time (ECharts uses the browser's zone). An axis with its own formatter keeps it.
 */
function withLocalAxes(option: ChartOption): ChartOption {
  const fix = (axis: unknown): unknown => {
    if (Array.isArray(axis)) return axis.map(fix);
    if (typeof axis !== 'object' || axis === null) return axis;
    const a = axis as AxisLike;
    if (a.axisLabel?.formatter !== undefined) return axis;
    if (a.type === 'value' || a.type === 'log') return { ...a, axisLabel: { ...a.axisLabel, formatter: (v: number) => axisNumber.format(v) } };
    if (a.type === 'time') return { ...a, axisLabel: { ...a.axisLabel, formatter: (v: number) => axisTime.format(v) } };
    return axis;
  };
  const loose = option as Record<string, unknown>;
  return { ...option, ...(loose.xAxis !== undefined ? { xAxis: fix(loose.xAxis) } : {}), ...(loose.yAxis !== undefined ? { yAxis: fix(loose.yAxis) } : {}) } as ChartOption;
}

let brazil: Promise<void> | null = null;

/**
 * Registers the map 'BR' once: the states' TopoJSON (fetched, not bundled) turned into GeoJSON, each
 * feature named by its UF code so series data names it 'SP', 'RJ'…
 */
export function loadBrazilMap(): Promise<void> {
  brazil ??= (async () => {
    const response = await fetch('/assets/brazil-states.topojson.json');
    if (!response.ok) throw new Error(`The map of Brazil did not load (HTTP ${response.status})`);
    const topology = (await response.json()) as Topology<{ uf: GeometryCollection<{ name: string }> }>;
    const states = feature(topology, topology.objects.uf);
    for (const state of states.features) {
      state.properties = { ...state.properties, name: String(state.id) };
    }
    echarts.registerMap('BR', states as unknown as Parameters<typeof echarts.registerMap>[1]);
  })().catch((error: unknown) => {
    brazil = null;
    throw error;
  });
  return brazil;
}
