// Dry run (issue 17): edit the triggers, replay the recorded events of a few days against
// them, and see per trigger what would have happened otherwise. Nothing is sent or stored
// (POST /api/replay, docs/replay.md). Supervisors only.

import { ApiError, get, post, query } from '../api.js';
import { h } from '../dom.js';
import { language, t as common } from '../i18n.js';
import { number, shopDay, span } from '../format.js';
import { badge, orderLink } from './common.js';

// This screen's own words (loaded with it, not with every page).
const words = {
  ru: {
    onlySupervisorsDry: 'Проверка правил доступна руководителям',
    dryIntro: 'Измените правила (triggers.toml) и посмотрите, что было бы иначе с событиями выбранных дней: для каждого правила — заказы, для которых оно сработало бы или больше не сработало бы, и какие сообщения, задачи и смены статуса изменились бы. Ничего не отправляется и не сохраняется. События хранятся {0} дн.',
    dryRunButton: 'Проверить', dryReset: 'Вернуть текущие', downloadEvaluations: 'Скачать события (JSONL)',
    dryNoDifference: 'Разницы нет: все правила решают так же, как было', dryDiffers: 'Правил с разницей: {0}, решений: {1}',
    dryReplayed: 'Событий за период: {0}, проверено заново: {1}', nowFire: 'Сработали бы впервые',
    noLongerFire: 'Больше не сработали бы', otherTime: 'Сработали бы в другое время', statusMoves: 'Смены статуса',
    nowFiresFor: 'теперь срабатывает для', noLongerFiresFor: 'больше не срабатывает для',
    switchedOff: 'выключено', notInConfig: 'нет в правилах', subject: 'Для', event: 'Событие',
    was: 'Было', wouldBe: 'Было бы', actions: 'Действия', fireNow: 'сразу', didNotFire: 'не срабатывало',
    heldByCooldown: 'пауза между запусками', wouldNotFire: 'не сработало бы', heldUntil: 'ждёт до {0}', note: 'заметка', timer: 'таймер',
    promoCode: 'промокод', discount: 'скидка', chatReply: 'ответ в чат', chat: 'чат',
  },
  en: {
    onlySupervisorsDry: 'Dry runs are for supervisors',
    dryIntro: 'Edit the triggers (triggers.toml) and see what would have happened otherwise with the events of the chosen days: per trigger, the orders it would now fire for or no longer fire for, and the messages, tasks and status moves that would differ. Nothing is sent or stored. Events are kept {0} days.',
    dryRunButton: 'Dry run', dryReset: 'Back to the deployed ones', downloadEvaluations: 'Download the events (JSONL)',
    dryNoDifference: 'No difference: every trigger decides as it did', dryDiffers: '{0} trigger(s) differ in {1} decision(s)',
    dryReplayed: '{0} recorded evaluation(s) in the period, {1} replayed', nowFire: 'Would now fire',
    noLongerFire: 'Would no longer fire', otherTime: 'Would fire at another time', statusMoves: 'Status moves',
    nowFiresFor: 'now fires for', noLongerFiresFor: 'no longer fires for',
    switchedOff: 'switched off', notInConfig: 'not in the triggers', subject: 'For', event: 'Event',
    was: 'Was', wouldBe: 'Would be', actions: 'Actions', fireNow: 'now', didNotFire: 'did not fire',
    heldByCooldown: 'held by its cooldown', wouldNotFire: 'would not fire', heldUntil: 'held until {0}', note: 'note', timer: 'timer',
    promoCode: 'promo code', discount: 'discount', chatReply: 'chat reply', chat: 'chat',
  },
};

/** A word of this screen, else the desk's. */
function t(key, ...args) {
  const text = words[language()]?.[key] ?? common(key);
  return args.reduce((s, a, i) => s.replace(`{${i}}`, a), text);
}

/** `YYYY-MM-DD` moved by `days`. */
function addDays(day, days) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Unix seconds as the shop's local date and time, like the report's text. */
function local(unix) {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: dryTimeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(new Date(unix * 1000));
}
let dryTimeZone = 'UTC';

function subject(s) {
  if (s.order) return orderLink(s.order);
  if (s.chat !== undefined) return h('span', { class: 'mono' }, `${t('chat')} ${s.chat}`);
  if (s.customer !== undefined) return h('span', { class: 'mono' }, `${t('customer')} ${s.customer}`);
  return t('none');
}

/** One action of the report, in words. */
function action(a) {
  switch (a.kind) {
    case 'message': return [h('b', {}, a.channel), ` ${a.template} → ${a.to === 'customer' ? t('customer').toLowerCase() : a.to}`, h('span', { class: 'muted' }, ` ${a.address}`),
      a.not_before ? h('span', { class: 'muted' }, ` (${t('heldUntil', local(a.not_before))})`) : null];
    case 'note': return `${t('note')} → ${a.staff}`;
    case 'task': return [h('b', {}, t('task')), ` «${a.title}» → ${a.assignee}, ${t('due').toLowerCase()} ${local(a.due_at)}`];
    case 'status': return [h('b', {}, t('status')), ` ${a.from} → ${a.to}`];
    case 'cancel': return [h('b', {}, t('status')), ` ${a.from} → cancelled (${a.reason})`];
    case 'field': return `${a.field} = ${a.value}`;
    case 'tag': return `+${a.tag}`;
    case 'untag': return `−${a.tag}`;
    case 'set_timer': return `${t('timer')} ${a.name} ${local(a.fire_at)}`;
    case 'cancel_timer': return `${t('timer')} ${a.name} ✕`;
    case 'http': return `${a.endpoint}: ${a.event_type}`;
    case 'promo_code': return `${t('promoCode')} ${a.pool}`;
    case 'discount': return `${t('discount')} ${a.percent} %`;
    case 'chat_reply': return `${t('chatReply')} ${a.template}`;
    case 'bonus': return `${t('bonuses')}: ${a.rule} → ${a.staff}`;
    default: return a.kind;
  }
}

/** "now", "10:10 (+10 min)", "did not fire" (`would`: "would not fire"). */
function fired(f, at, would = false) {
  if (f.fired === 'now') return t('fireNow');
  if (f.fired === 'at') return `${local(f.at)} (+${span(f.at - at)})`;
  if (f.fired === 'cooldown') return t('heldByCooldown');
  return t(would ? 'wouldNotFire' : 'didNotFire');
}

function actionList(change) {
  const items = [
    ...change.same.map((a) => h('li', { class: 'same' }, h('span', { class: 'sign' }, '='), action(a))),
    ...change.added.map((a) => h('li', { class: 'added' }, h('span', { class: 'sign' }, '+'), action(a))),
    ...change.removed.map((a) => h('li', { class: 'removed' }, h('span', { class: 'sign' }, '−'), action(a))),
    ...change.changed.map((c) => h('li', { class: 'changed' }, h('span', { class: 'sign' }, '~'), action(c.before), ' ⇒ ', action(c.after))),
  ];
  return h('ul', { class: 'dry-actions' }, items,
    (change.notes ?? []).map((n) => h('li', { class: 'note muted small' }, n)));
}

function triggerPanel(tr) {
  const state = tr.enabled ? null : badge(tr.description ? t('switchedOff') : t('notInConfig'), 'amber');
  return h('section', { class: 'panel dry-trigger', 'data-trigger': tr.trigger },
    h('div', { class: 'card-head' },
      h('code', { class: 'trigger' }, tr.trigger), state,
      h('span', { class: 'muted small' }, tr.description)),
    tr.now_fires_for.length ? h('p', { class: 'dry-now' }, badge(t('nowFiresFor'), 'green'), ' ', tr.now_fires_for.map((s, i) => [i ? ', ' : '', subject(s)])) : null,
    tr.no_longer_fires_for.length ? h('p', { class: 'dry-gone' }, badge(t('noLongerFiresFor'), 'red'), ' ', tr.no_longer_fires_for.map((s, i) => [i ? ', ' : '', subject(s)])) : null,
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, [t('subject'), t('event'), t('was'), t('wouldBe'), t('actions')].map((x) => h('th', {}, x)))),
      h('tbody', {}, tr.changes.map((c) => h('tr', { 'data-row': true, 'data-evaluation': c.evaluation },
        h('td', { 'data-label': t('subject') }, subject(c.subject)),
        h('td', { 'data-label': t('event') }, h('span', { class: 'mono small' }, c.event), h('div', { class: 'muted small' }, local(c.at))),
        h('td', { 'data-label': t('was') }, fired(c.before, c.at)),
        h('td', { 'data-label': t('wouldBe') }, h('b', {}, fired(c.after, c.at, true))),
        h('td', { 'data-label': t('actions') }, actionList(c))))))));
}

function summary(report) {
  const s = report.summary;
  const counts = (c) => `+${number(c.added)} −${number(c.removed)} ~${number(c.changed)}`;
  return h('div', { class: 'panel', id: 'dry-summary' },
    h('p', { class: 'big' }, report.triggers.length
      ? t('dryDiffers', number(s.triggers), number(s.changes))
      : t('dryNoDifference')),
    h('p', { class: 'muted' }, t('dryReplayed', number(s.evaluations), number(s.replayed))),
    report.triggers.length ? h('dl', { class: 'facts' },
      h('dt', {}, t('nowFire')), h('dd', {}, number(s.now_fire)),
      h('dt', {}, t('noLongerFire')), h('dd', {}, number(s.no_longer_fire)),
      h('dt', {}, t('otherTime')), h('dd', {}, number(s.timing)),
      h('dt', {}, t('messages')), h('dd', { class: 'num' }, counts(s.messages)),
      h('dt', {}, t('tasks')), h('dd', { class: 'num' }, counts(s.tasks)),
      h('dt', {}, t('statusMoves')), h('dd', { class: 'num' }, counts(s.status_moves))) : null,
    report.notes.length ? h('ul', { class: 'muted small' }, report.notes.map((n) => h('li', {}, n))) : null);
}

function problems(error) {
  const list = error?.problems ?? [];
  return h('div', { class: 'panel', id: 'dry-problems', role: 'alert' },
    h('p', { class: 'error' }, error?.message ?? t('failed', '')),
    list.length ? h('ul', {}, list.map((p) => h('li', { class: 'mono small' },
      [p.trigger ? `${p.trigger}: ` : '', p.field ? `${p.field}: ` : '', p.message]))) : null);
}

export async function dryrunView(ctx) {
  if (!ctx.me.staff?.supervisor) {
    ctx.show(h('p', { class: 'muted' }, t('onlySupervisorsDry')));
    return;
  }
  dryTimeZone = ctx.me.shop?.time_zone || 'UTC';
  const today = shopDay();
  const valid = (d) => /^\d{4}-\d{2}-\d{2}$/.test(d ?? '');
  const to = valid(ctx.params.get('to')) ? ctx.params.get('to') : today;
  const from = valid(ctx.params.get('from')) ? ctx.params.get('from') : addDays(to, -6);
  const deployed = await get('/replay/triggers');

  const text = h('textarea', { id: 'dry-triggers', spellcheck: 'false', rows: 18, 'aria-label': 'triggers.toml' });
  text.value = deployed.triggers;
  const fromInput = h('input', { type: 'date', id: 'dry-from', value: from });
  const toInput = h('input', { type: 'date', id: 'dry-to', value: to });
  const result = h('div', { id: 'dry-result' });
  const run = h('button', { type: 'submit', class: 'primary', id: 'dry-run' }, t('dryRunButton'));
  const exportLink = h('a', {
    class: 'button', id: 'dry-export', download: `evaluations-${from}-${to}.jsonl`,
    href: `/api/replay/evaluations${query({ from, to })}`,
  }, t('downloadEvaluations'));

  async function submit(event) {
    event.preventDefault();
    run.disabled = true;
    exportLink.href = `/api/replay/evaluations${query({ from: fromInput.value, to: toInput.value })}`;
    result.replaceChildren(h('p', { class: 'muted' }, t('loading')));
    try {
      const answer = await post('/replay', { triggers: text.value, from: fromInput.value, to: toInput.value });
      result.replaceChildren(summary(answer.report),
        h('div', { id: 'dry-triggers-changed' }, answer.report.triggers.map(triggerPanel)));
    } catch (e) {
      result.replaceChildren(e instanceof ApiError ? problems(e.error ?? { message: e.message }) : problems({ message: e.message }));
    } finally {
      run.disabled = false;
    }
  }

  ctx.show(
    h('p', { class: 'muted' }, t('dryIntro', number(deployed.keep_days))),
    h('form', { id: 'dry-form', onsubmit: submit },
      h('label', { class: 'dry-editor' }, h('span', { class: 'muted small' }, 'triggers.toml'), text),
      h('div', { class: 'filters' },
        h('label', {}, t('from'), fromInput),
        h('label', {}, t('to'), toInput),
        run,
        h('button', { type: 'button', id: 'dry-reset', onclick: () => { text.value = deployed.triggers; } }, t('dryReset')),
        exportLink)),
    result,
  );
}
