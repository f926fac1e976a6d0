// V8: the call log, newest first, each call with its customer and orders in progress.

import { get, query } from '../api.js';
import { h } from '../dom.js';
import { t, word } from '../i18n.js';
import { span, when } from '../format.js';
import { badge, orderLink, table } from './common.js';

export async function callsView(ctx) {
  const phone = ctx.params.get('phone') ?? '';
  const { calls } = await get(`/calls${query({ phone, limit: 200 })}`);
  const search = h('input', { type: 'search', id: 'calls-phone', value: phone, placeholder: '+7…', 'aria-label': t('phone') });
  ctx.show(
    h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); ctx.go(`#/calls${query({ phone: search.value.trim() })}`); } },
      h('label', { class: 'grow' }, t('phone'), search), h('button', { type: 'submit', class: 'primary' }, t('apply'))),
    table([t('started'), t('direction'), t('outcome'), t('phone'), t('customer'), t('operator'), t('duration'), t('order')],
      calls.map((c) => ({
        attrs: { 'data-call': c.id, class: c.outcome === 'missed' ? 'late' : '' },
        cells: [
          { label: t('started'), value: when(c.started_at) },
          { label: t('direction'), value: word('dir', c.direction) },
          { label: t('outcome'), value: badge(word('out', c.outcome), c.outcome === 'missed' ? 'red' : c.outcome === 'answered' ? 'green' : '') },
          { label: t('phone'), value: c.phone ? h('a', { href: `tel:${c.phone}`, class: 'mono' }, c.phone) : t('none') },
          { label: t('customer'), value: c.customer?.name ?? t('none') },
          { label: t('operator'), value: c.operator ?? t('none') },
          { label: t('duration'), value: c.duration ? span(c.duration) : t('none') },
          { label: t('order'), value: h('span', {}, orderLink(c.order_id), c.lead ? [' ', badge(t('lead'), 'amber')] : null,
            (c.customer?.orders_in_progress ?? []).map((o) => o.order_id).filter((id) => id && id !== c.order_id).map((id) => [' ', orderLink(id)])) },
        ],
      })), { id: 'calls', empty: t('noCalls') }),
  );
}
