// admin/search.js — search administration (#/admin/search): engine, number
// of documents per library, indexing lag, documents that could not be read
// (findable by name only) and why, and a reindex button with progress.

import {translator, formatDate, lang} from '../i18n.js';
import {el, clear, heading, errorBanner, progress, notify, confirmDialog} from '../ui.js';

const t = translator({
  fr: {
    title: 'Recherche',
    state: "État de l'index",
    engine: 'Moteur',
    documents: 'Documents indexés',
    pending: 'Modifications en attente',
    lag: 'Retard',
    last: 'Dernier lot indexé',
    error: 'Dernière erreur',
    libraries: 'Par bibliothèque',
    library: 'Bibliothèque',
    count: 'Documents',
    failures: 'Documents illisibles ({n})',
    failures_help: "Ces documents restent trouvables par leur nom ; leur contenu n'a pas pu être lu.",
    path: 'Chemin',
    reason: 'Raison',
    technical: 'Détail technique',
    when: 'Date',
    none: 'Aucun.',
    reindex: 'Reconstruire l’index',
    reindex_confirm: "Reconstruire tout l'index ? Pendant l'opération, les résultats de recherche peuvent être incomplets.",
    reindexing: 'Reconstruction en cours',
    reindex_done: 'Index reconstruit.',
    refresh: 'Actualiser',
    seconds: '{n} s',
  },
  en: {
    title: 'Search',
    state: 'Index state',
    engine: 'Engine',
    documents: 'Indexed documents',
    pending: 'Pending changes',
    lag: 'Lag',
    last: 'Last batch indexed',
    error: 'Last error',
    libraries: 'Per library',
    library: 'Library',
    count: 'Documents',
    failures: 'Unreadable documents ({n})',
    failures_help: 'These documents can still be found by name; their content could not be read.',
    path: 'Path',
    reason: 'Reason',
    technical: 'Technical detail',
    when: 'Date',
    none: 'None.',
    reindex: 'Rebuild the index',
    reindex_confirm: 'Rebuild the whole index? Search results may be incomplete while it runs.',
    reindexing: 'Rebuilding',
    reindex_done: 'Index rebuilt.',
    refresh: 'Refresh',
    seconds: '{n} s',
  },
});

export async function render(root, ctx) {
  clear(root);
  const body = el('div', {class: 'stack', 'data-testid': 'admin-search'});
  const refresh = el('button', {type: 'button', class: 'btn', 'data-testid': 'admin-search-refresh'}, t('refresh'));
  const reindex = el('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'admin-search-reindex'}, t('reindex'));
  root.append(heading(t('title')), el('div', {class: 'toolbar'}, refresh, reindex), body);
  let timer = 0;
  let bar = null;
  let stopped = false;

  const load = async () => {
    let data;
    try {
      data = await ctx.api('GET', '/api/admin/search');
    } catch (err) {
      clear(body).append(errorBanner(err));
      return;
    }
    clear(body);
    const st = data.status || {};
    const dl = el('dl', {class: 'facts', 'data-testid': 'admin-search-state'},
      el('dt', {}, t('engine')), el('dd', {}, st.engine || '—'),
      el('dt', {}, t('documents')), el('dd', {'data-testid': 'admin-search-documents'}, String(st.documents ?? 0)),
      el('dt', {}, t('pending')), el('dd', {'data-testid': 'admin-search-pending'}, String(st.pending ?? 0)),
      el('dt', {}, t('lag')), el('dd', {}, t('seconds', {n: (st.lag_seconds || 0).toFixed(1)})),
      el('dt', {}, t('last')), el('dd', {}, st.last_batch ? formatDate(st.last_batch) : '—'),
      st.last_error ? [el('dt', {}, t('error')), el('dd', {class: 'badge badge-error'}, st.last_error)] : null);
    body.append(el('section', {class: 'card'}, el('h2', {}, t('state')), dl));

    const libs = Object.entries(st.libraries || {}).sort((a, b) => a[0].localeCompare(b[0]));
    body.append(el('section', {class: 'card'}, el('h2', {}, t('libraries')),
      libs.length ? el('div', {class: 'table-wrap'}, el('table', {class: 'table'},
        el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, t('library')), el('th', {scope: 'col'}, t('count')))),
        el('tbody', {}, libs.map(([l, n]) => el('tr', {}, el('td', {}, l), el('td', {}, String(n)))))))
        : el('p', {class: 'muted'}, t('none'))));

    const fails = data.failures || [];
    body.append(el('section', {class: 'card', 'data-testid': 'admin-search-failures'},
      el('h2', {}, t('failures', {n: data.failures_total || 0})),
      el('p', {class: 'muted'}, t('failures_help')),
      fails.length ? el('div', {class: 'table-wrap'}, el('table', {class: 'table'},
        el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, t('library')), el('th', {scope: 'col'}, t('path')),
          el('th', {scope: 'col'}, t('reason')), el('th', {scope: 'col'}, t('when')))),
        el('tbody', {}, fails.map((f) => el('tr', {'data-testid': 'admin-search-failure'},
          el('td', {}, f.library), el('td', {class: 'truncate'}, f.path), el('td', {}, reasonText(f.reason)), el('td', {}, formatDate(f.time)))))))
        : el('p', {class: 'muted'}, t('none'))));

    const re = data.reindex;
    if (re && re.running) {
      if (!bar) {
        bar = progress(t('reindexing'));
        root.insertBefore(bar.element, body);
      }
      bar.set(re.done, re.total);
      reindex.disabled = true;
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(load, 1000);
    } else {
      if (bar) {
        bar.done();
        bar.element.remove();
        bar = null;
        if (re && re.error) notify(re.error, 'error');
        else notify(t('reindex_done'), 'success');
      }
      reindex.disabled = false;
    }
  };
  refresh.addEventListener('click', load);
  reindex.addEventListener('click', async () => {
    if (!(await confirmDialog({title: t('reindex'), message: t('reindex_confirm')}))) return;
    try {
      await ctx.api('POST', '/api/admin/search/reindex');
    } catch (err) {
      notify(err.message, 'error');
      return;
    }
    load();
  });
  await load();
  // The router calls this when the page is left: stop polling.
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// reasonText shows a failure reason as the indexer records it ("<French> /
// <English>", then ": <technical detail>" for an unreadable file) in the
// reader's language, the technical detail folded away.
function reasonText(r) {
  const m = /^(.*?) \/ (.*?)(?:: ([\s\S]*))?$/.exec(r || '');
  if (!m) return r || '';
  const text = lang() === 'en' ? m[2] : m[1];
  if (!m[3]) return text;
  return [text, el('details', {class: 'muted'}, el('summary', {}, t('technical')), el('code', {}, m[3]))];
}
