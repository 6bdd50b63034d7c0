// admin/users.js — users and groups, read-only. Reads GET /api/admin/users
// and GET /api/admin/groups (internal/directory's User and Group JSON) when
// the server provides them; otherwise shows the signed-in administrator
// from /api/me and points to the `kaz admin` command.

import {translator, formatDate} from '../i18n.js';
import {el, heading, errorBanner} from '../ui.js';
import {ApiError} from '../api.js';

const t = translator({
  fr: {
    title: 'Administration — Utilisateurs',
    users: 'Utilisateurs',
    groups: 'Groupes',
    name: 'Identifiant',
    display: 'Nom',
    email: 'E-mail',
    member_of: 'Groupes',
    status: 'État',
    active: 'Actif',
    disabled: 'Désactivé',
    origin: 'Origine',
    external: 'Fournisseur externe',
    local: 'Kaz',
    created: 'Créé le',
    group: 'Groupe',
    members: 'Membres',
    count: '{n} utilisateur(s)',
    filter: 'Filtrer les utilisateurs',
    filter_hint: 'Nom, identifiant, e-mail ou groupe',
    none: 'Aucun utilisateur ne correspond.',
    no_api: 'La liste complète des utilisateurs n’est pas encore consultable depuis le navigateur sur ce serveur. Sur le serveur, utilisez :',
    you: 'Vous',
    cli_hint: 'Créer, désactiver un utilisateur ou réinitialiser ses seconds facteurs se fait avec la commande « kaz admin user … » sur le serveur.',
  },
  en: {
    title: 'Administration — Users',
    users: 'Users',
    groups: 'Groups',
    name: 'User name',
    display: 'Name',
    email: 'Email',
    member_of: 'Groups',
    status: 'Status',
    active: 'Active',
    disabled: 'Disabled',
    origin: 'Origin',
    external: 'External provider',
    local: 'Kaz',
    created: 'Created',
    group: 'Group',
    members: 'Members',
    count: '{n} user(s)',
    filter: 'Filter users',
    filter_hint: 'Name, user name, email or group',
    none: 'No user matches.',
    no_api: 'The full list of users cannot be viewed from the browser on this server yet. On the server, use:',
    you: 'You',
    cli_hint: 'Creating or disabling a user, or resetting their second factors, is done with the “kaz admin user …” command on the server.',
  },
});

function list(body, key) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body[key])) return body[key];
  return [];
}

function userTable(users) {
  const tbody = el('tbody');
  const fill = (q) => {
    tbody.replaceChildren();
    const needle = q.trim().toLowerCase();
    const shown = users.filter((u) => !needle || [u.name, u.display_name, u.email, ...(u.groups || [])]
      .some((v) => String(v || '').toLowerCase().includes(needle)));
    for (const u of shown) {
      tbody.append(el('tr', {'data-testid': `user-row-${u.name}`},
        el('th', {scope: 'row'}, u.name || ''),
        el('td', {}, u.display_name || ''),
        el('td', {}, u.email || ''),
        el('td', {}, (u.groups || []).join(', ')),
        el('td', {}, el('span', {class: u.disabled ? 'badge badge-muted' : 'badge badge-ok'}, u.disabled ? t('disabled') : t('active'))),
        el('td', {}, u.external ? t('external') : t('local')),
        el('td', {}, u.created ? formatDate(u.created, {dateStyle: 'medium'}) : '')));
    }
    if (!shown.length) tbody.append(el('tr', {}, el('td', {colspan: '7', class: 'muted'}, t('none'))));
    count.textContent = t('count', {n: shown.length});
  };
  const count = el('p', {class: 'muted', 'aria-live': 'polite'});
  const input = el('input', {type: 'search', id: 'user-filter', 'aria-describedby': 'user-filter-hint', 'data-testid': 'user-filter'});
  input.addEventListener('input', () => fill(input.value));
  const table = el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'users-table'},
    el('caption', {class: 'visually-hidden'}, t('users')),
    el('thead', {}, el('tr', {},
      [t('name'), t('display'), t('email'), t('member_of'), t('status'), t('origin'), t('created')].map((h) => el('th', {scope: 'col'}, h)))),
    tbody));
  fill('');
  return el('div', {},
    el('div', {class: 'field field-inline'},
      el('label', {for: 'user-filter'}, t('filter')),
      input,
      el('span', {id: 'user-filter-hint', class: 'hint'}, t('filter_hint'))),
    count, table);
}

function groupTable(groups) {
  return el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'groups-table'},
    el('caption', {class: 'visually-hidden'}, t('groups')),
    el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, t('group')), el('th', {scope: 'col', class: 'num'}, t('members')))),
    el('tbody', {}, groups.map((g) => el('tr', {},
      el('th', {scope: 'row'}, g.name || String(g)), el('td', {class: 'num'}, g.members ?? ''))))));
}

/** render draws the users admin page. */
export async function render(root, ctx) {
  root.append(heading(t('title')));
  let users = null;
  let groups = [];
  try {
    users = list(await ctx.api('GET', '/api/admin/users'), 'users');
    groups = list(await ctx.api('GET', '/api/admin/groups').catch(() => []), 'groups');
  } catch (err) {
    if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 405 && err.status !== 501)) {
      root.append(errorBanner(err));
      return;
    }
  }
  if (users === null) {
    const me = ctx.me || {};
    root.append(
      el('p', {class: 'banner banner-info', 'data-testid': 'users-no-api'}, t('no_api'), ' ',
        el('code', {}, 'kaz admin --data DIR user list'), ' · ', el('code', {}, 'kaz admin --data DIR group list')),
      el('section', {class: 'card', 'aria-labelledby': 'users-you'},
        el('h2', {id: 'users-you'}, t('you')),
        userTable([{name: me.user, display_name: me.display_name, email: me.email, groups: me.groups}])));
    return;
  }
  root.append(el('section', {class: 'card', 'aria-labelledby': 'users-h'}, el('h2', {id: 'users-h'}, t('users')), userTable(users)));
  if (groups.length) {
    root.append(el('section', {class: 'card', 'aria-labelledby': 'groups-h'}, el('h2', {id: 'groups-h'}, t('groups')), groupTable(groups)));
  }
  root.append(el('p', {class: 'muted'}, t('cli_hint')));
}
