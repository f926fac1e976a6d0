// /desk/login: posts the staff id and password to POST /api/session, then opens the desk.

import { api, ApiError } from './api.js';
import { h, mount } from './dom.js';
import { guessLanguage, setLanguage, t } from './i18n.js';

setLanguage(guessLanguage());
document.title = `${t('signIn')} · ${t('title')}`;

const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
const staff = h('input', { id: 'staff', name: 'staff', autocomplete: 'username', required: true, autofocus: true, autocapitalize: 'none', spellcheck: 'false' });
const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
const button = h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, t('enter'));

const form = h('form', { class: 'login', id: 'login', onsubmit: submit },
  h('h1', {}, t('title')),
  h('label', { for: 'staff' }, t('staffId')), staff,
  h('label', { for: 'password' }, t('password')), password,
  button, error);

mount(document.getElementById('root'), form);

async function submit(event) {
  event.preventDefault();
  error.textContent = '';
  button.disabled = true;
  try {
    await api('POST', '/session', { staff: staff.value.trim(), password: password.value });
    location.assign('/desk/');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) error.textContent = t('badCredentials');
    else if (e instanceof ApiError && e.status === 429) error.textContent = t('tooMany');
    else error.textContent = t('failed', e.message);
    password.select();
  } finally {
    button.disabled = false;
  }
}
