// The desk: one page, hash routes (#/tasks, #/orders, #/order/ID, #/outbox, #/calls,
// #/analytics, #/bonuses, #/dryrun). Everything it shows comes from /api (docs/staff-api.md).

import { api, get } from './api.js';
import { h, mount } from './dom.js';
import { setLanguage, t } from './i18n.js';
import { setTimeZone } from './format.js';
import { tasksView } from './views/tasks.js';
import { ordersView } from './views/orders.js';
import { orderView } from './views/order.js';
import { outboxView } from './views/outbox.js';
import { callsView } from './views/calls.js';
import { presenceControl } from './presence.js';
import { bonusesView } from './views/bonuses.js';

const screens = [
  { route: 'tasks', key: '1', label: 'tasks', view: tasksView },
  { route: 'orders', key: '2', label: 'orders', view: ordersView },
  { route: 'outbox', key: '3', label: 'outbox', view: outboxView },
  { route: 'calls', key: '4', label: 'calls', view: callsView },
  { route: 'analytics', key: '5', label: 'analytics', supervisor: true,
    // Chart.js only loads when someone opens the analytics: the other screens stay light.
    view: async (ctx) => (await import('./views/analytics.js')).analyticsView(ctx) },
  { route: 'bonuses', key: '6', label: 'bonuses', view: bonusesView },
  { route: 'dryrun', key: '7', label: 'dryrun', supervisor: true,
    view: async (ctx) => (await import('./views/dryrun.js')).dryrunView(ctx) },
];

const root = document.getElementById('root');
let me;
let main;
let nav;
let generation = 0;

async function start() {
  me = await get('/me');
  setLanguage(me.shop?.language);
  setTimeZone(me.shop?.time_zone);
  document.title = `${t('title')} · ${me.shop?.name ?? ''}`;
  nav = h('nav', { class: 'tabs' },
    screens.filter((s) => !s.supervisor || me.staff?.supervisor).map((s) =>
      h('a', { href: `#/${s.route}`, id: `nav-${s.route}`, title: `${t(s.label)} (${s.key})` }, t(s.label))));
  main = h('main', { id: 'main', tabindex: '-1' });
  mount(root,
    h('header', { class: 'top' },
      h('span', { class: 'brand' }, me.shop?.name || t('title')),
      nav,
      h('span', { class: 'who' }, presenceControl(), me.staff?.name ?? me.staff?.id,
        h('button', { class: 'link', id: 'sign-out', onclick: signOut }, t('signOut')))),
    main,
    h('footer', { class: 'keys' }, t('keys')));
  window.addEventListener('hashchange', render);
  document.addEventListener('keydown', keys);
  render();
}

async function signOut() {
  try { await api('DELETE', '/session'); } finally { location.assign('/desk/login'); }
}

function parse() {
  const hash = location.hash.replace(/^#\/?/, '') || 'tasks';
  const [path, q] = hash.split('?');
  return { parts: path.split('/').map(decodeURIComponent), params: new URLSearchParams(q || '') };
}

async function render() {
  const mine = ++generation;
  const { parts, params } = parse();
  const [first, second] = parts;
  for (const a of nav.querySelectorAll('a')) {
    const active = a.id === `nav-${first}` || (first === 'order' && a.id === 'nav-orders');
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    // On a phone the tabs scroll sideways: keep the current one in view.
    if (active && nav.scrollWidth > nav.clientWidth) a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  const screen = first === 'order' ? { view: orderView } : screens.find((s) => s.route === first) ?? screens[0];
  const ctx = {
    me, params, id: second,
    // A view renders into `main` only while it is still the current route.
    show: (...children) => { if (mine === generation) { mount(main, ...children); main.dataset.screen = first; } },
    current: () => mine === generation,
    go: (hash) => { location.hash = hash; },
    refresh: render,
  };
  ctx.show(h('p', { class: 'muted' }, t('loading')));
  try {
    await screen.view(ctx);
  } catch (e) {
    ctx.show(h('p', { class: 'error', role: 'alert' }, t('failed', e.message)));
  }
}

/** 1–7 switch screens, / searches, j/k move through rows, Enter opens the row. */
function keys(event) {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  const screen = screens.find((s) => s.key === event.key);
  if (screen && document.getElementById(`nav-${screen.route}`)) {
    location.hash = `#/${screen.route}`;
    event.preventDefault();
    return;
  }
  if (event.key === '/') {
    const search = main.querySelector('input[type=search]');
    if (search) { search.focus(); event.preventDefault(); }
    return;
  }
  if (event.key === 'j' || event.key === 'k' || event.key === 'Enter') {
    const rows = [...main.querySelectorAll('[data-row]')];
    if (!rows.length) return;
    let index = rows.findIndex((r) => r.classList.contains('cursor'));
    if (event.key === 'Enter') {
      const link = index >= 0 && rows[index].querySelector('a[href]');
      if (link) { link.click(); event.preventDefault(); }
      return;
    }
    index = event.key === 'j' ? Math.min(rows.length - 1, index + 1) : Math.max(0, index - 1);
    rows.forEach((r, i) => r.classList.toggle('cursor', i === index));
    rows[index].scrollIntoView({ block: 'nearest' });
    event.preventDefault();
  }
}

start().catch((e) => {
  mount(root, h('p', { class: 'error', role: 'alert' }, t('failed', e.message)));
});
