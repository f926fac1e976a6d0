// V1: the signed-in person's status for automatic assignment, next to their name. A status
// they set (online, away, offline) overrides their working hours; "by hours" clears it
// (GET/PUT/DELETE /api/staff/me/presence, docs/staff-api.md).

import { api, get } from './api.js';
import { h, toast } from './dom.js';
import { t } from './i18n.js';
import { when } from './format.js';

/** The choices: what each sets (`null`: back to the working hours). */
const CHOICES = {
  hours: null,
  online: { status: 'online' },
  away30: { status: 'away', minutes: 30 },
  away: { status: 'away' },
  offline: { status: 'offline' },
};

export function presenceControl() {
  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  const select = h('select', { id: 'presence', 'aria-label': t('presence'), title: t('presenceHint') });
  const note = h('span', { class: 'presence-note', id: 'presence-note' });
  const box = h('span', { class: 'presence' }, dot, select, note);

  function show(p) {
    const hours = p.on_shift ? t('presence.hours.on') : t('presence.hours.off');
    select.replaceChildren(...Object.keys(CHOICES).map((value) =>
      h('option', { value }, value === 'hours' ? hours : t(`presence.${value}`))));
    select.value = p.status ?? 'hours';
    dot.className = `dot ${p.available ? 'on' : 'off'}`;
    box.dataset.available = String(p.available);
    const load = p.capacity ? t('load', p.open_orders, p.capacity) : t('loadNoLimit', p.open_orders);
    note.textContent = p.until ? `${t('presenceUntil', when(p.until))} · ${load}` : load;
  }

  select.addEventListener('change', async () => {
    const choice = CHOICES[select.value];
    select.disabled = true;
    try {
      const body = choice && {
        status: choice.status,
        until: choice.minutes ? new Date(Date.now() + choice.minutes * 60_000).toISOString() : null,
      };
      show(choice ? await api('PUT', '/staff/me/presence', body) : await api('DELETE', '/staff/me/presence'));
      toast(t('presenceSaved'));
    } catch (e) {
      toast(t('failed', e.message), 'bad');
      get('/staff/me/presence').then(show).catch(() => {});
    } finally {
      select.disabled = false;
    }
  });

  // Someone the API cannot show (it fails) simply has no control.
  get('/staff/me/presence').then(show).catch(() => box.remove());
  return box;
}
