// admin/users.js — users and groups: the list (GET /api/admin/users,
// /api/admin/groups), and what `kaz admin user …` does, from the browser:
// add an account with a temporary password (shown once), edit its name,
// e-mail and groups, give a new temporary password, reset the second
// factors, disable and enable (server/api_admin.go). With an external
// identity provider, accounts come from it: only disable/enable remain.

import {translator, formatDate} from '../i18n.js';
import {el, clear, heading, errorBanner, notify, confirmDialog, copyButton, field} from '../ui.js';

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
    count: {one: '{n} utilisateur', other: '{n} utilisateurs'},
    filter: 'Filtrer les utilisateurs',
    filter_hint: 'Nom, identifiant, e-mail ou groupe',
    none: 'Aucun utilisateur ne correspond.',
    cli_hint: 'Les mêmes opérations existent en ligne de commande sur le serveur : « kaz admin user … ».',
    actions: 'Actions',
    add: 'Ajouter un utilisateur',
    add_submit: 'Créer le compte',
    name_hint: 'Lettres, chiffres, « . », « - », « _ » ou « @ » ; il sert à se connecter.',
    groups_hint: 'Groupes séparés par des virgules, par exemple : rh, tous.',
    edit: 'Modifier',
    edit_title: 'Modifier le compte « {name} »',
    save: 'Enregistrer',
    cancel: 'Annuler',
    saved: 'Compte « {name} » enregistré.',
    disable: 'Désactiver',
    enable: 'Réactiver',
    disable_title: 'Désactiver le compte « {name} » ?',
    disable_text: 'La personne est déconnectée partout et ses mots de passe d’application sont révoqués. Ses documents restent en place.',
    disabled_done: 'Compte « {name} » désactivé.',
    enabled_done: 'Compte « {name} » réactivé.',
    reset_mfa: 'Réinitialiser les seconds facteurs',
    reset_mfa_short: 'Seconds facteurs',
    reset_mfa_title: 'Réinitialiser les seconds facteurs de « {name} » ?',
    reset_mfa_text: 'Son application d’authentification, ses clés de sécurité et ses codes de secours sont effacés ; elle en configurera de nouveaux à sa prochaine connexion.',
    reset_mfa_done: 'Seconds facteurs de « {name} » réinitialisés.',
    new_password: 'Nouveau mot de passe',
    new_password_short: 'Mot de passe',
    new_password_title: 'Donner un nouveau mot de passe à « {name} » ?',
    new_password_text: 'Son mot de passe actuel cesse de fonctionner et ses sessions ouvertes sont fermées. Ses mots de passe d’application restent valables.',
    temp_title: 'Mot de passe provisoire de « {name} »',
    temp_text: 'Transmettez-le à la personne par un moyen sûr (de vive voix, par exemple). Il ne sera plus affiché. Elle le remplacera depuis « Mon compte » après sa première connexion.',
    close: 'Fermer',
    created_done: 'Compte « {name} » créé.',
    external_note: 'Les comptes viennent du fournisseur d’identité de votre organisation : on les crée et on modifie leurs groupes là-bas.',
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
    count: {one: '{n} user', other: '{n} users'},
    filter: 'Filter users',
    filter_hint: 'Name, user name, email or group',
    none: 'No user matches.',
    cli_hint: 'The same operations exist on the server’s command line: “kaz admin user …”.',
    actions: 'Actions',
    add: 'Add a user',
    add_submit: 'Create the account',
    name_hint: 'Letters, digits, “.”, “-”, “_” or “@”; used to sign in.',
    groups_hint: 'Groups separated by commas, for example: rh, tous.',
    edit: 'Edit',
    edit_title: 'Edit the account “{name}”',
    save: 'Save',
    cancel: 'Cancel',
    saved: 'Account “{name}” saved.',
    disable: 'Disable',
    enable: 'Enable',
    disable_title: 'Disable the account “{name}”?',
    disable_text: 'They are signed out everywhere and their app passwords are revoked. Their documents stay in place.',
    disabled_done: 'Account “{name}” disabled.',
    enabled_done: 'Account “{name}” enabled again.',
    reset_mfa: 'Reset second factors',
    reset_mfa_short: 'Second factors',
    reset_mfa_title: 'Reset the second factors of “{name}”?',
    reset_mfa_text: 'Their authenticator app, security keys and recovery codes are erased; they set up new ones at their next sign-in.',
    reset_mfa_done: 'Second factors of “{name}” reset.',
    new_password: 'New password',
    new_password_short: 'Password',
    new_password_title: 'Give “{name}” a new password?',
    new_password_text: 'Their current password stops working and their open sessions end. Their app passwords stay valid.',
    temp_title: 'Temporary password of “{name}”',
    temp_text: 'Give it to the person by a safe means (by voice, for example). It will not be shown again. They replace it from “My account” after their first sign-in.',
    close: 'Close',
    created_done: 'Account “{name}” created.',
    external_note: 'Accounts come from your organisation’s identity provider: create them and change their groups there.',
  },
});

function list(body, key) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body[key])) return body[key];
  return [];
}

const enc = encodeURIComponent;
const split = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);


/** showPassword shows a temporary password once, in a modal with a copy button. */
function showPassword(name, password) {
  return new Promise((resolve) => {
    const dlg = el('dialog', {class: 'dialog', 'aria-labelledby': 'temp-pw-title', 'data-testid': 'temp-password-dialog'},
      el('h2', {id: 'temp-pw-title'}, t('temp_title', {name})),
      el('p', {class: 'secret', 'data-testid': 'temp-password'}, password),
      el('p', {class: 'muted'}, t('temp_text')),
      el('div', {class: 'dialog-actions'}, copyButton(password),
        el('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'dialog-close', onclick: () => dlg.close()}, t('close'))));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** editDialog edits display name, e-mail and (local accounts) groups; resolves the body or null. */
function editDialog(u) {
  return new Promise((resolve) => {
    const display = el('input', {type: 'text', value: u.display_name || '', 'data-testid': 'edit-display', autocomplete: 'off'});
    const email = el('input', {type: 'email', value: u.email || '', 'data-testid': 'edit-email', autocomplete: 'off'});
    const groups = el('input', {type: 'text', value: (u.groups || []).join(', '), 'data-testid': 'edit-groups', autocomplete: 'off'});
    const form = el('form', {class: 'form', method: 'dialog'},
      field('eu-display', t('display'), display, ''),
      field('eu-email', t('email'), email, ''),
      u.external ? null : field('eu-groups', t('member_of'), groups, t('groups_hint')),
      el('div', {class: 'dialog-actions'},
        el('button', {type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', onclick: () => dlg.close()}, t('cancel')),
        el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'dialog-confirm'}, t('save'))));
    const dlg = el('dialog', {class: 'dialog', 'aria-labelledby': 'edit-user-title', 'data-testid': 'dialog'},
      el('h2', {id: 'edit-user-title'}, t('edit_title', {name: u.name})), form);
    let result = null;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      result = {display_name: display.value.trim(), email: email.value.trim()};
      if (!u.external) result.groups = split(groups.value);
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    display.focus();
  });
}

function userTable(users, ctx, redraw, local) {
  const me = (ctx.me || {}).user;
  const act = async (fn, done) => {
    try {
      await fn();
      if (done) notify(done, 'success');
      await redraw();
    } catch (err) {
      notify(err.message, 'error');
    }
  };
  const actions = (u) => {
    const path = `/api/admin/users/${enc(u.name)}`;
    const b = (testid, label, onclick, cls, long) => el('button', {type: 'button', class: `btn btn-small${cls ? ` ${cls}` : ''}`, 'data-testid': testid,
      'aria-label': `${long || label} — ${u.name}`, title: long || null, onclick}, label);
    const list = [b('user-edit', t('edit'), async () => {
      const body = await editDialog(u);
      if (body) await act(() => ctx.api('PATCH', path, body), t('saved', {name: u.name}));
    })];
    if (local && !u.external) {
      list.push(b('user-new-password', t('new_password_short'), async () => {
        if (!await confirmDialog({title: t('new_password_title', {name: u.name}), message: t('new_password_text'), confirm: t('new_password')})) return;
        try {
          const r = await ctx.api('POST', `${path}/password`);
          await showPassword(u.name, r.password);
        } catch (err) {
          notify(err.message, 'error');
        }
      }, '', t('new_password')));
      list.push(b('user-reset-mfa', t('reset_mfa_short'), async () => {
        if (!await confirmDialog({title: t('reset_mfa_title', {name: u.name}), message: t('reset_mfa_text'), confirm: t('reset_mfa'), danger: true})) return;
        await act(() => ctx.api('POST', `${path}/reset-mfa`), t('reset_mfa_done', {name: u.name}));
      }, '', t('reset_mfa')));
    }
    if (u.name !== me) {
      list.push(u.disabled
        ? b('user-enable', t('enable'), () => act(() => ctx.api('POST', `${path}/enable`), t('enabled_done', {name: u.name})))
        : b('user-disable', t('disable'), async () => {
          if (!await confirmDialog({title: t('disable_title', {name: u.name}), message: t('disable_text'), confirm: t('disable'), danger: true})) return;
          await act(() => ctx.api('POST', `${path}/disable`), t('disabled_done', {name: u.name}));
        }, 'btn-danger'));
    }
    return el('div', {class: 'user-actions'}, list);
  };
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
        el('td', {}, el('span', {class: u.disabled ? 'badge badge-muted' : 'badge badge-ok', 'data-testid': 'user-status'}, u.disabled ? t('disabled') : t('active'))),
        el('td', {}, u.external ? t('external') : t('local')),
        el('td', {class: 'nowrap'}, u.created ? formatDate(u.created, {dateStyle: 'medium'}) : ''),
        el('td', {}, actions(u))));
    }
    if (!shown.length) tbody.append(el('tr', {}, el('td', {colspan: '8', class: 'muted'}, t('none'))));
    count.textContent = t('count', {n: shown.length});
  };
  const count = el('p', {class: 'muted', 'aria-live': 'polite'});
  const input = el('input', {type: 'search', id: 'user-filter', 'aria-describedby': 'user-filter-hint', 'data-testid': 'user-filter'});
  input.addEventListener('input', () => fill(input.value));
  const table = el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'users-table'},
    el('caption', {class: 'visually-hidden'}, t('users')),
    el('thead', {}, el('tr', {},
      [t('name'), t('display'), t('email'), t('member_of'), t('status'), t('origin'), t('created'), t('actions')].map((h) => el('th', {scope: 'col'}, h)))),
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

function addForm(ctx, redraw) {
  const name = el('input', {type: 'text', required: true, autocomplete: 'off', 'data-testid': 'user-add-name'});
  const display = el('input', {type: 'text', autocomplete: 'off', 'data-testid': 'user-add-display'});
  const email = el('input', {type: 'email', autocomplete: 'off', 'data-testid': 'user-add-email'});
  const groups = el('input', {type: 'text', autocomplete: 'off', 'data-testid': 'user-add-groups'});
  const form = el('form', {class: 'form card', 'data-testid': 'user-add-form', 'aria-labelledby': 'user-add-h'},
    el('h2', {id: 'user-add-h'}, t('add')),
    field('ua-name', t('name'), name, t('name_hint')),
    field('ua-display', t('display'), display, ''),
    field('ua-email', t('email'), email, ''),
    field('ua-groups', t('member_of'), groups, t('groups_hint')),
    el('div', {class: 'form-actions'}, el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'user-add-submit'}, t('add_submit'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = name.value.trim();
    try {
      const r = await ctx.api('POST', '/api/admin/users', {name: n, display_name: display.value.trim(), email: email.value.trim(), groups: split(groups.value)});
      form.reset();
      notify(t('created_done', {name: n}), 'success');
      await redraw();
      await showPassword(n, r.password);
    } catch (err) {
      notify(err.message, 'error');
    }
  });
  return form;
}

/** render draws the users admin page. */
export async function render(root, ctx) {
  root.append(heading(t('title')));
  // Accounts are Kaz's own when its built-in provider signs people in.
  let local = true;
  try {
    local = !(await ctx.api('GET', '/api/account/mfa')).external;
  } catch {
    // keep the default: the server refuses what does not apply
  }
  const host = el('div', {'data-testid': 'admin-users'});
  root.append(local ? addForm(ctx, draw) : el('p', {class: 'banner banner-info', 'data-testid': 'users-external'}, t('external_note')), host);
  root.append(el('p', {class: 'muted'}, t('cli_hint')));
  await draw();

  async function draw() {
    let users;
    let groups;
    try {
      users = list(await ctx.api('GET', '/api/admin/users'), 'users');
      groups = list(await ctx.api('GET', '/api/admin/groups'), 'groups');
    } catch (err) {
      clear(host).append(errorBanner(err));
      return;
    }
    clear(host).append(el('section', {class: 'card', 'aria-labelledby': 'users-h'}, el('h2', {id: 'users-h'}, t('users')), userTable(users, ctx, draw, local)));
    if (groups.length) {
      host.append(el('section', {class: 'card', 'aria-labelledby': 'groups-h'}, el('h2', {id: 'groups-h'}, t('groups')), groupTable(groups)));
    }
  }
}
