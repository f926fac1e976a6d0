// Times in the shop's time zone and money in the shop's currency, through Intl.

import { language, t } from './i18n.js';

let zone = 'UTC';
let dateTime;
let timeOnly;
let dateOnly;

export function setTimeZone(tz) {
  zone = tz || 'UTC';
  const locale = language() === 'ru' ? 'ru-RU' : 'en-GB';
  const base = { timeZone: zone };
  dateTime = new Intl.DateTimeFormat(locale, { ...base, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  timeOnly = new Intl.DateTimeFormat(locale, { ...base, hour: '2-digit', minute: '2-digit' });
  dateOnly = new Intl.DateTimeFormat(locale, { ...base, day: '2-digit', month: '2-digit', year: 'numeric' });
}
setTimeZone('UTC');

export function timeZone() { return zone; }

const parts = new Map();
function dayKey(date) {
  let f = parts.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    parts.set(zone, f);
  }
  return f.format(date);
}

/** `YYYY-MM-DD` of an instant in the shop's zone (what the analytics API takes). */
export function shopDay(date = new Date()) { return dayKey(date); }

/** "14:05" today, "23.11, 14:05" another day: the shop's local time. */
export function when(iso) {
  if (!iso) return t('none');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dayKey(date) === dayKey(new Date()) ? timeOnly.format(date) : dateTime.format(date);
}

export function fullDate(iso) {
  if (!iso) return t('none');
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${dateOnly.format(date)} ${timeOnly.format(date)}`;
}

/** "2 d 3 h", "45 min", "2 ч 5 мин". */
export function span(seconds) {
  const ru = language() === 'ru';
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const u = ru ? { d: 'д', h: 'ч', m: 'мин' } : { d: 'd', h: 'h', m: 'min' };
  if (d > 0) return `${d} ${u.d}${hh ? ` ${hh} ${u.h}` : ''}`;
  if (hh > 0) return `${hh} ${u.h}${m ? ` ${m} ${u.m}` : ''}`;
  return `${m} ${u.m}`;
}

const moneyFormats = new Map();
/** Minor units (kopecks, cents) in the currency's own format. */
export function money(minor, currency) {
  if (minor === null || minor === undefined) return t('none');
  const code = currency || 'RUB';
  const key = `${language()}:${code}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(language() === 'ru' ? 'ru-RU' : 'en-GB', { style: 'currency', currency: code });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 });
    }
    moneyFormats.set(key, f);
  }
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}

/** Minor units to major for charts. */
export function major(minor, currency) {
  let digits = 2;
  try { digits = new Intl.NumberFormat('en', { style: 'currency', currency: currency || 'RUB' }).resolvedOptions().maximumFractionDigits; } catch { digits = 2; }
  return (minor ?? 0) / 10 ** digits;
}

export function number(n) {
  if (n === null || n === undefined) return t('none');
  return new Intl.NumberFormat(language() === 'ru' ? 'ru-RU' : 'en-GB').format(n);
}

export function percent(rate) {
  if (rate === null || rate === undefined) return t('none');
  return new Intl.NumberFormat(language() === 'ru' ? 'ru-RU' : 'en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(rate);
}

/** Seconds until an instant (negative: it is past). */
export function secondsUntil(iso) {
  return (new Date(iso).getTime() - Date.now()) / 1000;
}
