// Orders: filters in the address (#/orders?status=new&overdue=true), newest first, paged
// with the API's cursor.

import { get, query } from '../api.js';
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { money, span, when } from '../format.js';
import { badge, orderLink, staffName, table } from './common.js';

const PAYMENT = ['not-paid', 'invoice-sent', 'paid', 'partially-paid', 'failed', 'refunded'];
const DELIVERY = ['created', 'accepted', 'in-transit', 'at-pickup-point', 'out-for-delivery',
  'delivered', 'not-delivered', 'returning', 'returned', 'problem', 'lost'];
const FILTERS = ['status', 'group', 'payment_status', 'delivery_status', 'channel', 'manager', 'overdue', 'q'];

export async function ordersView(ctx) {
  const params = Object.fromEntries(FILTERS.map((k) => [k, ctx.params.get(k) ?? '']));
  const select = (name, label, options) => h('label', {}, label,
    h('select', { name, id: `filter-${name}` },
      h('option', { value: '' }, t('any')),
      options.map(([value, text]) => h('option', { value, selected: params[name] === value }, text))));
  const text = (name, label, extra = {}) => h('label', {}, label,
    h('input', { name, id: `filter-${name}`, value: params[name], ...extra }));
  const form = h('form', { class: 'filters', id: 'order-filters', onsubmit: (e) => { e.preventDefault(); apply(new FormData(form)); } },
    h('label', { class: 'grow' }, t('search'),
      h('input', { type: 'search', name: 'q', id: 'filter-q', value: params.q, placeholder: t('searchHint') })),
    select('status', t('status'), (ctx.me.statuses ?? []).map((s) => [s.code, s.label])),
    select('group', t('group'), (ctx.me.groups ?? []).map((g) => [g.code, g.label])),
    select('payment_status', t('payment'), PAYMENT.map((p) => [p, p])),
    select('delivery_status', t('delivery'), DELIVERY.map((d) => [d, d])),
    text('channel', t('channel'), { size: 8 }),
    text('manager', t('manager'), { size: 10 }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', value: 'true', id: 'filter-overdue', checked: params.overdue === 'true' }), t('onlyOverdue')),
    h('button', { type: 'submit', class: 'primary' }, t('apply')),
    h('a', { href: '#/orders', class: 'button' }, t('reset')));

  function apply(data) {
    const next = {};
    for (const k of FILTERS) next[k] = (data.get(k) ?? '').toString().trim();
    ctx.go(`#/orders${query(next)}`);
  }
  for (const s of form.querySelectorAll('select, input[type=checkbox]')) {
    s.addEventListener('change', () => apply(new FormData(form)));
  }

  const list = h('div', { id: 'orders-list' });
  const more = h('div', { class: 'more' });
  const rows = [];
  const statusLabels = new Map((ctx.me.statuses ?? []).map((s) => [s.code, s.label]));

  async function load(cursor) {
    const page = await get(`/orders${query({ ...params, limit: 50, cursor })}`);
    if (!ctx.current()) return;
    for (const o of page.orders) {
      const inStatus = o.status_entered_at ? (Date.now() - new Date(o.status_entered_at)) / 1000 : null;
      rows.push({
        attrs: { 'data-order': o.id, class: o.overdue ? 'late' : '' },
        cells: [
          { label: t('order'), value: orderLink(o.id) },
          { label: t('created'), value: when(o.created_at) },
          { label: t('customer'), value: h('span', {}, o.customer?.name ?? '', h('br'), h('small', { class: 'muted' }, o.customer?.phone ?? o.customer?.email ?? '')) },
          { label: t('status'), value: h('span', {}, badge(o.status_label ?? statusLabels.get(o.status) ?? o.status, o.overdue ? 'red' : ''),
            inStatus !== null ? h('small', { class: o.overdue ? 'overdue' : 'muted' }, ` ${span(inStatus)}`) : null) },
          { label: t('payment'), value: o.payment_status ?? '' },
          { label: t('delivery'), value: o.delivery_status ?? '' },
          { label: t('total'), value: h('span', { class: 'num' }, money(o.total, o.currency)) },
          { label: t('manager'), value: staffName(o.manager, ctx.me) },
        ],
      });
    }
    mount(list, table([t('order'), t('created'), t('customer'), t('status'), t('payment'), t('delivery'), t('total'), t('manager')],
      rows, { id: 'orders', empty: t('noOrders') }));
    mount(more, page.next_cursor
      ? h('button', { id: 'orders-more', onclick: () => load(page.next_cursor) }, t('more'))
      : null);
  }
  ctx.show(form, list, more);
  await load();
}
