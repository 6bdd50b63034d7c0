// account-mfa.js — second factors of the signed-in agent on the account page:
// authenticator app (TOTP, with a QR code), security keys (WebAuthn) and
// recovery codes. Talks to /api/account/mfa (server/idp/account.go).
//
//   import {renderMFA} from './account-mfa.js';
//   await renderMFA(el, ctx);   // ctx.api is api.js's api()

import {api as defaultApi} from './api.js';
import {translator, formatDate} from './i18n.js';

const t = translator({
  fr: {
    external: "Vos seconds facteurs sont gérés par le fournisseur d'identité de votre organisation.",
    totp: 'Application d\'authentification',
    totp_on: 'Activée', totp_off: 'Non configurée',
    totp_add: 'Configurer une application', totp_remove: "Retirer l'application",
    totp_steps: "Scannez ce QR code avec votre application (FreeOTP, Aegis, Google Authenticator…), puis saisissez le code à 6 chiffres qu'elle affiche.",
    totp_manual: 'Impossible de scanner ? Clé à saisir :',
    qr_alt: "QR code à scanner avec votre application d'authentification",
    code: 'Code à 6 chiffres', confirm: 'Valider', cancel: 'Annuler',
    keys: 'Clés de sécurité', keys_none: 'Aucune clé enregistrée.',
    key_name: 'Nom de la nouvelle clé', key_default: 'Ma clé de sécurité',
    key_add: 'Ajouter une clé de sécurité', key_remove: 'Retirer',
    key_added: 'Ajoutée le {date}', key_used: 'dernière utilisation le {date}', key_never: 'jamais utilisée',
    keys_unavailable: "Les clés de sécurité ne fonctionnent que si Kaz est ouvert par un nom d'hôte (pas une adresse IP).",
    key_unsupported: 'Ce navigateur ne prend pas en charge les clés de sécurité.',
    key_failed: "La clé de sécurité n'a pas été enregistrée. Réessayez.",
    recovery: 'Codes de secours', recovery_left: {one: '{n} code de secours restant.', other: '{n} codes de secours restants.'},
    recovery_new: 'Générer de nouveaux codes',
    recovery_confirm: 'Les anciens codes ne fonctionneront plus. Continuer ?',
    recovery_show: 'Conservez ces codes en lieu sûr : chacun permet une seule connexion si vous perdez votre second facteur. Ils ne seront plus affichés.',
    remove_confirm: 'Retirer ce second facteur ?',
    done: 'Enregistré.', removed: 'Retiré.', working: 'Suivez les instructions du navigateur…',
    reauth_button: 'Se reconnecter',
  },
  en: {
    external: "Your second factors are managed by your organisation's identity provider.",
    totp: 'Authenticator app',
    totp_on: 'On', totp_off: 'Not set up',
    totp_add: 'Set up an app', totp_remove: 'Remove the app',
    totp_steps: 'Scan this QR code with your app (FreeOTP, Aegis, Google Authenticator…), then type the 6-digit code it shows.',
    totp_manual: 'Cannot scan? Key to type:',
    qr_alt: 'QR code to scan with your authenticator app',
    code: '6-digit code', confirm: 'Confirm', cancel: 'Cancel',
    keys: 'Security keys', keys_none: 'No key registered.',
    key_name: 'Name of the new key', key_default: 'My security key',
    key_add: 'Add a security key', key_remove: 'Remove',
    key_added: 'Added on {date}', key_used: 'last used on {date}', key_never: 'never used',
    keys_unavailable: 'Security keys only work when Kaz is opened by a host name (not an IP address).',
    key_unsupported: 'This browser does not support security keys.',
    key_failed: 'The security key was not registered. Try again.',
    recovery: 'Recovery codes', recovery_left: {one: '{n} recovery code left.', other: '{n} recovery codes left.'},
    recovery_new: 'Generate new codes',
    recovery_confirm: 'The old codes will stop working. Continue?',
    recovery_show: 'Keep these codes somewhere safe: each one allows a single sign-in if you lose your second factor. They will not be shown again.',
    remove_confirm: 'Remove this second factor?',
    done: 'Saved.', removed: 'Removed.', working: "Follow your browser's instructions…",
    reauth_button: 'Sign in again',
  },
});

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const b64uToBuf = (s) => {
  s = s.replace(/-/g, '+').replace(/_/g, '/');
  while (s.length % 4) s += '=';
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;
};
const bufToB64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function encodeAttestation(cred) {
  const r = cred.response;
  return {
    id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type,
    response: {
      clientDataJSON: bufToB64u(r.clientDataJSON),
      attestationObject: bufToB64u(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
  };
}

/** renderMFA draws the second-factor management of the account page in el. */
export async function renderMFA(el, ctx) {
  const api = (ctx && ctx.api) || defaultApi;
  const status = h('p', {role: 'status', 'aria-live': 'polite', class: 'small', 'data-testid': 'mfa-status'});
  const errorBox = h('div', {role: 'alert', class: 'banner banner-error', hidden: true, 'data-testid': 'mfa-error'});
  const body = h('div', {});
  el.replaceChildren(errorBox, body, status);

  const fail = (err, fallback) => {
    errorBox.textContent = (err && err.message) || fallback || '';
    // An old sign-in may not change factors (server/idp/account.go): offer
    // a fresh one that comes back here.
    if (err && err.body && err.body.reason === 'reauth') {
      errorBox.append(' ', h('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'mfa-reauth',
        onclick: () => location.assign(`/auth/login?return=${encodeURIComponent('/#/account')}`)}, t('reauth_button')));
    }
    errorBox.hidden = false;
  };
  const ok = (msg) => { errorBox.hidden = true; status.textContent = msg; };

  async function showCodes(codes, after) {
    body.replaceChildren(
      h('div', {class: 'banner banner-warning'}, t('recovery_show')),
      h('ul', {class: 'secret', 'data-testid': 'mfa-recovery-codes'}, codes.map((c) => h('li', {}, h('code', {}, c)))),
      h('p', {}, h('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'mfa-codes-done', onclick: after}, t('confirm'))));
    body.querySelector('button').focus();
  }

  async function draw() {
    let f;
    try {
      f = await api('GET', '/api/account/mfa');
    } catch (err) {
      fail(err);
      return;
    }
    if (f.external) {
      body.replaceChildren(h('p', {class: 'muted', 'data-testid': 'mfa-external'}, t('external')));
      return;
    }
    // Authenticator app.
    const totpSection = h('section', {'aria-labelledby': 'mfa-totp-h', 'data-testid': 'mfa-totp'},
      h('h3', {id: 'mfa-totp-h'}, t('totp')),
      h('p', {}, h('span', {class: f.totp ? 'badge badge-ok' : 'badge badge-muted', 'data-testid': 'mfa-totp-state'}, f.totp ? t('totp_on') : t('totp_off'))));
    const totpArea = h('div', {});
    totpSection.append(totpArea);
    totpArea.append(h('div', {class: 'actions'},
      h('button', {type: 'button', class: 'btn', 'data-testid': 'mfa-totp-add', onclick: () => enrolTOTP(totpArea)}, t('totp_add')),
      f.totp ? h('button', {type: 'button', class: 'btn btn-danger', 'data-testid': 'mfa-totp-remove', onclick: () => remove('/api/account/mfa/totp')}, t('totp_remove')) : null));

    // Security keys.
    const keyList = f.keys.length
      ? h('ul', {'data-testid': 'mfa-keys'}, f.keys.map((k) => h('li', {'data-testid': 'mfa-key'},
          h('strong', {}, k.name), ' — ',
          h('span', {class: 'small muted'}, t('key_added', {date: formatDate(k.created)}), ', ',
            k.last_used ? t('key_used', {date: formatDate(k.last_used)}) : t('key_never')), ' ',
          h('button', {type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `${t('key_remove')} ${k.name}`,
            onclick: () => remove('/api/account/mfa/webauthn/' + encodeURIComponent(k.id))}, t('key_remove')))))
      : h('p', {class: 'muted'}, t('keys_none'));
    const nameInput = h('input', {id: 'mfa-key-name', type: 'text', maxlength: '64', value: t('key_default'), 'data-testid': 'mfa-key-name'});
    const keySection = h('section', {'aria-labelledby': 'mfa-keys-h'},
      h('h3', {id: 'mfa-keys-h'}, t('keys')), keyList);
    if (!f.keys_available) {
      keySection.append(h('p', {class: 'muted'}, t('keys_unavailable')));
    } else if (!window.PublicKeyCredential) {
      keySection.append(h('p', {class: 'muted'}, t('key_unsupported')));
    } else {
      keySection.append(h('div', {class: 'field'}, h('label', {for: 'mfa-key-name'}, t('key_name')), nameInput),
        h('p', {}, h('button', {type: 'button', class: 'btn', 'data-testid': 'mfa-key-add', onclick: (ev) => addKey(ev.target, nameInput.value)}, t('key_add'))));
    }

    // Recovery codes.
    const recSection = h('section', {'aria-labelledby': 'mfa-rec-h'},
      h('h3', {id: 'mfa-rec-h'}, t('recovery')),
      h('p', {'data-testid': 'mfa-recovery-left'}, t('recovery_left', {n: f.recovery_codes_left})),
      (f.totp || f.keys.length) ? h('button', {type: 'button', class: 'btn', 'data-testid': 'mfa-recovery-new', onclick: newCodes}, t('recovery_new')) : null);

    body.replaceChildren(totpSection, keySection, recSection);
  }

  async function enrolTOTP(area) {
    let e;
    try {
      e = await api('POST', '/api/account/mfa/totp', {});
    } catch (err) {
      fail(err);
      return;
    }
    const input = h('input', {id: 'mfa-totp-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '7', required: true, 'data-testid': 'mfa-totp-code'});
    const form = h('form', {class: 'form', 'data-testid': 'mfa-totp-form'},
      h('p', {}, t('totp_steps')),
      h('p', {}, h('img', {src: e.qr, alt: t('qr_alt'), width: '200', height: '200'})),
      h('p', {}, t('totp_manual'), ' ', h('code', {'data-testid': 'mfa-totp-secret'}, e.secret)),
      h('div', {class: 'field'}, h('label', {for: 'mfa-totp-code'}, t('code')), input),
      h('div', {class: 'form-actions'},
        h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'mfa-totp-confirm'}, t('confirm')),
        h('button', {type: 'button', class: 'btn', onclick: draw}, t('cancel'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const res = await api('POST', '/api/account/mfa/totp/confirm', {code: input.value});
        ok(t('done'));
        if (res.recovery_codes) await showCodes(res.recovery_codes, draw);
        else await draw();
      } catch (err) {
        fail(err);
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    });
    area.replaceChildren(form);
    input.focus();
  }

  async function addKey(btn, name) {
    btn.disabled = true;
    status.textContent = t('working');
    try {
      const opts = await api('POST', '/api/account/mfa/webauthn/begin', {name});
      const pk = opts.publicKey;
      pk.challenge = b64uToBuf(pk.challenge);
      pk.user.id = b64uToBuf(pk.user.id);
      (pk.excludeCredentials || []).forEach((c) => { c.id = b64uToBuf(c.id); });
      const cred = await navigator.credentials.create({publicKey: pk});
      const res = await api('POST', '/api/account/mfa/webauthn/finish', encodeAttestation(cred));
      ok(t('done'));
      if (res.recovery_codes) await showCodes(res.recovery_codes, draw);
      else await draw();
    } catch (err) {
      status.textContent = '';
      fail(err && err.status ? err : null, t('key_failed'));
      btn.disabled = false;
    }
  }

  async function remove(path) {
    if (!window.confirm(t('remove_confirm'))) return;
    try {
      await api('DELETE', path);
      ok(t('removed'));
      await draw();
    } catch (err) {
      fail(err);
    }
  }

  async function newCodes() {
    if (!window.confirm(t('recovery_confirm'))) return;
    try {
      const res = await api('POST', '/api/account/mfa/recovery-codes', {});
      await showCodes(res.recovery_codes, draw);
    } catch (err) {
      fail(err);
    }
  }

  await draw();
}

export default renderMFA;
