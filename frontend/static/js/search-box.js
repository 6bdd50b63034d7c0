// search-box.js — the header search box: suggestions of document names as
// the agent types (GET /api/search/suggest), Enter opens the results page
// (#/search?q=…). Keyboard: ↓/↑ move in the list, Enter opens, Escape
// closes. ARIA combobox pattern with a live count.

import {translator} from './i18n.js';
import {el, clear} from './ui.js';
import {davPath, folderHash, loadSearchCSS} from './search-common.js';

const t = translator({
  fr: {
    label: 'Rechercher dans les documents',
    placeholder: 'Rechercher…',
    suggestions: '{n} suggestion(s)',
    none: 'Aucune suggestion',
    all: 'Tous les résultats pour « {q} »',
  },
  en: {
    label: 'Search documents',
    placeholder: 'Search…',
    suggestions: '{n} suggestion(s)',
    none: 'No suggestion',
    all: 'All results for “{q}”',
  },
});

/** mountSearchBox renders the box into slot. ctx = {api, navigate, …}. */
export function mountSearchBox(slot, ctx) {
  clear(slot);
  loadSearchCSS();
  const listId = `sb-list-${Math.random().toString(36).slice(2, 8)}`;
  const input = el('input', {
    type: 'search', class: 'search-input', name: 'q', autocomplete: 'off', spellcheck: 'false',
    placeholder: t('placeholder'), 'aria-label': t('label'), role: 'combobox',
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': listId,
    'data-testid': 'search-box-input',
  });
  const list = el('ul', {id: listId, class: 'search-suggestions menu', role: 'listbox', hidden: true, 'data-testid': 'search-box-suggestions'});
  const status = el('span', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite'});
  const form = el('form', {class: 'search-box', role: 'search', 'data-testid': 'search-box'}, input, list, status);
  slot.append(form);

  let items = [];
  let active = -1;
  let timer = 0;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (i) => {
    const opts = [...list.querySelectorAll('[role=option]')];
    opts.forEach((o, k) => o.setAttribute('aria-selected', k === i ? 'true' : 'false'));
    active = i;
    if (i >= 0 && opts[i]) input.setAttribute('aria-activedescendant', opts[i].id);
    else input.removeAttribute('aria-activedescendant');
  };
  const openAll = () => {
    const q = input.value.trim();
    if (!q) return;
    close();
    ctx.navigate(`#/search?q=${encodeURIComponent(q)}`);
  };
  const choose = (i) => {
    const s = items[i];
    if (!s) return openAll();
    close();
    ctx.navigate(folderHash(s.library, s.path));
  };
  const render = (q) => {
    clear(list);
    items.forEach((s, i) => {
      const li = el('li', {
        id: `${listId}-${i}`, role: 'option', class: 'menu-item', 'aria-selected': 'false',
        'data-testid': 'search-suggestion',
        onmousedown: (e) => { e.preventDefault(); choose(i); },
      }, el('span', {class: 'truncate'}, s.text), ' ', el('span', {class: 'muted small'}, `${s.library}${s.path}`));
      list.append(li);
    });
    const all = el('li', {
      id: `${listId}-all`, role: 'option', class: 'menu-item', 'aria-selected': 'false', 'data-testid': 'search-suggestion-all',
      onmousedown: (e) => { e.preventDefault(); openAll(); },
    }, t('all', {q}));
    list.append(all);
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    status.textContent = items.length ? t('suggestions', {n: items.length}) : t('none');
    active = -1;
  };
  const fetchSuggestions = async () => {
    const q = input.value;
    if (q.trim().length < 2) {
      items = [];
      close();
      return;
    }
    const mine = ++seq;
    try {
      const res = await ctx.api('GET', `/api/search/suggest?q=${encodeURIComponent(q)}&limit=8`);
      if (mine !== seq) return; // a newer keystroke won
      items = (res && res.suggestions) || [];
      render(q.trim());
    } catch {
      items = [];
      close();
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener('keydown', (e) => {
    const n = list.querySelectorAll('[role=option]').length;
    if (e.key === 'ArrowDown' && !list.hidden) {
      e.preventDefault();
      highlight(Math.min(n - 1, active + 1));
    } else if (e.key === 'ArrowUp' && !list.hidden) {
      e.preventDefault();
      highlight(Math.max(-1, active - 1));
    } else if (e.key === 'Escape') {
      close();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      if (active >= items.length) openAll();
      else choose(active);
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    openAll();
  });
  return {input, href: (s) => davPath(s.library, s.path)};
}
