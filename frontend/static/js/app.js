// app.js — the Kaz shell: who is signed in, the header (navigation,
// search box, language switch, user menu), the hash router and the views.
//
// Routes: #/ (home), #/libraries/…, #/search?q=…, #/phone, #/account,
// #/admin/<part>. Each section is a module js/sections/<name>.js exporting
// `async function render(root, ctx)`; ctx = {api, me, lang, navigate(hash),
// params, t, notify}. params holds the query parameters of the hash
// (#/search?q=x → params.q === 'x') plus `rest`, the decoded path segments
// after the section name (#/libraries/rh/Notes → rest = ['rh', 'Notes']) and
// `path`, the same joined with '/'. A render may return a function, called
// before the next view replaces it (to close sockets, stop timers).

import {api, ApiError, setCSRF} from './api.js';
import {translator, lang, setLang, onLangChange} from './i18n.js';
import {el, clear, notify, heading, errorBanner} from './ui.js';

const t = translator({
  fr: {
    skip: 'Aller au contenu',
    nav_label: 'Navigation principale',
    home: 'Accueil',
    libraries: 'Bibliothèques',
    search: 'Recherche',
    phone: 'Téléphone',
    account: 'Mon compte',
    admin: 'Administration',
    sign_out: 'Se déconnecter',
    user_menu: 'Menu de {name}',
    switch_lang: 'English',
    switch_lang_label: 'Switch to English',
    loading: 'Chargement…',
    not_found_title: 'Page introuvable',
    not_found_text: "Cette page n'existe pas dans Kaz. Vérifiez l'adresse ou revenez à l'accueil.",
    back_home: "Retour à l'accueil",
    unavailable_title: '{section} : bientôt disponible',
    unavailable_text: "Cette partie de Kaz n'est pas encore installée sur ce serveur.",
    view_failed: "Cette page n'a pas pu s'afficher.",
    retry: 'Réessayer',
    boot_failed_title: 'Kaz ne peut pas démarrer',
    signout_failed: 'La déconnexion a échoué : {message}',
    footer: 'Kaz — espace de travail partagé',
    signed_in_as: 'Connecté en tant que {name}',
    session_ended: 'Votre session est terminée.',
    sign_in_again: 'Se reconnecter',
  },
  en: {
    skip: 'Skip to content',
    nav_label: 'Main navigation',
    home: 'Home',
    libraries: 'Libraries',
    search: 'Search',
    phone: 'Phone',
    account: 'My account',
    admin: 'Administration',
    sign_out: 'Sign out',
    user_menu: 'Menu for {name}',
    switch_lang: 'Français',
    switch_lang_label: 'Passer en français',
    loading: 'Loading…',
    not_found_title: 'Page not found',
    not_found_text: 'This page does not exist in Kaz. Check the address or go back to the home page.',
    back_home: 'Back to the home page',
    unavailable_title: '{section}: coming soon',
    unavailable_text: 'This part of Kaz is not installed on this server yet.',
    view_failed: 'This page could not be shown.',
    retry: 'Try again',
    boot_failed_title: 'Kaz cannot start',
    signout_failed: 'Signing out failed: {message}',
    footer: 'Kaz — shared workspace',
    signed_in_as: 'Signed in as {name}',
    session_ended: 'Your session has ended.',
    sign_in_again: 'Sign in again',
  },
});

// The sections the router knows, in navigation order.
const SECTIONS = [
  {name: 'home', module: 'sections/home.js', nav: true},
  {name: 'libraries', module: 'sections/libraries.js', nav: true},
  {name: 'search', module: 'sections/search.js', nav: true},
  {name: 'phone', module: 'sections/phone.js', nav: true},
  {name: 'account', module: 'sections/account.js', nav: false},
  {name: 'admin', module: 'sections/admin.js', nav: false, admin: true},
];

const state = {
  me: null,
  files: null, // Set of embedded file paths, from modules.json
  cleanup: null,
  renderSeq: 0,
  rendered: false, // a first view was shown (focus moves only on later ones)
};

// ---- modules that may be absent ------------------------------------------

async function loadManifest() {
  try {
    const res = await fetch(new URL('../modules.json', import.meta.url), {credentials: 'same-origin'});
    if (!res.ok) return null;
    const m = await res.json();
    return new Set(m.files || []);
  } catch {
    return null;
  }
}

/** hasModule reports whether js/<rel> is embedded (true when unknown). */
export function hasModule(rel) {
  return !state.files || state.files.has(`js/${rel}`);
}

/**
 * optionalImport imports js/<rel> when it is embedded, else resolves null.
 * Sections use it (through ctx.importOptional) to load parts other
 * engineers write, without a failing request when they are missing.
 */
export async function optionalImport(rel) {
  if (!hasModule(rel)) return null;
  try {
    return await import(new URL(`./${rel}`, import.meta.url).href);
  } catch (err) {
    console.warn(`kaz: module ${rel} failed to load`, err);
    return null;
  }
}

// ---- routing ---------------------------------------------------------------

/** parseHash turns "#/libraries/rh/x?sort=name" into {section, rest, query}. */
export function parseHash(hash) {
  let h = (hash || '').replace(/^#/, '');
  if (!h.startsWith('/')) h = `/${h}`;
  const qi = h.indexOf('?');
  const pathPart = qi >= 0 ? h.slice(0, qi) : h;
  const query = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : '');
  const segs = pathPart.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const section = segs.length ? segs[0] : 'home';
  return {section, rest: segs.slice(1), query};
}

function navigate(hash) {
  if (!hash.startsWith('#')) hash = `#${hash.startsWith('/') ? '' : '/'}${hash}`;
  if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

function currentRoute() {
  return location.hash && location.hash.startsWith('#/') ? location.hash : '#/';
}

async function route() {
  const seq = ++state.renderSeq;
  const {section, rest, query} = parseHash(currentRoute());
  const main = document.getElementById('main');
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch (err) {
      console.warn('kaz: view cleanup failed', err);
    }
    state.cleanup = null;
  }
  updateNav(section);

  const def = SECTIONS.find((s) => s.name === section);
  const root = el('div', {class: 'view', 'data-section': def ? section : 'not-found', 'data-testid': `view-${def ? section : 'not-found'}`});
  clear(main).append(root);
  main.setAttribute('aria-busy', 'true');

  const params = Object.fromEntries(query.entries());
  params.rest = rest;
  params.path = rest.join('/');
  const ctx = {
    api, me: state.me, lang: lang(), navigate, params, notify,
    importOptional: optionalImport, hasModule,
  };

  try {
    if (!def) {
      renderNotFound(root);
    } else if (def.admin && !(state.me && state.me.admin)) {
      renderForbidden(root);
    } else {
      const mod = await optionalImport(def.module);
      if (seq !== state.renderSeq) return;
      if (!mod || typeof mod.render !== 'function') {
        renderUnavailable(root, t(def.name));
      } else {
        // A slow view says it is loading (after a moment, so that fast
        // ones do not flash).
        const loading = el('p', {class: 'loading', role: 'status'}, t('loading'));
        const timer = setTimeout(() => root.append(loading), 300);
        let result;
        try {
          result = await mod.render(root, ctx);
        } finally {
          clearTimeout(timer);
          loading.remove();
        }
        if (seq !== state.renderSeq) {
          if (typeof result === 'function') result();
          return;
        }
        if (typeof result === 'function') state.cleanup = result;
      }
    }
  } catch (err) {
    if (seq !== state.renderSeq) return;
    console.warn('kaz: view failed', err);
    clear(root).append(
      heading(t('view_failed')),
      errorBanner(err),
      el('p', {}, el('button', {type: 'button', class: 'btn', onclick: () => route()}, t('retry'))));
  } finally {
    if (seq === state.renderSeq) main.removeAttribute('aria-busy');
  }
  if (seq !== state.renderSeq) return;
  finishView(root);
}

function finishView(root) {
  const h1 = root.querySelector('h1');
  document.title = h1 && h1.textContent ? `${h1.textContent.trim()} — Kaz` : 'Kaz';
  if (!state.rendered) {
    // On the first load, leave focus at the top of the page, as for any
    // page: the skip link comes first.
    state.rendered = true;
    return;
  }
  // Move focus to the new view's title, as a page load would, unless a
  // section already put it somewhere on purpose (a search field).
  const active = document.activeElement;
  if (active && active !== document.body && root.contains(active)) return;
  // Typing in the header's search box, or switching the language, keeps
  // focus where it is.
  if (active && active.closest && (active.closest('.header-search') || active.closest('.lang-switch'))) return;
  const target = h1 || document.getElementById('main');
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({preventScroll: false});
}

function renderNotFound(root) {
  root.append(
    heading(t('not_found_title')),
    el('p', {}, t('not_found_text')),
    el('p', {}, el('a', {href: '#/', class: 'btn btn-primary'}, t('back_home'))));
}

function renderForbidden(root) {
  root.append(
    heading(lang() === 'en' ? 'Administrators only' : 'Réservé aux administrateurs'),
    el('p', {}, lang() === 'en'
      ? 'This page is for Kaz administrators. Ask your IT team if you need access.'
      : "Cette page est réservée aux administrateurs de Kaz. Adressez-vous à votre service informatique si vous en avez besoin."),
    el('p', {}, el('a', {href: '#/', class: 'btn'}, t('back_home'))));
}

function renderUnavailable(root, name) {
  root.append(
    heading(t('unavailable_title', {section: name})),
    el('p', {}, t('unavailable_text')),
    el('p', {}, el('a', {href: '#/', class: 'btn'}, t('back_home'))));
}

// ---- header ----------------------------------------------------------------

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

function renderHeader() {
  const header = document.getElementById('app-header');
  const me = state.me || {};
  const name = me.display_name || me.user || '';
  clear(header);

  const brand = el('a', {class: 'brand', href: '#/', 'data-testid': 'brand'},
    el('img', {src: new URL('../img/kaz.svg', import.meta.url).href, alt: '', width: '28', height: '28'}),
    el('span', {}, 'Kaz'));

  const links = SECTIONS.filter((s) => s.nav).map((s) =>
    el('li', {}, el('a', {href: s.name === 'home' ? '#/' : `#/${s.name}`, 'data-nav': s.name, 'data-testid': `nav-${s.name}`}, t(s.name))));
  if (me.admin) {
    links.push(el('li', {}, el('a', {href: '#/admin', 'data-nav': 'admin', 'data-testid': 'nav-admin'}, t('admin'))));
  }
  const nav = el('nav', {class: 'main-nav', 'aria-label': t('nav_label')}, el('ul', {}, links));

  const searchSlot = el('div', {class: 'header-search', 'data-testid': 'search-slot'});

  const langBtn = el('button', {
    type: 'button', class: 'btn btn-ghost lang-switch', lang: lang() === 'fr' ? 'en' : 'fr',
    'aria-label': t('switch_lang_label'), 'data-testid': 'lang-switch',
    onclick: () => setLang(lang() === 'fr' ? 'en' : 'fr'),
  }, t('switch_lang'));

  const menuId = 'user-menu-list';
  const menuBtn = el('button', {
    type: 'button', class: 'user-button', 'aria-haspopup': 'true', 'aria-expanded': 'false',
    'aria-controls': menuId, 'aria-label': t('user_menu', {name}), 'data-testid': 'user-menu',
  }, el('span', {class: 'avatar', 'aria-hidden': 'true'}, initials(name)), el('span', {class: 'user-name'}, name));
  const signOut = el('button', {type: 'button', class: 'menu-item', 'data-testid': 'sign-out', onclick: signOutNow}, t('sign_out'));
  const menu = el('ul', {class: 'menu', id: menuId, hidden: true, 'data-testid': 'user-menu-list'},
    el('li', {class: 'menu-meta'}, t('signed_in_as', {name: me.user || name})),
    el('li', {}, el('a', {class: 'menu-item', href: '#/account', 'data-testid': 'menu-account'}, t('account'))),
    me.admin ? el('li', {}, el('a', {class: 'menu-item', href: '#/admin', 'data-testid': 'menu-admin'}, t('admin'))) : null,
    el('li', {}, signOut));
  const userBox = el('div', {class: 'user-box'}, menuBtn, menu);
  wireMenu(menuBtn, menu, userBox);

  header.append(brand, nav, searchSlot, el('div', {class: 'header-tools'}, langBtn, userBox));

  mountSearch(searchSlot);
  updateNav(parseHash(currentRoute()).section);
}

function wireMenu(button, menu, box) {
  const items = () => [...menu.querySelectorAll('.menu-item')];
  const open = (focusFirst) => {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (focusFirst) items()[0]?.focus();
  };
  const close = (refocus) => {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (refocus) button.focus();
  };
  button.addEventListener('click', () => (menu.hidden ? open(false) : close(false)));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      open(true);
    }
  });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      list[(i + 1) % list.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      list[(i - 1 + list.length) % list.length]?.focus();
    }
  });
  menu.addEventListener('click', (e) => {
    if (e.target.closest('a')) close(false);
  });
  document.addEventListener('click', (e) => {
    if (!box.contains(e.target)) close(false);
  });
  box.addEventListener('focusout', (e) => {
    if (e.relatedTarget && !box.contains(e.relatedTarget)) close(false);
  });
}

async function mountSearch(slot) {
  const mod = await optionalImport('search-box.js');
  if (!mod || typeof mod.mountSearchBox !== 'function') return;
  try {
    await mod.mountSearchBox(slot, {api, me: state.me, lang: lang(), navigate, params: {}, notify});
  } catch (err) {
    console.warn('kaz: search box failed', err);
  }
}

function updateNav(section) {
  for (const a of document.querySelectorAll('#app-header [data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function renderFooter() {
  const f = document.getElementById('app-footer');
  if (f) {
    clear(f).append(el('p', {}, t('footer')));
  }
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('skip');
}

// ---- sign-in and sign-out --------------------------------------------------

// goSignIn sends the browser to the sign-in, which comes back to the same
// view: return is the path of the app followed by the hash route ("/#/account"),
// a same-site path as the sign-in requires.
function goSignIn() {
  location.assign(`/auth/login?return=${encodeURIComponent(`/${currentRoute()}`)}`);
}

async function signOutNow() {
  // POST /auth/logout with the CSRF header; the server may answer with the
  // provider's end-session address ({"redirect": url}) to finish there.
  let body = null;
  try {
    body = await api('POST', '/auth/logout');
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      notify(t('signout_failed', {message: err.message}), 'error');
      return;
    }
  }
  const next = body && typeof body === 'object' && (body.redirect || body.location || body.url);
  location.assign(typeof next === 'string' && next ? next : '/');
}

// sessionEnded offers to sign in again when an API call answers 401 (the
// session expired or was ended elsewhere), once, without losing the page.
function sessionEnded() {
  if (document.querySelector('[data-testid="session-ended"]')) return;
  const n = notify(t('session_ended'), 'error');
  if (!n) return;
  n.setAttribute('data-testid', 'session-ended');
  n.querySelector('.notice-text').append(' ',
    el('button', {type: 'button', class: 'btn btn-small btn-primary', onclick: goSignIn}, t('sign_in_again')));
}

// ---- start -----------------------------------------------------------------

async function boot() {
  const skip = document.querySelector('.skip-link');
  if (skip) {
    skip.addEventListener('click', (e) => {
      e.preventDefault();
      const main = document.getElementById('main');
      const h1 = main.querySelector('h1');
      (h1 || main).focus();
    });
  }
  // The list of modules and who is signed in, both at once.
  const manifest = loadManifest();
  let me;
  try {
    me = await api('GET', '/api/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      goSignIn();
      return;
    }
    const main = document.getElementById('main');
    clear(main).append(el('div', {class: 'view', 'data-testid': 'view-boot-error'},
      heading(t('boot_failed_title')),
      errorBanner(err),
      el('p', {}, el('button', {type: 'button', class: 'btn btn-primary', onclick: () => location.reload()}, t('retry')))));
    renderFooter();
    main.querySelector('h1').focus();
    return;
  }
  state.files = await manifest;
  state.me = me || {};
  setCSRF(state.me.csrf_token);
  renderHeader();
  renderFooter();
  window.addEventListener('hashchange', route);
  window.addEventListener('kaz:unauthorized', sessionEnded);
  onLangChange(() => {
    const fromSwitch = document.activeElement && document.activeElement.closest && document.activeElement.closest('.lang-switch');
    renderHeader();
    renderFooter();
    if (fromSwitch) document.querySelector('.lang-switch')?.focus();
    route();
  });
  document.body.classList.add('ready');
  await route();
  startBackground();
}

// startBackground starts what runs on every page whatever the view: the
// softphone (js/phone/banner.js's startPhone rings every open tab of the
// agent). A missing or failing part never breaks the shell.
async function startBackground() {
  const phone = await optionalImport('phone/banner.js');
  if (phone && typeof phone.startPhone === 'function') {
    try {
      await phone.startPhone({api, me: state.me, lang: lang(), navigate, params: {}, notify});
    } catch (err) {
      console.warn('kaz: phone failed to start', err);
    }
  }
}

boot();
