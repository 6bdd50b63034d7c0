// account-password.js — the signed-in agent changes their own password
// (POST /api/account/password, server/idp/account.go). With an external
// identity provider the password lives there: the box says so.
//
//   import {renderPassword} from './account-password.js';
//   await renderPassword(el, ctx);   // ctx.api is api.js's api()

import {api as defaultApi} from './api.js';
import {translator} from './i18n.js';
import {el, clear, notify, field} from './ui.js';

const t = translator({
  fr: {
    intro: 'Choisissez un mot de passe d’au moins 10 caractères, que vous n’utilisez nulle part ailleurs. Une phrase de quelques mots est facile à retenir et difficile à deviner.',
    current: 'Mot de passe actuel',
    new: 'Nouveau mot de passe',
    confirm: 'Confirmez le nouveau mot de passe',
    submit: 'Changer mon mot de passe',
    working: 'Enregistrement…',
    mismatch: 'Les deux saisies du nouveau mot de passe ne sont pas identiques.',
    too_short: 'Le nouveau mot de passe doit comporter au moins 10 caractères.',
    done: 'Votre mot de passe a été changé. Utilisez-le dès votre prochaine connexion.',
    external: 'Votre mot de passe se gère auprès du fournisseur d’identité de votre organisation, pas dans Kaz.',
  },
  en: {
    intro: 'Choose a password of at least 10 characters that you use nowhere else. A sentence of a few words is easy to remember and hard to guess.',
    current: 'Current password',
    new: 'New password',
    confirm: 'Confirm the new password',
    submit: 'Change my password',
    working: 'Saving…',
    mismatch: 'The two entries of the new password differ.',
    too_short: 'The new password must have at least 10 characters.',
    done: 'Your password has been changed. Use it from your next sign-in.',
    external: 'Your password is managed by your organisation’s identity provider, not in Kaz.',
  },
});


/** renderPassword draws the password box into box. */
export async function renderPassword(box, ctx = {}) {
  const api = ctx.api || defaultApi;
  clear(box);
  let external = false;
  try {
    external = !!(await api('GET', '/api/account/mfa')).external;
  } catch {
    // the form still works, or the server explains why not
  }
  if (external) {
    box.append(el('p', {class: 'muted', 'data-testid': 'password-external'}, t('external')));
    return;
  }
  const cur = el('input', {type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password-current'});
  const next = el('input', {type: 'password', autocomplete: 'new-password', required: true, minlength: '10', maxlength: '256', 'data-testid': 'password-new'});
  const again = el('input', {type: 'password', autocomplete: 'new-password', required: true, 'data-testid': 'password-confirm'});
  const status = el('p', {role: 'status', 'aria-live': 'polite', 'data-testid': 'password-status'});
  const button = el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'password-submit'}, t('submit'));
  const form = el('form', {class: 'form', 'data-testid': 'password-form'},
    el('p', {class: 'muted', id: 'pw-intro'}, t('intro')),
    field('pw-current', t('current'), cur),
    field('pw-new', t('new'), next),
    field('pw-confirm', t('confirm'), again),
    el('div', {class: 'form-actions'}, button), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.className = '';
    const fail = (msg, focus) => {
      status.className = 'field-error';
      status.textContent = msg;
      if (focus) focus.focus();
    };
    if ([...next.value].length < 10) return fail(t('too_short'), next);
    if (next.value !== again.value) return fail(t('mismatch'), again);
    button.disabled = true;
    status.textContent = t('working');
    try {
      await api('POST', '/api/account/password', {current: cur.value, new: next.value});
      form.reset();
      status.textContent = t('done');
      notify(t('done'), 'success');
    } catch (err) {
      fail(err.message, cur);
    } finally {
      button.disabled = false;
    }
  });
  box.append(form);
}
