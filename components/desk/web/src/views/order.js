// The order card: summary and actions, items, customer, the history as a timeline, messages,
// tasks, payments, deliveries, calls.

import { ApiError, get, post } from '../api.js';
import { h, toast } from '../dom.js';
import { t } from '../i18n.js';
import { fullDate, money, span, when } from '../format.js';
import { assigneeName, attemptsOf, badge, doneButton, due, objectTable, resendButton, staffName, statusBadge, table, waitingText } from './common.js';

export async function orderView(ctx) {
  let card;
  try {
    card = await get(`/orders/${encodeURIComponent(ctx.id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      ctx.show(h('p', { class: 'error' }, t('notFound')), h('a', { href: '#/orders' }, t('back')));
      return;
    }
    throw e;
  }
  render(ctx, card);
}

function render(ctx, card) {
  const { order, customer = {}, status = {} } = card;
  const currency = order.currency;
  const reload = (next) => (next && next.order ? render(ctx, next) : ctx.refresh());
  ctx.show(
    h('div', { class: 'card-head' },
      h('a', { href: '#/orders', class: 'back', title: t('back') }, '←'),
      h('h2', { id: 'order-title' }, `${t('summary')} `, h('span', { class: 'mono' }, order.id)),
      h('span', { id: 'order-status' }, badge(status.label ?? order.status, status.overdue ? 'red' : 'blue')),
      h('span', { class: status.overdue ? 'overdue' : 'muted' },
        t('inStatus', span(status.seconds_in_status ?? 0)), status.overdue ? ` · ${t('overdue')}` : ''),
      h('span', { class: 'num big' }, money(order.total, currency))),
    actions(ctx, card, reload),
    h('div', { class: 'grid' },
      section(t('summary'), h('dl', { class: 'facts' },
        fact(t('created'), fullDate(order.created_at)),
        fact(t('placed'), fullDate(order.placed_at)),
        fact(t('updated'), fullDate(order.updated_at)),
        fact(t('payment'), order.payment_status),
        fact(t('delivery'), order.delivery_status),
        fact(t('channel'), order.channel),
        fact(t('manager'), staffName(order.manager, ctx.me)))),
      section(t('customerCard'), h('dl', { class: 'facts', id: 'order-customer' },
        fact(t('person'), customer.name),
        fact(t('phone'), customer.phone ? h('a', { href: `tel:${customer.phone}` }, customer.phone) : null),
        fact('Email', customer.email ? h('a', { href: `mailto:${customer.email}` }, customer.email) : null),
        fact(t('segment'), customer.segment),
        fact(t('tags'), (customer.tags ?? []).length ? h('span', {}, customer.tags.map((tag) => badge(tag))) : null)))),
    section(t('items'), table([t('sku'), t('name'), t('qty'), t('price'), t('total')],
      (order.items ?? []).map((i) => ({ cells: [
        h('span', { class: 'mono' }, i.sku ?? ''), i.name ?? '', h('span', { class: 'num' }, i.qty),
        h('span', { class: 'num' }, money(i.price, currency)), h('span', { class: 'num' }, money((i.price ?? 0) * (i.qty ?? 0), currency))] })),
      { id: 'order-items' })),
    section(t('tasks'), tasks(card.tasks ?? [], ctx)),
    section(t('timeline'), timeline(card.history ?? [])),
    section(t('messages'), messages(card.messages ?? [], ctx)),
    h('div', { class: 'grid' },
      section(t('payments'), objectTable(card.payments, { id: 'order-payments' })),
      section(t('deliveries'), objectTable(card.deliveries, { id: 'order-deliveries' }))),
    section(t('calls'), objectTable(card.calls, { id: 'order-calls' })),
  );
}

function section(title, body) {
  return h('section', { class: 'panel' }, h('h3', {}, title), body);
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value ?? t('none'))];
}

function actions(ctx, card, reload) {
  const transitions = card.allowed_transitions ?? [];
  const to = h('select', { id: 'move-to', 'aria-label': t('moveTo') },
    transitions.map((s) => h('option', { value: s.code }, s.label)));
  const comment = h('input', { id: 'move-comment', placeholder: t('comment'), 'aria-label': t('comment') });
  const flag = h('select', { id: 'flag', 'aria-label': t('flag') },
    (ctx.me.flags ?? []).map((f) => h('option', { value: f }, f)));
  const act = (path, body, done) => async (event) => {
    event.preventDefault();
    const button = event.submitter ?? event.currentTarget;
    button.disabled = true;
    try {
      const next = await post(`/orders/${encodeURIComponent(card.order.id)}/${path}`, body());
      toast(done);
      reload(next);
    } catch (e) {
      button.disabled = false;
      toast(t('failed', e.message), 'bad');
    }
  };
  return h('div', { class: 'actions' },
    transitions.length ? h('form', { id: 'move', onsubmit: act('status', () => ({ to: to.value, comment: comment.value || undefined }), t('moved')) },
      h('span', {}, t('moveTo')), to, comment, h('button', { type: 'submit', class: 'primary' }, t('move'))) : null,
    (ctx.me.flags ?? []).length ? h('form', { id: 'flag-form', onsubmit: act('flags', () => ({ flag: flag.value }), t('flagged')) },
      flag, h('button', { type: 'submit' }, t('flag'))) : null);
}

function timeline(history) {
  if (!history.length) return h('p', { class: 'muted' }, t('none'));
  const sorted = [...history].sort((a, b) => String(b.at).localeCompare(String(a.at)) || (b.id ?? 0) - (a.id ?? 0));
  return h('ol', { class: 'timeline', id: 'timeline' }, sorted.map((e) => h('li', { 'data-history': e.id, class: e.outcome && e.outcome !== 'applied' && e.outcome !== 'ok' ? 'refused' : '' },
    h('time', { datetime: e.at, title: e.at }, when(e.at)),
    h('div', {},
      h('b', {}, e.field ?? ''), ' ',
      e.from !== undefined && e.from !== null ? h('span', { class: 'muted' }, `${display(e.from)} → `) : null,
      h('span', {}, display(e.to)),
      e.outcome ? [' ', badge(e.outcome, e.outcome === 'applied' ? '' : 'amber')] : null,
      h('div', { class: 'muted small' },
        `${t('actor')}: ${e.actor_name ?? e.actor ?? t('none')}`,
        e.trigger_id ? [' · ', `${t('trigger')}: `, h('code', { class: 'trigger' }, e.trigger_id)] : null,
        e.reason ? ` · ${e.reason}` : null)))));
}

function display(value) {
  if (value === null || value === undefined) return t('none');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function tasks(list, ctx) {
  return table([t('due'), t('task'), t('assignee'), t('status'), ''], list.map((task) => ({
    attrs: { 'data-task-row': task.id },
    cells: [due(task.status === 'done' ? null : task.due_at), task.title, assigneeName(task.assignee, ctx.me), statusBadge(task.status),
      task.status === 'done' ? '' : doneButton(task, () => ctx.refresh())],
  })), { id: 'order-tasks' });
}

export function messages(list, ctx) {
  if (!list.length) return h('p', { class: 'muted' }, t('noMessages'));
  return h('div', { class: 'messages', id: 'order-messages' }, list.map((m) => messageItem(m, ctx)));
}

export function messageItem(m, ctx) {
  const attempts = attemptsOf(m);
  const waiting = waitingText(m);
  return h('details', { class: `message ${m.status}`, 'data-message': m.id, open: m.status === 'failed' },
    h('summary', {},
      statusBadge(m.status), ' ', h('b', {}, m.channel), ' · ', m.template, ' → ', h('span', { class: 'mono' }, m.recipient),
      h('span', { class: 'muted' }, ` · ${when(m.sent_at ?? m.created_at)}`),
      waiting ? h('span', { class: 'badge amber' }, `${t('waiting')}: ${waiting}`) : null,
      m.status === 'failed' ? [' ', resendButton(m, () => ctx.refresh())] : null),
    m.subject ? h('p', {}, h('b', {}, m.subject)) : null,
    m.body_text ? h('pre', { class: 'body' }, m.body_text) : null,
    m.last_error ? h('p', { class: 'error' }, `${t('error')}: ${m.last_error}`) : null,
    attempts.length ? h('ol', { class: 'attempts' }, attempts.map((a) => h('li', {},
      when(a.at), ' · ', a.provider ?? '', ' · ', a.outcome ?? '', a.http_status ? ` · HTTP ${a.http_status}` : '', a.error ? ` · ${a.error}` : ''))) : null,
    h('p', { class: 'muted small' }, `${t('attempts')}: ${attempts.length || (typeof m.attempts === 'number' ? m.attempts : 0)}`, m.resends ? ` · ${t('resend')}: ${m.resends}` : ''),
  );
}


