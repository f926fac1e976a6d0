// Pieces several screens share.

import { post } from '../api.js';
import { h, toast } from '../dom.js';
import { t, word } from '../i18n.js';
import { span, secondsUntil, when } from '../format.js';

/** A due time with an overdue mark the eye finds at once. */
export function due(iso) {
  if (!iso) return h('span', { class: 'muted' }, t('none'));
  const left = secondsUntil(iso);
  if (left < 0) {
    return h('span', { class: 'due overdue', title: iso },
      h('b', {}, when(iso)), ' ', h('span', { class: 'badge red' }, t('overdueBy', span(-left))));
  }
  return h('span', { class: left < 3600 ? 'due soon' : 'due', title: iso }, when(iso));
}

export function orderLink(id) {
  if (!id) return h('span', { class: 'muted' }, t('none'));
  return h('a', { href: `#/order/${encodeURIComponent(id)}`, class: 'mono' }, id);
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function statusBadge(status) {
  const kind = { failed: 'red', sent: 'green', pending: 'amber', sending: 'amber', done: 'green' }[status] || '';
  return badge(word('status', status), kind);
}

/** A table; `rows` are arrays of cells, `attrs(row)` gives the <tr> attributes. */
export function table(headers, rows, { id, empty } = {}) {
  // An empty list keeps its id: the page (and whoever waits for it) knows it is drawn.
  if (!rows.length) return h('p', { class: 'muted empty', id }, empty ?? t('none'));
  return h('div', { class: 'scroll' },
    h('table', { id },
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-row': true, ...(r.attrs || {}) },
        r.cells.map((c) => (isCell(c) ? h('td', { 'data-label': c.label }, c.value) : h('td', {}, c))))))));
}

/** A cell with a label for the phone layout: `{label, value}`. */
const isCell = (c) => c !== null && typeof c === 'object' && !(c instanceof Node) && !Array.isArray(c) && 'value' in c;

/** "Done" for a task: the row goes when the API agrees. */
export function doneButton(task, after) {
  return h('button', {
    class: 'small', 'data-task': task.id,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await post(`/tasks/${task.id}/done`);
        toast(t('taskDone'));
        after?.();
      } catch (e) {
        button.disabled = false;
        toast(t('failed', e.message), 'bad');
      }
    },
  }, t('done'));
}

/** "Resend" for a failed message. */
export function resendButton(message, after) {
  return h('button', {
    class: 'small', 'data-resend': message.id,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await post(`/messages/${message.id}/resend`);
        toast(t('resent'));
        after?.();
      } catch (e) {
        button.disabled = false;
        toast(t('failed', e.message), 'bad');
      }
    },
  }, t('resend'));
}

/** A message's attempts: the contract's `attempts` array (older APIs: `history`). */
export function attemptsOf(message) {
  if (Array.isArray(message.attempts)) return message.attempts;
  return Array.isArray(message.history) ? message.history : [];
}

export function waitingText(message) {
  const w = message.waiting;
  if (!w) return null;
  return t(`waiting.${w.reason}`, w.until ? when(w.until) : '');
}

/** Any list of objects (payments, deliveries, ...) as a compact table of their scalar fields. */
export function objectTable(list, { id } = {}) {
  if (!Array.isArray(list) || !list.length) return h('p', { class: 'muted empty' }, t('none'));
  const keys = [...new Set(list.flatMap((o) => Object.keys(o).filter((k) => o[k] === null || typeof o[k] !== 'object')))];
  const shown = keys.filter((k) => list.some((o) => o[k] !== null && o[k] !== '')).slice(0, 8);
  return table(shown, list.map((o) => ({
    cells: shown.map((k) => (/_at$/.test(k) && o[k] ? when(o[k]) : o[k] ?? '')),
  })), { id });
}

/** Who a task is for, as people read it: `staff:m.ivanova` → her name, `role:picker` → the
 * role's name (the ids come from the shop's staff and roles in `GET /api/me`). */
export function assigneeName(assignee, me) {
  const [kind, id] = String(assignee ?? '').split(/:(.*)/s);
  if (kind === 'staff') return (me?.team ?? []).find((s) => s.id === id)?.name ?? id;
  if (kind === 'role') return (me?.roles ?? []).find((r) => r.id === id)?.name ?? id;
  return assignee ?? '';
}

/** A staff id as a name (an order's manager). */
export function staffName(id, me) {
  return id ? (me?.team ?? []).find((s) => s.id === id)?.name ?? id : '';
}
