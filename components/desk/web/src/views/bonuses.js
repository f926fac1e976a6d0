// S6: the bonus ledger of a month — a total per person, their lines under it, and the CSV.
// A supervisor sees everyone; anyone else their own (GET /api/bonuses, docs/staff-api.md).

import { get, query } from '../api.js';
import { h } from '../dom.js';
import { t, word } from '../i18n.js';
import { money, number, shopDay, when } from '../format.js';
import { badge, orderLink, table } from './common.js';

/** `YYYY-MM` moved by `delta` months. */
function shift(period, delta) {
  const [y, m] = period.split('-').map(Number);
  const index = y * 12 + (m - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** How a line was computed: "5 % × 450,00 ₽", "2 × 10,00 ₽", "30,00 ₽". */
function basis(line) {
  if (line.calculation === 'percent') {
    return `${number(line.rate / 100)} % × ${money(line.base, line.currency)}`;
  }
  if (line.calculation === 'per_item') return `${number(line.base)} × ${money(line.rate, line.currency)}`;
  return money(line.rate, line.currency);
}

function linesTable(person, rules) {
  return table([t('at'), t('order'), t('rule'), t('triggerId'), t('kind'), t('basis'), t('amount')],
    person.lines.map((l) => ({
      attrs: { 'data-line': l.id, class: l.kind === 'reversal' ? 'late' : '' },
      cells: [
        { label: t('at'), value: when(l.at) },
        { label: t('order'), value: orderLink(l.order_id) },
        { label: t('rule'), value: h('span', { title: rules[l.rule] || null }, l.rule, l.category ? h('span', { class: 'muted' }, ` · ${l.category}`) : null) },
        { label: t('triggerId'), value: h('code', { class: 'trigger' }, l.trigger) },
        { label: t('kind'), value: badge(word('kind', l.kind), l.kind === 'reversal' ? 'red' : 'green') },
        { label: t('basis'), value: h('span', { class: 'num' }, basis(l)) },
        { label: t('amount'), value: h('b', { class: 'num' }, money(l.amount, l.currency)) },
      ],
    })), { id: `bonus-lines-${person.staff}` });
}

export async function bonusesView(ctx) {
  const current = shopDay().slice(0, 7);
  const period = /^\d{4}-\d{2}$/.test(ctx.params.get('period') ?? '') ? ctx.params.get('period') : current;
  const go = (p) => ctx.go(`#/bonuses${query({ period: p })}`);
  const data = await get(`/bonuses${query({ period })}`);
  const people = data.people ?? [];

  const month = h('input', { type: 'month', id: 'bonus-period', value: period, 'aria-label': t('month') });
  const picker = h('form', { class: 'filters', id: 'bonus-picker', onsubmit: (e) => { e.preventDefault(); if (month.value) go(month.value); } },
    h('button', { type: 'button', id: 'bonus-prev', title: t('prevMonth'), onclick: () => go(shift(period, -1)) }, '‹'),
    h('label', {}, t('month'), month),
    h('button', { type: 'button', id: 'bonus-next', title: t('nextMonth'), onclick: () => go(shift(period, 1)) }, '›'),
    h('button', { type: 'submit', class: 'primary' }, t('apply')),
    h('a', { class: 'button', id: 'bonus-csv', href: `/api/bonuses.csv${query({ period })}`, download: `bonuses-${period}.csv` }, t('downloadCsv')));

  // One currency for everyone (the usual case): a grand total above the people.
  const currencies = [...new Set(people.map((p) => p.currency))];
  const grand = currencies.length === 1 && people.length > 1
    ? h('p', { class: 'big', id: 'bonus-grand-total' }, `${t('grandTotal')}: `, h('span', { class: 'num' }, money(people.reduce((s, p) => s + p.total, 0), currencies[0])))
    : null;

  ctx.show(
    picker,
    grand,
    people.length
      ? h('div', { class: 'bonus-people', id: 'bonus-people' }, people.map((p) => h('details', {
        class: 'panel bonus-person', 'data-staff': p.staff, open: people.length === 1,
      },
      h('summary', { 'data-row': true },
        h('span', { class: 'bonus-name' }, p.name),
        h('span', { class: 'muted small' }, t('linesCount', number(p.lines.length))),
        h('b', { class: `num bonus-total${p.total < 0 ? ' overdue' : ''}` }, money(p.total, p.currency))),
      linesTable(p, data.rules ?? {}))))
      : h('p', { class: 'muted empty', id: 'bonus-people' }, t('noBonuses')),
  );
}
