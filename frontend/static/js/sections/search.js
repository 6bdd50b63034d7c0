// sections/search.js — the results page (#/search?q=…&library=…&type=…&
// author=…&modified=day|week|month|year&sort=relevance|modified): snippets
// with highlighted matches, facets (library, type, author, date), sort,
// "more results" paging, and for each document: open its folder, download,
// open in the desktop office suite.

import {translator, formatDate, formatSize} from '../i18n.js';
import {el, clear, heading, errorBanner} from '../ui.js';
import {snippetNodes, davPath, folderHash, desktopLink, loadSearchCSS} from '../search-common.js';

const t = translator({
  fr: {
    title: 'Recherche',
    label: 'Rechercher dans les documents',
    submit: 'Rechercher',
    placeholder: 'ex. charte télétravail, "note de service", budget -brouillon',
    sort: 'Trier par',
    relevance: 'pertinence',
    modified: 'date de modification',
    results: '{n} résultat(s)',
    none: 'Aucun document ne correspond. Essayez un autre mot, ou retirez des filtres.',
    empty: 'Tapez un ou plusieurs mots. Les accents et majuscules sont facultatifs ; "guillemets" pour une expression exacte ; -mot pour exclure ; fich* pour les mots qui commencent ainsi.',
    hint: 'Accents et majuscules facultatifs · "expression exacte" · -mot pour exclure · fich* pour fichier, fichiers…',
    more: 'Plus de résultats',
    loading: 'Recherche en cours…',
    facet_library: 'Bibliothèque',
    facet_type: 'Type',
    facet_author: 'Auteur',
    facet_modified: 'Modifié',
    day: 'depuis 24 h', week: 'depuis 7 jours', month: 'depuis 1 mois', year: 'depuis 1 an',
    clear: 'Retirer les filtres',
    open: 'Ouvrir le dossier',
    download: 'Télécharger',
    desktop: "Ouvrir dans l'application",
    by: 'par {author}',
    filters: 'Filtres',
  },
  en: {
    title: 'Search',
    label: 'Search documents',
    submit: 'Search',
    placeholder: 'e.g. telework charter, "memo", budget -draft',
    sort: 'Sort by',
    relevance: 'relevance',
    modified: 'last modified',
    results: '{n} result(s)',
    none: 'No document matches. Try another word, or remove filters.',
    empty: 'Type one or more words. Accents and capitals are optional; "quotes" for an exact phrase; -word to exclude; fich* for words starting so.',
    hint: 'Accents and capitals optional · "exact phrase" · -word to exclude · fich* for fichier, fichiers…',
    more: 'More results',
    loading: 'Searching…',
    facet_library: 'Library',
    facet_type: 'Type',
    facet_author: 'Author',
    facet_modified: 'Modified',
    day: 'last 24 h', week: 'last 7 days', month: 'last month', year: 'last year',
    clear: 'Clear filters',
    open: 'Open folder',
    download: 'Download',
    desktop: 'Open in desktop app',
    by: 'by {author}',
    filters: 'Filters',
  },
});

const RANGES = {day: 1, week: 7, month: 31, year: 366};
const FILTERS = ['library', 'type', 'author', 'modified'];

function since(days) {
  const d = new Date(Date.now() - days * 86400000);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hashFor(params) {
  const q = new URLSearchParams();
  for (const k of ['q', 'sort', ...FILTERS]) {
    if (params[k]) q.set(k, params[k]);
  }
  return `#/search?${q.toString()}`;
}

export async function render(root, ctx) {
  const params = {...ctx.params};
  loadSearchCSS();
  clear(root);
  const input = el('input', {type: 'search', name: 'q', id: 'search-q', value: params.q || '', placeholder: t('placeholder'),
    autocomplete: 'off', 'aria-describedby': 'search-q-hint', 'data-testid': 'search-input'});
  const sortSel = el('select', {id: 'search-sort', 'data-testid': 'search-sort'},
    el('option', {value: 'relevance'}, t('relevance')),
    el('option', {value: 'modified'}, t('modified')));
  sortSel.value = params.sort === 'modified' ? 'modified' : 'relevance';
  const form = el('form', {class: 'form search-form', role: 'search', 'data-testid': 'search-form'},
    el('div', {class: 'field'}, el('label', {for: 'search-q'}, t('label')), input, el('span', {class: 'hint', id: 'search-q-hint'}, t('hint'))),
    el('div', {class: 'field field-inline'}, el('label', {for: 'search-sort'}, t('sort')), sortSel),
    el('div', {class: 'form-actions'}, el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'search-submit'}, t('submit'))));
  const status = el('p', {class: 'muted', role: 'status', 'aria-live': 'polite', 'data-testid': 'search-status'});
  const facets = el('aside', {class: 'search-facets stack', 'aria-label': t('filters'), 'data-testid': 'search-facets'});
  const list = el('ol', {class: 'search-results stack', 'data-testid': 'search-results'});
  const moreBtn = el('button', {type: 'button', class: 'btn', hidden: true, 'data-testid': 'search-more'}, t('more'));
  root.append(heading(t('title')), form, status,
    el('div', {class: 'grid-2 search-layout'}, facets, el('div', {}, list, moreBtn)));

  const go = (changes) => ctx.navigate(hashFor({...params, ...changes}));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go({q: input.value.trim(), sort: sortSel.value});
  });
  sortSel.addEventListener('change', () => go({sort: sortSel.value}));

  const hasFilter = FILTERS.some((k) => params[k]);
  if (!params.q && !hasFilter) {
    status.textContent = t('empty');
    input.focus();
    return;
  }

  const query = new URLSearchParams();
  // A submitted search is made of finished words (the last one is not
  // taken as the start of a longer word, as in the suggestions while
  // typing); fich* asks for words starting so.
  if (params.q) query.set('q', /\s$/.test(params.q) ? params.q : `${params.q} `);
  for (const k of ['library', 'type', 'author']) if (params[k]) query.set(k, params[k]);
  if (params.modified && RANGES[params.modified]) query.set('modified_after', since(RANGES[params.modified]));
  if (params.sort === 'modified') query.set('sort', 'modified');
  query.set('limit', '20');

  let cursor = '';
  let first = true;
  const load = async () => {
    status.textContent = t('loading');
    moreBtn.disabled = true;
    const q = new URLSearchParams(query);
    if (cursor) q.set('cursor', cursor);
    let res;
    try {
      res = await ctx.api('GET', `/api/search?${q.toString()}`);
    } catch (err) {
      status.textContent = '';
      root.append(errorBanner(err));
      return;
    }
    status.textContent = res.total ? t('results', {n: res.total}) : t('none');
    for (const h of res.results || []) list.append(resultItem(h));
    if (first) {
      renderFacets(facets, res.facets || {}, params, go);
      first = false;
    }
    cursor = res.next || '';
    moreBtn.hidden = !cursor;
    moreBtn.disabled = false;
  };
  moreBtn.addEventListener('click', load);
  await load();
}

function resultItem(h) {
  const dl = davPath(h.library, h.path);
  const desk = desktopLink(h.library, h.path, h.type);
  const meta = [h.library + h.path, h.modified ? formatDate(h.modified) : '', h.author ? t('by', {author: h.author}) : '', h.size ? formatSize(h.size) : '']
    .filter(Boolean).join(' · ');
  return el('li', {class: 'card search-result', 'data-testid': 'search-result'},
    el('h2', {class: 'card-head'}, el('a', {href: dl, target: '_blank', rel: 'noopener', 'data-testid': 'search-result-link'}, h.name)),
    el('p', {class: 'muted small truncate'}, meta),
    h.snippet ? el('p', {class: 'search-snippet', 'data-testid': 'search-snippet'}, ...snippetNodes(h.snippet)) : null,
    el('p', {class: 'actions'},
      el('a', {class: 'btn btn-small', href: folderHash(h.library, h.path), 'data-testid': 'search-open-folder'}, t('open')),
      el('a', {class: 'btn btn-small', href: dl, download: h.name, 'data-testid': 'search-download'}, t('download')),
      desk ? el('a', {class: 'btn btn-small', href: desk, 'data-testid': 'search-desktop'}, t('desktop')) : null));
}

function renderFacets(root, facets, params, go) {
  clear(root);
  const groups = [
    ['library', facets.library],
    ['type', facets.type],
    ['author', facets.author],
    ['modified', facets.modified],
  ];
  for (const [name, values] of groups) {
    if (!values || !values.length) continue;
    const items = values.map((f) => {
      const selected = params[name] === f.value;
      const label = name === 'modified' ? t(f.value) : f.value;
      return el('li', {}, el('a', {
        href: hashFor({...params, [name]: selected ? '' : f.value}),
        'aria-current': selected ? 'true' : null, class: selected ? 'tag badge-info' : 'tag',
        'data-testid': `facet-${name}`,
      }, `${label} (${f.count})`));
    });
    root.append(el('section', {class: 'card-section'}, el('h2', {class: 'small'}, t(`facet_${name}`)), el('ul', {class: 'tags'}, items)));
  }
  if (FILTERS.some((k) => params[k])) {
    root.append(el('button', {type: 'button', class: 'btn btn-link', 'data-testid': 'facet-clear',
      onclick: () => go({library: '', type: '', author: '', modified: ''})}, t('clear')));
  }
}
