// My tasks: the caller's own first (assigned to them or one of their roles), then the rest;
// within each, overdue first and by due time.

import { get, query } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { assigneeName, due, doneButton, orderLink, table } from './common.js';

export async function tasksView(ctx) {
  // Every open task; the API puts the caller's own first.
  const { tasks } = await get(`/tasks${query({ status: 'open' })}`);
  const me = ctx.me.staff ?? {};
  // A task is assigned to a person (`staff:m.ivanova`) or a role (`role:manager`).
  const own = (task) => task.assignee === `staff:${me.id}`
    || (me.roles ?? []).some((r) => task.assignee === `role:${r}`);
  const byDue = (a, b) => String(a.due_at ?? '9').localeCompare(String(b.due_at ?? '9'));
  const open = tasks.filter((task) => task.status !== 'done');
  const mine = open.filter(own).sort(byDue);
  const others = open.filter((task) => !own(task)).sort(byDue);
  const rows = (list) => list.map((task) => ({
    attrs: { 'data-task-row': task.id, class: new Date(task.due_at) < new Date() ? 'late' : '' },
    cells: [
      { label: t('due'), value: due(task.due_at) },
      { label: t('task'), value: h('span', {}, h('b', {}, task.title), task.reason ? h('span', { class: 'muted' }, ` · ${task.reason}`) : null) },
      { label: t('order'), value: orderLink(task.order_id) },
      { label: t('assignee'), value: h('span', { title: task.assignee }, assigneeName(task.assignee, ctx.me)) },
      { label: '', value: doneButton(task, () => ctx.refresh()) },
    ],
  }));
  const headers = [t('due'), t('task'), t('order'), t('assignee'), ''];
  ctx.show(
    h('h2', {}, t('mine'), ' ', h('span', { class: 'count' }, mine.length)),
    table(headers, rows(mine), { id: 'my-tasks', empty: t('noTasks') }),
    others.length ? [h('h2', {}, t('others'), ' ', h('span', { class: 'count' }, others.length)),
      table(headers, rows(others), { id: 'other-tasks' })] : null,
  );
}
