// admin/phone.js — phone administration (#/admin/phone): agents' accounts
// (extension, auth user, write-only password), live registrations and calls.

import {translator, formatDate} from '../i18n.js';
import {confirmDialog} from '../ui.js';

const t = translator({
  fr: {
    title: 'Téléphonie',
    'not-configured': "Aucun autocommutateur (PBX) n'est configuré : les comptes peuvent être préparés, mais aucun appel n'est possible.",
    accounts: 'Comptes téléphoniques',
    user: 'Utilisateur',
    extension: 'Poste',
    'auth-user': "Identifiant SIP (facultatif)",
    password: 'Mot de passe SIP',
    'password-keep': 'Laisser vide pour garder le mot de passe actuel',
    'password-set': 'enregistré',
    'password-missing': 'manquant',
    updated: 'Modifié',
    save: 'Enregistrer',
    edit: 'Modifier',
    remove: 'Supprimer',
    'confirm-remove': 'Supprimer le compte téléphonique de {user} ?',
    saved: 'Compte de {user} enregistré.',
    removed: 'Compte de {user} supprimé.',
    none: 'Aucun compte.',
    live: 'En direct',
    registrations: 'Enregistrements',
    calls: 'Appels en cours',
    state: 'État',
    direction: 'Sens',
    number: 'Numéro',
    started: 'Début',
    tabs: 'Onglets',
    'no-calls': 'Aucun appel en cours.',
    'no-registrations': 'Aucun poste enregistré.',
    refresh: 'Actualiser',
    'reg-registered': 'enregistré',
    'reg-registering': 'en cours',
    'reg-failed': 'échec',
    'reg-unregistered': 'non enregistré',
    'dir-in': 'entrant', 'dir-out': 'sortant',
    'st-ringing': 'sonne', 'st-connecting': 'connexion', 'st-active': 'en communication', 'st-held': 'en attente', 'st-ended': 'terminé',
  },
  en: {
    title: 'Telephony',
    'not-configured': 'No PBX is configured: accounts can be prepared, but no call is possible.',
    accounts: 'Phone accounts',
    user: 'User',
    extension: 'Extension',
    'auth-user': 'SIP auth user (optional)',
    password: 'SIP password',
    'password-keep': 'Leave empty to keep the current password',
    'password-set': 'stored',
    'password-missing': 'missing',
    updated: 'Updated',
    save: 'Save',
    edit: 'Edit',
    remove: 'Remove',
    'confirm-remove': "Remove {user}'s phone account?",
    saved: "{user}'s account saved.",
    removed: "{user}'s account removed.",
    none: 'No accounts.',
    live: 'Live',
    registrations: 'Registrations',
    calls: 'Calls in progress',
    state: 'State',
    direction: 'Direction',
    number: 'Number',
    started: 'Started',
    tabs: 'Tabs',
    'no-calls': 'No call in progress.',
    'no-registrations': 'No extension registered.',
    refresh: 'Refresh',
    'reg-registered': 'registered',
    'reg-registering': 'registering',
    'reg-failed': 'failed',
    'reg-unregistered': 'unregistered',
    'dir-in': 'incoming', 'dir-out': 'outgoing',
    'st-ringing': 'ringing', 'st-connecting': 'connecting', 'st-active': 'in call', 'st-held': 'on hold', 'st-ended': 'ended',
  },
});

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function table(headers, rows) {
  return el('div', {class: 'table-wrap'}, el('table', {class: 'table'},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {scope: 'col', text: h})))),
    el('tbody', {}, ...rows)));
}

/** render draws the phone administration page. */
export async function render(root, ctx) {
  const api = ctx.api;
  const msg = el('p', {role: 'status', 'aria-live': 'polite', 'data-testid': 'phone-admin-message'});
  const accountsBox = el('div', {'data-testid': 'phone-accounts'});
  const liveBox = el('div', {'data-testid': 'phone-live'});

  const user = el('input', {id: 'pa-user', required: true, autocomplete: 'off', 'data-testid': 'phone-account-user'});
  const ext = el('input', {id: 'pa-ext', required: true, autocomplete: 'off', inputmode: 'tel', 'data-testid': 'phone-account-extension'});
  const authUser = el('input', {id: 'pa-auth', autocomplete: 'off', 'data-testid': 'phone-account-auth-user'});
  const pw = el('input', {id: 'pa-pw', type: 'password', autocomplete: 'new-password', placeholder: t('password-keep'), 'data-testid': 'phone-account-password'});
  const field = (id, label, input) => el('div', {class: 'field'}, el('label', {for: id, text: label}), input);
  const form = el('form', {class: 'form card', 'aria-label': t('accounts')},
    field('pa-user', t('user'), user),
    field('pa-ext', t('extension'), ext),
    field('pa-auth', t('auth-user'), authUser),
    field('pa-pw', t('password'), pw),
    el('div', {class: 'form-actions'}, el('button', {type: 'submit', class: 'btn btn-primary', text: t('save'), 'data-testid': 'phone-account-save'})));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = user.value.trim();
    try {
      await api('PUT', `/api/admin/phone/accounts/${encodeURIComponent(name)}`, {
        extension: ext.value.trim(), auth_user: authUser.value.trim(), password: pw.value,
      });
      pw.value = '';
      msg.className = 'banner banner-success';
      msg.textContent = t('saved', {user: name});
      loadAccounts();
    } catch (err) {
      msg.className = 'banner banner-error';
      msg.textContent = err.message;
    }
  });

  async function loadAccounts() {
    let res;
    try {
      res = await api('GET', '/api/admin/phone/accounts');
    } catch (err) {
      accountsBox.replaceChildren(el('p', {class: 'banner banner-error', role: 'alert', text: err.message}));
      return;
    }
    const list = res.accounts || [];
    const notice = res.configured ? null : el('p', {class: 'banner banner-info', text: t('not-configured')});
    if (!list.length) {
      accountsBox.replaceChildren(...[notice, el('p', {class: 'muted', text: t('none')})].filter(Boolean));
      return;
    }
    const rows = list.map((a) => el('tr', {'data-user': a.user},
      el('td', {text: a.user}), el('td', {text: a.extension}), el('td', {text: a.auth_user}),
      el('td', {text: a.has_password ? t('password-set') : t('password-missing')}),
      el('td', {text: formatDate(a.updated)}),
      el('td', {},
        el('button', {type: 'button', class: 'btn btn-small', text: t('edit'), 'aria-label': `${t('edit')} ${a.user}`, onclick: () => {
          user.value = a.user;
          ext.value = a.extension;
          authUser.value = a.auth_user === a.extension ? '' : a.auth_user;
          pw.value = '';
          ext.focus();
        }}),
        ' ',
        el('button', {type: 'button', class: 'btn btn-small btn-danger', text: t('remove'), 'aria-label': `${t('remove')} ${a.user}`, onclick: async () => {
          if (!await confirmDialog({title: t('confirm-remove', {user: a.user}), confirm: t('remove'), danger: true})) return;
          try {
            await api('DELETE', `/api/admin/phone/accounts/${encodeURIComponent(a.user)}`);
            msg.className = 'banner banner-success';
            msg.textContent = t('removed', {user: a.user});
            loadAccounts();
          } catch (err) {
            msg.className = 'banner banner-error';
            msg.textContent = err.message;
          }
        }}))));
    accountsBox.replaceChildren(...[notice,
      table([t('user'), t('extension'), t('auth-user'), t('password'), t('updated'), ''], rows)].filter(Boolean));
  }

  async function loadLive() {
    let res;
    try {
      res = await api('GET', '/api/admin/phone/live');
    } catch (err) {
      liveBox.replaceChildren(el('p', {class: 'banner banner-error', role: 'alert', text: err.message}));
      return;
    }
    const regs = res.registrations || [];
    const calls = res.calls || [];
    liveBox.replaceChildren(
      el('h3', {text: t('registrations')}),
      regs.length ? table([t('user'), t('extension'), t('state'), t('tabs')], regs.map((r) => el('tr', {'data-user': r.user},
        el('td', {text: r.user}), el('td', {text: r.extension}),
        el('td', {text: t('reg-' + r.state) + (r.reason ? ` (${r.reason})` : '')}), el('td', {text: String(r.tabs || 0)}))))
        : el('p', {class: 'muted', text: t('no-registrations')}),
      el('h3', {text: t('calls')}),
      calls.length ? table([t('user'), t('direction'), t('number'), t('state'), t('started')], calls.map((c) => el('tr', {'data-call-id': c.call_id},
        el('td', {text: c.user || ''}), el('td', {text: t('dir-' + c.direction)}), el('td', {text: c.name ? `${c.name} (${c.number})` : c.number}),
        el('td', {text: t('st-' + c.state)}), el('td', {text: formatDate(c.started)}))))
        : el('p', {class: 'muted', text: t('no-calls')}));
  }

  root.replaceChildren(
    el('h1', {text: t('title')}), msg,
    el('section', {'aria-labelledby': 'pa-h'}, el('h2', {id: 'pa-h', text: t('accounts')}), form, accountsBox),
    el('section', {'aria-labelledby': 'pl-h'}, el('h2', {id: 'pl-h', text: t('live')}),
      el('button', {type: 'button', class: 'btn btn-small', text: t('refresh'), onclick: loadLive}), liveBox));
  loadAccounts();
  loadLive();
  const timer = setInterval(() => {
    if (!root.contains(liveBox)) {
      clearInterval(timer);
      return;
    }
    loadLive();
  }, 5000);
}
