// sections/account.js — the agent's own account: profile, how they signed
// in, second factors (account-mfa.js) and app passwords
// (account-apppasswords.js). Those two modules are written by the sign-in
// engineers and loaded on demand; when one is missing or fails, its part
// shows a plain note and the rest of the page still works.

import {translator} from '../i18n.js';
import {el, heading, errorBanner} from '../ui.js';

const t = translator({
  fr: {
    title: 'Mon compte',
    profile: 'Profil',
    name: 'Nom',
    user: 'Identifiant',
    email: 'Adresse e-mail',
    groups: 'Groupes',
    no_groups: 'Aucun groupe',
    role: 'Rôle',
    role_admin: 'Administrateur de Kaz',
    role_agent: 'Agent',
    signin: 'Connexion en cours',
    method: 'Moyen de connexion',
    factors: 'Facteurs utilisés',
    factors_none: 'non communiqués par le fournisseur d’identité',
    mfa: 'Seconds facteurs',
    mfa_intro: 'Un second facteur (application d’authentification ou clé de sécurité) protège votre compte même si votre mot de passe est connu.',
    password: 'Mot de passe',
    password_missing: 'Le changement de mot de passe n’est pas disponible sur ce serveur. Adressez-vous à votre service informatique.',
    mfa_missing: 'La gestion des seconds facteurs n’est pas encore disponible sur ce serveur. Adressez-vous à votre service informatique.',
    apppass: 'Mots de passe d’application',
    apppass_missing: 'La gestion des mots de passe d’application n’est pas encore disponible sur ce serveur. Adressez-vous à votre service informatique.',
    part_failed: 'Cette partie n’a pas pu s’afficher.',
    m_session: 'Navigateur, via le fournisseur d’identité',
    m_apppassword: 'Mot de passe d’application',
    m_bearer: 'Jeton d’accès',
    m_ofba: 'Connexion depuis une application Office',
    a_pwd: 'mot de passe',
    a_otp: 'code à usage unique',
    a_totp: 'code à usage unique (application)',
    a_hwk: 'clé de sécurité',
    a_swk: 'clé logicielle',
    a_mfa: 'authentification à plusieurs facteurs',
    a_sc: 'carte à puce',
    a_fpt: 'empreinte digitale',
    a_face: 'reconnaissance faciale',
    a_pin: 'code PIN',
    a_user: 'présence de l’utilisateur',
    a_kba: 'question secrète',
    a_sms: 'code par SMS',
    a_rec: 'code de secours',
  },
  en: {
    title: 'My account',
    profile: 'Profile',
    name: 'Name',
    user: 'User name',
    email: 'Email address',
    groups: 'Groups',
    no_groups: 'No group',
    role: 'Role',
    role_admin: 'Kaz administrator',
    role_agent: 'Agent',
    signin: 'Current sign-in',
    method: 'Signed in with',
    factors: 'Factors used',
    factors_none: 'not reported by the identity provider',
    mfa: 'Second factors',
    mfa_intro: 'A second factor (authenticator app or security key) protects your account even if someone knows your password.',
    password: 'Password',
    password_missing: 'Changing your password is not available on this server. Ask your IT team.',
    mfa_missing: 'Managing second factors is not available on this server yet. Ask your IT team.',
    apppass: 'App passwords',
    apppass_missing: 'Managing app passwords is not available on this server yet. Ask your IT team.',
    part_failed: 'This part could not be shown.',
    m_session: 'Browser, through the identity provider',
    m_apppassword: 'App password',
    m_bearer: 'Access token',
    m_ofba: 'Sign-in from an Office application',
    a_pwd: 'password',
    a_otp: 'one-time code',
    a_totp: 'one-time code (app)',
    a_hwk: 'security key',
    a_swk: 'software key',
    a_mfa: 'multi-factor authentication',
    a_sc: 'smart card',
    a_fpt: 'fingerprint',
    a_face: 'face recognition',
    a_pin: 'PIN',
    a_user: 'user presence',
    a_kba: 'secret question',
    a_sms: 'text message code',
    a_rec: 'recovery code',
  },
});

function row(label, value, testid) {
  return [el('dt', {}, label), el('dd', {'data-testid': testid}, value)];
}

function words(prefix, v) {
  const key = `${prefix}_${v}`;
  const s = t(key);
  return s === key ? v : s;
}

async function mountPart(box, ctx, rel, fn, missingText) {
  const mod = ctx.importOptional ? await ctx.importOptional(rel) : await import(`../${rel}`).catch(() => null);
  if (!mod || typeof mod[fn] !== 'function') {
    box.append(el('p', {class: 'banner banner-info', 'data-testid': 'part-missing'}, missingText));
    return;
  }
  try {
    await mod[fn](box, ctx);
  } catch (err) {
    console.warn(`kaz: ${rel} failed`, err);
    box.append(errorBanner(err, t('part_failed')));
  }
}

/** render draws the account page. */
export async function render(root, ctx) {
  const me = ctx.me || {};
  const groups = Array.isArray(me.groups) && me.groups.length
    ? el('ul', {class: 'tags', role: 'list'}, me.groups.map((g) => el('li', {class: 'tag'}, g)))
    : el('span', {class: 'muted'}, t('no_groups'));
  const amr = Array.isArray(me.amr) && me.amr.length
    ? me.amr.map((a) => words('a', a)).join(', ')
    : el('span', {class: 'muted'}, t('factors_none'));

  const mfaBox = el('div', {class: 'part', 'data-testid': 'account-mfa'});
  const apBox = el('div', {class: 'part', 'data-testid': 'account-apppasswords'});
  const pwBox = el('div', {class: 'part', 'data-testid': 'account-password'});

  root.append(
    heading(t('title')),
    el('div', {class: 'grid-2'},
      el('section', {class: 'card', 'aria-labelledby': 'acc-profile'},
        el('h2', {id: 'acc-profile'}, t('profile')),
        el('dl', {class: 'facts'},
          row(t('name'), me.display_name || me.user || '', 'account-name'),
          row(t('user'), me.user || '', 'account-user'),
          me.email ? row(t('email'), me.email, 'account-email') : null,
          row(t('groups'), groups, 'account-groups'),
          row(t('role'), me.admin ? t('role_admin') : t('role_agent'), 'account-role'))),
      el('section', {class: 'card', 'aria-labelledby': 'acc-signin'},
        el('h2', {id: 'acc-signin'}, t('signin')),
        el('dl', {class: 'facts'},
          row(t('method'), me.method ? words('m', me.method) : '—', 'account-method'),
          row(t('factors'), amr, 'account-amr')))),
    el('section', {class: 'card', 'aria-labelledby': 'acc-pw'},
      el('h2', {id: 'acc-pw'}, t('password')),
      pwBox),
    el('section', {class: 'card', 'aria-labelledby': 'acc-mfa'},
      el('h2', {id: 'acc-mfa'}, t('mfa')),
      el('p', {class: 'muted'}, t('mfa_intro')),
      mfaBox),
    el('section', {class: 'card', 'aria-labelledby': 'acc-ap'},
      el('h2', {id: 'acc-ap'}, t('apppass')),
      apBox));

  await Promise.all([
    mountPart(pwBox, ctx, 'account-password.js', 'renderPassword', t('password_missing')),
    mountPart(mfaBox, ctx, 'account-mfa.js', 'renderMFA', t('mfa_missing')),
    mountPart(apBox, ctx, 'account-apppasswords.js', 'renderAppPasswords', t('apppass_missing')),
  ]);
}
