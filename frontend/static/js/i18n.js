// i18n.js — French first, English too.
//
//   import {translator, lang} from './i18n.js';
//   const t = translator({
//     fr: {hello: 'Bonjour {name}'},
//     en: {hello: 'Hello {name}'},
//   });
//   t('hello', {name: 'Awa'});  // "Bonjour Awa" (or "Hello Awa" in English)
//
// The language is kept in localStorage ("kaz.lang") and in the kaz_lang
// cookie (shared with the sign-in pages), and reflected in <html lang>. A key missing in the current language falls back to French,
// then to the key itself, so that a gap never breaks a page.

export const LANGS = ['fr', 'en'];
export const DEFAULT_LANG = 'fr';
const STORAGE_KEY = 'kaz.lang';

let current = readStored();
const listeners = new Set();

// COOKIE carries the choice to the pages Kaz renders on the server (the
// built-in provider's sign-in pages read it too), and back.
const COOKIE = 'kaz_lang';

function readStored() {
  // The cookie holds the latest choice, made here or on a sign-in page.
  if (typeof document !== 'undefined') {
    const m = /(?:^|;\s*)kaz_lang=(fr|en)(?:;|$)/.exec(document.cookie || '');
    if (m) return m[1];
  }
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(v)) return v;
  } catch {
    // Storage may be disabled: keep the default.
  }
  return DEFAULT_LANG;
}

function storeCookie(l) {
  if (typeof document === 'undefined') return;
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${COOKIE}=${l}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

// The first visit settles the language for the sign-in pages too: without
// this, the provider's pages would follow the browser's own language while
// the application stays in French, and an agent would switch language
// between the two.
if (typeof document !== 'undefined' && !/(?:^|;\s*)kaz_lang=/.test(document.cookie || '')) storeCookie(current);

function reflect() {
  if (typeof document !== 'undefined' && document.documentElement) {
    document.documentElement.lang = current;
  }
}
reflect();

/** lang returns the current language code ("fr" or "en"). */
export function lang() {
  return current;
}

/**
 * setLang changes the language, stores it and tells the listeners (the shell
 * re-renders the page). Unknown codes are ignored.
 * @param {string} l
 */
export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Not persisted; the choice still holds for this page.
  }
  storeCookie(l);
  reflect();
  for (const fn of [...listeners]) {
    try {
      fn(l);
    } catch (err) {
      console.warn('kaz: language listener failed', err);
    }
  }
}

/**
 * onLangChange calls fn(lang) after each change; returns a function that
 * removes it.
 */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** format replaces {name} placeholders with vars.name (left as is when missing). */
export function format(s, vars) {
  if (!vars) return s;
  return String(s).replace(/\{(\w+)\}/g, (m, k) =>
    Object.prototype.hasOwnProperty.call(vars, k) && vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m);
}

/**
 * plural picks the form of a message for the count n in the current
 * language: a message is a string, or {one, other} (CLDR categories, as
 * Intl.PluralRules names them: in French 0 and 1 are "one", "0 fichier
 * envoyé"; in English only 1 is).
 */
export function plural(s, n) {
  if (s === null || typeof s !== 'object') return s;
  const num = Number(n);
  const cat = Number.isFinite(num) ? new Intl.PluralRules(locale()).select(num) : 'other';
  return s[cat] !== undefined ? s[cat] : s.other;
}

/**
 * translator returns t(key, vars) over the given dictionaries; a message
 * with singular and plural forms ({one, other}) takes the form for vars.n.
 * @param {{fr: Object<string,string>, en?: Object<string,string>}} dicts
 * @returns {(key: string, vars?: Object<string, any>) => string}
 */
export function translator(dicts) {
  const t = (key, vars) => {
    const d = dicts[current] || {};
    let s = d[key];
    if (s === undefined) s = (dicts[DEFAULT_LANG] || {})[key];
    if (s === undefined) s = key;
    return format(plural(s, vars && vars.n), vars);
  };
  t.lang = lang;
  return t;
}

/** locale returns the BCP 47 locale for Intl formatting. */
export function locale() {
  return current === 'fr' ? 'fr-FR' : 'en-GB';
}

/** formatDate formats a date (Date, ISO string or epoch ms) for the current language. */
export function formatDate(d, opts) {
  if (d === undefined || d === null || d === '') return '';
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), opts || {dateStyle: 'medium', timeStyle: 'short'}).format(date);
}

/** formatSize formats a byte count ("1,5 Mo" in French, "1.5 MB" in English). */
export function formatSize(n) {
  n = Number(n);
  if (!Number.isFinite(n) || n < 0) return '';
  const units = current === 'fr' ? ['o', 'Ko', 'Mo', 'Go', 'To'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 || n >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale(), {maximumFractionDigits: digits}).format(n)} ${units[i]}`;
}

export default translator;
