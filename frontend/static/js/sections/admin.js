// sections/admin.js — the administration shell: one tab per part, each a
// module js/admin/<part>.js exporting `render(root, ctx)` (users here;
// libraries, search and phone by their engineers). A part that is not
// installed shows a plain note. The part's page carries the view's one <h1>;
// when it has none, the shell adds "Administration — <part>".

import {translator} from '../i18n.js';
import {el, heading, errorBanner} from '../ui.js';

const t = translator({
  fr: {
    admin: 'Administration',
    tabs: 'Parties de l’administration',
    users: 'Utilisateurs',
    libraries: 'Bibliothèques',
    search: 'Recherche',
    phone: 'Téléphone',
    missing: 'Cette page d’administration n’est pas encore installée sur ce serveur. La commande « kaz admin » reste disponible sur le serveur.',
    failed: 'Cette page d’administration n’a pas pu s’afficher.',
    unknown: 'Cette page d’administration n’existe pas.',
  },
  en: {
    admin: 'Administration',
    tabs: 'Administration parts',
    users: 'Users',
    libraries: 'Libraries',
    search: 'Search',
    phone: 'Phone',
    missing: 'This administration page is not installed on this server yet. The “kaz admin” command is still available on the server.',
    failed: 'This administration page could not be shown.',
    unknown: 'This administration page does not exist.',
  },
});

export const PARTS = ['users', 'libraries', 'search', 'phone'];

/** render draws the admin shell and the selected part. */
export async function render(root, ctx) {
  const rest = (ctx.params && ctx.params.rest) || [];
  const part = rest[0] || 'users';
  if (!rest[0]) {
    // #/admin alone shows the first part; keep the address honest.
    history.replaceState(null, '', '#/admin/users');
  }
  const tabs = el('nav', {class: 'tabs', 'aria-label': t('tabs')},
    el('ul', {}, PARTS.map((p) => el('li', {},
      el('a', {href: `#/admin/${p}`, 'aria-current': p === part ? 'page' : null, 'data-testid': `admin-tab-${p}`}, t(p))))));
  const panel = el('div', {class: 'admin-panel', 'data-testid': `admin-panel-${part}`});
  root.append(tabs, panel);

  // The page title goes above the tabs, whoever wrote it.
  const title = () => {
    let h1 = panel.querySelector('h1');
    if (!h1) h1 = heading(PARTS.includes(part) ? `${t('admin')} — ${t(part)}` : t('admin'));
    if (h1.parentNode === panel || !h1.parentNode) root.insertBefore(h1, tabs);
  };
  if (!PARTS.includes(part)) {
    title();
    panel.append(el('p', {class: 'banner banner-info'}, t('unknown')));
    return undefined;
  }
  const mod = ctx.importOptional ? await ctx.importOptional(`admin/${part}.js`) : null;
  if (!mod || typeof mod.render !== 'function') {
    title();
    panel.append(el('p', {class: 'banner banner-info', 'data-testid': 'part-missing'}, t('missing')));
    return undefined;
  }
  const sub = {...ctx, params: {...ctx.params, rest: rest.slice(1), path: rest.slice(1).join('/')}};
  try {
    const cleanup = await mod.render(panel, sub);
    title();
    return typeof cleanup === 'function' ? cleanup : undefined;
  } catch (err) {
    console.warn(`kaz: admin/${part}.js failed`, err);
    title();
    panel.append(errorBanner(err, t('failed')));
    return undefined;
  }
}
