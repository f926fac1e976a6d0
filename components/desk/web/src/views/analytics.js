// Analytics: one chart per /api/analytics/{name} (docs/staff-api.md), each with its numbers
// in a small table under it. Chart.js is tree-shaken to the bar and line charts used here
// and loaded only with this screen.

import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController,
  LineElement, PointElement, Tooltip,
} from 'chart.js';
import { ApiError, get, query } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { major, money, number, percent, shopDay } from '../format.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const C = { blue: '#2563eb', green: '#16a34a', red: '#dc2626', amber: '#d97706', grey: '#94a3b8', violet: '#7c3aed' };
/** The charts on screen by name, for people poking in the console and for the browser tests. */
const charts = {};
window.deskCharts = charts;

export async function analyticsView(ctx) {
  if (!ctx.me.staff?.supervisor) {
    ctx.show(h('p', { class: 'muted' }, t('onlySupervisors')));
    return;
  }
  const today = shopDay();
  const daysAgo = (n) => shopDay(new Date(Date.now() - n * 86400000));
  const from = ctx.params.get('from') || daysAgo(29);
  const to = ctx.params.get('to') || today;
  const by = ctx.params.get('by') || 'day';
  const period = { from, to };
  const go = (next) => ctx.go(`#/analytics${query({ from, to, by, ...next })}`);

  const fromInput = h('input', { type: 'date', id: 'period-from', value: from, max: today });
  const toInput = h('input', { type: 'date', id: 'period-to', value: to, max: today });
  const picker = h('form', { class: 'filters', id: 'period', onsubmit: (e) => { e.preventDefault(); go({ from: fromInput.value, to: toInput.value }); } },
    h('label', {}, t('from'), fromInput), h('label', {}, t('to'), toInput),
    h('label', {}, t('by'), h('select', { id: 'period-by', onchange: (e) => go({ by: e.target.value }) },
      ['day', 'week'].map((b) => h('option', { value: b, selected: b === by }, t(b))))),
    h('button', { type: 'submit', class: 'primary' }, t('apply')),
    [7, 30, 90].map((n) => h('button', { type: 'button', onclick: () => go({ from: daysAgo(n - 1), to: today }) }, t(`days${n}`))));

  for (const name of Object.keys(charts)) { charts[name].destroy(); delete charts[name]; }
  const cards = REPORTS.map((r) => ({ ...r, el: h('section', { class: 'panel chart-card', id: `chart-${r.name}` }, h('h3', {}, t(`chart.${r.name}`)), h('p', { class: 'muted' }, t('loading'))) }));
  ctx.show(picker, h('div', { class: 'charts' }, cards.map((c) => c.el)));

  await Promise.all(cards.map(async (card) => {
    let data;
    try {
      data = await report(card.name, { ...period, by });
    } catch (e) {
      if (!ctx.current()) return;
      const text = e instanceof ApiError && e.status === 403 ? t('onlySupervisors') : e instanceof ApiError && e.status === 404 ? t('notBuilt') : t('failed', e.message);
      card.el.replaceChildren(h('h3', {}, t(`chart.${card.name}`)), h('p', { class: 'muted' }, text));
      return;
    }
    if (!ctx.current()) return;
    const { config, numbers } = card.build(data);
    const canvas = h('canvas', { 'aria-label': t(`chart.${card.name}`), role: 'img' });
    card.el.replaceChildren(h('h3', {}, t(`chart.${card.name}`)), h('div', { class: 'chart-box' }, canvas), numbers);
    charts[card.name] = new Chart(canvas, config);
  }));
}

async function report(name, params) {
  try {
    return await get(`/analytics/${name}${query(params)}`);
  } catch (e) {
    // V9 was first published as /api/reports/calls; the analytics name is the same report.
    if (name === 'calls' && e instanceof ApiError && e.status === 404) return get(`/reports/calls${query(params)}`);
    throw e;
  }
}

const bar = (labels, datasets, options = {}) => ({
  type: 'bar',
  data: { labels, datasets },
  options: { responsive: true, plugins: { legend: { display: datasets.length > 1, position: 'bottom' } }, ...options },
});
const set = (label, data, color, extra = {}) => ({ label, data, backgroundColor: color, borderColor: color, ...extra });

/** A small table of the numbers the chart draws: `cols` are [header, row => cell]. */
function numbers(name, rows, cols) {
  return h('div', { class: 'scroll' }, h('table', { class: 'nums', 'data-numbers': name },
    h('thead', {}, h('tr', {}, cols.map(([head]) => h('th', {}, head)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map(([, cell]) => h('td', {}, cell(r))))))));
}

const hours = (s) => (s === null || s === undefined ? null : Math.round((s / 3600) * 10) / 10);

const REPORTS = [
  {
    name: 'revenue',
    build: (d) => ({
      config: bar(d.points.map((p) => p.period), [
        set(t('chart.revenue'), d.points.map((p) => major(p.revenue, d.currency)), C.blue, { yAxisID: 'y' }),
        set(t('chart.orders'), d.points.map((p) => p.orders), C.amber, { type: 'line', yAxisID: 'y1', pointRadius: 2 }),
      ], { scales: { y: { beginAtZero: true }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } }),
      numbers: numbers('revenue', d.points, [[t('period'), (p) => p.period], [t('chart.orders'), (p) => number(p.orders)],
        [t('chart.revenue'), (p) => money(p.revenue, d.currency)], [t('chart.average'), (p) => money(p.average, d.currency)]]),
    }),
  },
  {
    name: 'conversion',
    build: (d) => {
      const keys = ['created', 'completed', 'cancelled', 'in_progress'];
      return {
        config: bar(keys.map((k) => t(`chart.${k}`)), [set(t('chart.orders'), keys.map((k) => d[k]), [C.grey, C.green, C.red, C.amber])], { indexAxis: 'y' }),
        numbers: numbers('conversion', [d], [...keys.map((k) => [t(`chart.${k}`), (r) => number(r[k])]), [t('chart.rate'), (r) => percent(r.rate)]]),
      };
    },
  },
  {
    name: 'funnel',
    build: (d) => ({
      config: bar(d.groups.map((g) => g.label), [set(t('chart.reached'), d.groups.map((g) => g.reached), C.blue), set(t('chart.dropped'), d.groups.map((g) => g.dropped), C.red)], { indexAxis: 'y' }),
      numbers: numbers('funnel', d.groups, [[t('group'), (g) => g.label], [t('chart.reached'), (g) => number(g.reached)], [t('chart.dropped'), (g) => number(g.dropped)]]),
    }),
  },
  {
    name: 'status-times',
    build: (d) => ({
      config: bar(d.statuses.map((s) => s.label), [set(t('chart.median'), d.statuses.map((s) => hours(s.median_seconds)), C.blue), set(t('chart.p90'), d.statuses.map((s) => hours(s.p90_seconds)), C.violet)], { indexAxis: 'y' }),
      numbers: numbers('status-times', d.statuses, [[t('status'), (s) => s.label], [t('chart.count'), (s) => number(s.count)],
        [t('chart.median'), (s) => number(hours(s.median_seconds))], [t('chart.p90'), (s) => number(hours(s.p90_seconds))]]),
    }),
  },
  {
    name: 'cancellations',
    build: (d) => ({
      config: bar(d.reasons.map((r) => r.reason), [set(t('chart.count'), d.reasons.map((r) => r.count), C.red)], { indexAxis: 'y' }),
      numbers: numbers('cancellations', [{ reason: t('chart.orders'), count: d.orders }, { reason: t('chart.cancelled'), count: d.cancelled }, ...d.reasons],
        [[t('reason'), (r) => r.reason], [t('chart.count'), (r) => number(r.count)]]),
    }),
  },
  {
    name: 'repeat-purchases',
    build: (d) => ({
      config: bar(d.distribution.map((x) => String(x.orders)), [set(t('chart.customers'), d.distribution.map((x) => x.customers), C.green)]),
      numbers: numbers('repeat-purchases', [d], [[t('chart.customers'), (r) => number(r.customers)], [t('chart.repeat-purchases'), (r) => number(r.repeat_customers)], [t('chart.repeat_rate'), (r) => percent(r.repeat_rate)]]),
    }),
  },
  {
    name: 'products',
    build: (d) => ({
      config: bar(d.products.map((p) => p.name || p.sku), [set(t('chart.revenue'), d.products.map((p) => major(p.revenue, d.currency)), C.blue)], { indexAxis: 'y' }),
      numbers: numbers('products', d.products, [[t('sku'), (p) => p.sku], [t('name'), (p) => p.name], [t('qty'), (p) => number(p.qty)], [t('chart.revenue'), (p) => money(p.revenue, d.currency)]]),
    }),
  },
  {
    name: 'channels',
    build: (d) => ({
      config: bar(d.channels.map((c) => c.channel ?? t('none')), [set(t('chart.orders'), d.channels.map((c) => c.orders), C.blue)]),
      numbers: numbers('channels', d.channels, [[t('channel'), (c) => c.channel ?? t('none')], [t('chart.orders'), (c) => number(c.orders)], [t('chart.revenue'), (c) => money(c.revenue, d.currency)]]),
    }),
  },
  {
    name: 'messages',
    build: (d) => ({
      config: bar(d.channels.map((c) => c.channel), [set(t('chart.sent'), d.channels.map((c) => c.sent), C.green), set(t('chart.failed'), d.channels.map((c) => c.failed), C.red), set(t('chart.pending'), d.channels.map((c) => c.pending), C.amber)],
        { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }),
      numbers: numbers('messages', d.channels, [[t('channel'), (c) => c.channel], [t('chart.sent'), (c) => number(c.sent)], [t('chart.failed'), (c) => number(c.failed)], [t('chart.pending'), (c) => number(c.pending)]]),
    }),
  },
  {
    name: 'calls',
    build: (d) => ({
      config: bar((d.days ?? []).map((x) => x.date), [set(t('chart.answered'), d.days.map((x) => x.answered), C.green), set(t('chart.missed'), d.days.map((x) => x.missed), C.red)],
        { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }),
      numbers: numbers('calls', d.days ?? [], [[t('period'), (x) => x.date], [t('chart.answered'), (x) => number(x.answered)], [t('chart.missed'), (x) => number(x.missed)]]),
    }),
  },
];
