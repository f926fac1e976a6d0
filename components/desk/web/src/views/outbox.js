// The outbox: messages newest first, failed ones with a resend button.

import { get, query } from '../api.js';
import { h } from '../dom.js';
import { t, word } from '../i18n.js';
import { messageItem } from './order.js';
import { orderLink } from './common.js';

const STATUSES = ['pending', 'sending', 'sent', 'failed'];
const CHANNELS = ['email', 'sms', 'telegram', 'webhook'];

export async function outboxView(ctx) {
  const status = ctx.params.get('status') ?? '';
  const channel = ctx.params.get('channel') ?? '';
  const { messages } = await get(`/messages${query({ status, channel })}`);
  const pick = (name, values, current, label) => h('label', {}, label,
    h('select', {
      id: `filter-${name}`,
      onchange: (e) => ctx.go(`#/outbox${query({ status, channel, [name]: e.target.value })}`),
    }, h('option', { value: '' }, t('any')),
    values.map((v) => h('option', { value: v, selected: v === current }, name === 'status' ? word('status', v) : v))));
  ctx.show(
    h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
      pick('status', STATUSES, status, t('status')),
      pick('channel', CHANNELS, channel, t('channel'))),
    messages.length
      ? h('div', { class: 'messages', id: 'outbox' }, messages.map((m) => h('div', { class: 'outbox-row', 'data-row': true },
        h('div', { class: 'muted small' }, t('order'), ' ', orderLink(m.order_id)),
        messageItem(m, ctx))))
      : h('p', { class: 'muted empty' }, t('noMessages')),
  );
}
