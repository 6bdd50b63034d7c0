// account-apppasswords.js — the signed-in agent's app passwords (device
// passwords for WebDAV mounts, office suites, rclone) on the account page:
// list with label, creation and last use; create (the password is shown
// once, with a copy button); revoke. Talks to /api/apppasswords
// (server/auth/http.go).
//
//   import {renderAppPasswords} from './account-apppasswords.js';
//   await renderAppPasswords(el, ctx);   // ctx.api is api.js's api()

import {api as defaultApi} from './api.js';
import {translator, formatDate} from './i18n.js';
import {el, clear, notify, confirmDialog, copyButton, errorBanner} from './ui.js';

const t = translator({
  fr: {
    intro: "Un mot de passe d'application permet à un logiciel qui ne sait pas faire la connexion Kaz (lecteur réseau WebDAV, suite bureautique, rclone) d'accéder à vos documents. Votre mot de passe habituel ne fonctionne jamais à sa place.",
    none: "Aucun mot de passe d'application.",
    label: 'Nom (pour le reconnaître)', label_hint: 'Par exemple « Lecteur réseau du portable » ou « rclone ».',
    create: 'Créer un mot de passe', creating: 'Création…',
    col_label: 'Nom', col_created: 'Créé le', col_used: 'Dernière utilisation', col_actions: 'Actions',
    never: 'jamais', revoke: 'Révoquer', revoke_label: 'Révoquer « {label} »',
    revoke_title: 'Révoquer ce mot de passe ?',
    revoke_message: 'Les logiciels qui l\'utilisent (« {label} ») perdront l\'accès immédiatement.',
    revoked: 'Mot de passe « {label} » révoqué.',
    shown_title: 'Votre nouveau mot de passe d\'application « {label} »',
    shown_once: 'Copiez-le maintenant : vous ne le reverrez plus. Utilisez-le avec votre identifiant {user}.',
    shown_done: "J'ai copié le mot de passe",
    label_required: 'Donnez un nom à ce mot de passe.',
    load_failed: 'Impossible de charger vos mots de passe d\'application.',
    caption: "Mots de passe d'application",
  },
  en: {
    intro: 'An app password lets software that cannot do the Kaz sign-in (WebDAV network drive, office suite, rclone) reach your documents. Your usual password never works in its place.',
    none: 'No app passwords.',
    label: 'Name (to recognise it)', label_hint: 'For example “Laptop network drive” or “rclone”.',
    create: 'Create a password', creating: 'Creating…',
    col_label: 'Name', col_created: 'Created', col_used: 'Last used', col_actions: 'Actions',
    never: 'never', revoke: 'Revoke', revoke_label: 'Revoke “{label}”',
    revoke_title: 'Revoke this password?',
    revoke_message: 'The software using it (“{label}”) will lose access at once.',
    revoked: 'Password “{label}” revoked.',
    shown_title: 'Your new app password “{label}”',
    shown_once: 'Copy it now: you will not see it again. Use it with your user name {user}.',
    shown_done: 'I have copied the password',
    label_required: 'Give this password a name.',
    load_failed: 'Your app passwords could not be loaded.',
    caption: 'App passwords',
  },
});

/** renderAppPasswords fills root with the app-password manager. */
export async function renderAppPasswords(root, ctx = {}) {
  const api = ctx.api || defaultApi;
  const user = (ctx.me && ctx.me.user) || '';
  clear(root);
  const status = el('div', {role: 'status', 'aria-live': 'polite', class: 'visually-hidden', 'data-testid': 'apppass-status'});
  const listBox = el('div', {'data-testid': 'apppass-list'});
  const shownBox = el('div', {'data-testid': 'apppass-shown-box'});
  const inputId = `ap-label-${Math.random().toString(36).slice(2, 8)}`;
  const input = el('input', {id: inputId, type: 'text', maxlength: '64', autocomplete: 'off', 'data-testid': 'apppass-label',
    'aria-describedby': `${inputId}-hint`});
  const fieldError = el('p', {class: 'field-error', id: `${inputId}-err`, 'aria-live': 'assertive'});
  const button = el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'apppass-create'}, t('create'));
  const form = el('form', {class: 'field', 'data-testid': 'apppass-form', novalidate: true},
    el('label', {for: inputId}, t('label')),
    el('span', {class: 'hint', id: `${inputId}-hint`}, t('label_hint')),
    el('div', {class: 'field-inline'}, input, button),
    fieldError);

  async function load() {
    let items;
    try {
      const res = await api('GET', '/api/apppasswords');
      items = (res && res.app_passwords) || [];
    } catch (err) {
      clear(listBox).append(errorBanner(err, t('load_failed')));
      return;
    }
    clear(listBox);
    if (!items.length) {
      listBox.append(el('p', {class: 'muted', 'data-testid': 'apppass-empty'}, t('none')));
      return;
    }
    const rows = items.map((ap) => el('tr', {'data-testid': 'apppass-row', 'data-label': ap.label},
      el('th', {scope: 'row'}, ap.label),
      el('td', {}, formatDate(ap.created)),
      el('td', {'data-testid': 'apppass-last-used'}, ap.last_used ? formatDate(ap.last_used) : t('never')),
      el('td', {},
        el('button', {type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'apppass-revoke',
          'aria-label': t('revoke_label', {label: ap.label}), onclick: () => revoke(ap)}, t('revoke')))));
    listBox.append(el('div', {class: 'table-wrap'},
      el('table', {class: 'table'},
        el('caption', {class: 'visually-hidden'}, t('caption')),
        el('thead', {}, el('tr', {},
          el('th', {scope: 'col'}, t('col_label')), el('th', {scope: 'col'}, t('col_created')),
          el('th', {scope: 'col'}, t('col_used')), el('th', {scope: 'col'}, t('col_actions')))),
        el('tbody', {}, rows))));
  }

  async function revoke(ap) {
    const ok = await confirmDialog({
      title: t('revoke_title'), message: t('revoke_message', {label: ap.label}),
      confirm: t('revoke'), danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/api/apppasswords/${encodeURIComponent(ap.id)}`);
      status.textContent = t('revoked', {label: ap.label});
      notify(t('revoked', {label: ap.label}), 'success');
      await load();
    } catch (err) {
      notify(err.message || String(err), 'error');
    }
  }

  function showOnce(created) {
    const secret = el('code', {class: 'secret', 'data-testid': 'apppass-secret', tabindex: '0'}, created.password);
    const done = el('button', {type: 'button', class: 'btn', 'data-testid': 'apppass-shown-done'}, t('shown_done'));
    const box = el('div', {class: 'banner banner-success', role: 'alert', 'data-testid': 'apppass-shown'},
      el('p', {}, el('strong', {}, t('shown_title', {label: created.label}))),
      el('p', {}, secret, ' ', copyButton(() => created.password)),
      el('p', {'data-testid': 'apppass-once'}, t('shown_once', {user})),
      done);
    // The secret leaves the page when dismissed: it is never fetched again.
    done.addEventListener('click', () => { clear(shownBox); input.focus(); });
    clear(shownBox).append(box);
    secret.focus();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const label = input.value.trim();
    fieldError.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!label) {
      fieldError.textContent = t('label_required');
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', fieldError.id);
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = t('creating');
    try {
      const created = await api('POST', '/api/apppasswords', {label});
      input.value = '';
      showOnce(created);
      await load();
    } catch (err) {
      fieldError.textContent = err.message || String(err);
      input.setAttribute('aria-invalid', 'true');
    } finally {
      button.disabled = false;
      button.textContent = t('create');
    }
  });

  root.append(el('p', {class: 'muted'}, t('intro')), shownBox, form, listBox, status);
  await load();
}
