// admin/libraries.js — administration of the document libraries: create a
// library (name, description, quota, owners/editors/readers), change its
// quota, grant and revoke roles. The same as `kaz admin library …`.
// API: GET/POST /api/admin/libraries, PATCH /api/admin/libraries/{lib},
// POST/DELETE /api/admin/libraries/{lib}/grants.

import {translator, formatSize} from '../i18n.js';
import {el, clear, heading, errorBanner, notify, confirmDialog, field, promptDialog} from '../ui.js';

const t = translator({
  fr: {
    title: 'Administration — Bibliothèques',
    create: 'Créer une bibliothèque', name: 'Nom', name_hint: 'Lettres, chiffres, « . », « - », « _ » ; il apparaît dans l’adresse WebDAV.',
    description: 'Description', quota: 'Quota', quota_hint: 'Par exemple 500M, 10G, 1T ; vide pour la valeur par défaut ; « illimité » pour aucune limite.',
    owners: 'Propriétaires', editors: 'Éditeurs', readers: 'Lecteurs',
    subjects_hint: 'Groupes séparés par des virgules (ou user:IDENTIFIANT pour une personne).',
    submit: 'Créer', created: 'Bibliothèque {name} créée.',
    list: 'Bibliothèques existantes', none: 'Aucune bibliothèque pour l’instant.',
    usage: 'Utilisé : {used} / {quota} · Versions gardées : {n}', grants: 'Droits', unlimited: 'illimité',
    role: 'Rôle', subject: 'Groupe ou user:IDENTIFIANT', grant: 'Accorder', granted: 'Droit accordé.',
    revoke: 'Retirer', revoke_title: 'Retirer le rôle de {subject} ?', revoked: 'Droit retiré.',
    set_quota: 'Changer le quota', new_quota: 'Nouveau quota (par exemple 20G, ou illimité)', quota_set: 'Quota mis à jour.',
    role_owner: 'propriétaire', role_editor: 'éditeur', role_reader: 'lecteur',
    open: 'Ouvrir',
  },
  en: {
    title: 'Administration — Libraries',
    create: 'Create a library', name: 'Name', name_hint: 'Letters, digits, “.”, “-”, “_”; it appears in the WebDAV address.',
    description: 'Description', quota: 'Quota', quota_hint: 'For example 500M, 10G, 1T; empty for the default; “unlimited”.',
    owners: 'Owners', editors: 'Editors', readers: 'Readers',
    subjects_hint: 'Comma-separated groups (or user:NAME for one person).',
    submit: 'Create', created: 'Library {name} created.',
    list: 'Existing libraries', none: 'No library yet.',
    usage: 'Used: {used} / {quota} · Versions kept: {n}', grants: 'Grants', unlimited: 'unlimited',
    role: 'Role', subject: 'Group or user:NAME', grant: 'Grant', granted: 'Grant added.',
    revoke: 'Remove', revoke_title: 'Remove the role of {subject}?', revoked: 'Grant removed.',
    set_quota: 'Change the quota', new_quota: 'New quota (for example 20G, or unlimited)', quota_set: 'Quota updated.',
    role_owner: 'owner', role_editor: 'editor', role_reader: 'reader',
    open: 'Open',
  },
});

const enc = encodeURIComponent;
const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);


/** render draws the page. */
export async function render(root, ctx) {
  clear(root);
  root.append(heading(t('title')));
  const name = el('input', {type: 'text', required: true, 'data-testid': 'lib-name', autocomplete: 'off'});
  const desc = el('input', {type: 'text', 'data-testid': 'lib-description'});
  const quota = el('input', {type: 'text', 'data-testid': 'lib-quota', placeholder: '10G'});
  const owners = el('input', {type: 'text', 'data-testid': 'lib-owners'});
  const editors = el('input', {type: 'text', 'data-testid': 'lib-editors'});
  const readers = el('input', {type: 'text', 'data-testid': 'lib-readers'});
  const listHost = el('div', {'data-testid': 'admin-libraries-list'});
  const form = el('form', {class: 'form card', 'data-testid': 'lib-create-form'},
    el('h2', {}, t('create')),
    field('al-name', t('name'), name, t('name_hint')),
    field('al-desc', t('description'), desc, ''),
    field('al-quota', t('quota'), quota, t('quota_hint')),
    field('al-owners', t('owners'), owners, t('subjects_hint')),
    field('al-editors', t('editors'), editors, ''),
    field('al-readers', t('readers'), readers, ''),
    el('div', {class: 'form-actions'}, el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'lib-create'}, t('submit'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await ctx.api('POST', '/api/admin/libraries', {
        name: name.value.trim(), description: desc.value.trim(), quota: quota.value.trim(),
        owners: split(owners.value), editors: split(editors.value), readers: split(readers.value),
      });
      notify(t('created', {name: name.value.trim()}), 'success');
      form.reset();
      await draw();
    } catch (err) {
      notify(err.message, 'error');
    }
  });
  root.append(form, el('h2', {}, t('list')), listHost);

  async function draw() {
    clear(listHost);
    let data;
    try {
      data = await ctx.api('GET', '/api/admin/libraries');
    } catch (err) {
      listHost.append(errorBanner(err));
      return;
    }
    const libs = data.libraries || [];
    if (!libs.length) {
      listHost.append(el('p', {class: 'muted'}, t('none')));
      return;
    }
    for (const l of libs) listHost.append(card(l));
  }

  function card(l) {
    const base = `/api/admin/libraries/${enc(l.name)}`;
    const roleSel = el('select', {'data-testid': 'grant-role', 'aria-label': t('role')},
      ['reader', 'editor', 'owner'].map((r) => el('option', {value: r}, t(`role_${r}`))));
    const subject = el('input', {type: 'text', 'data-testid': 'grant-subject', 'aria-label': t('subject'), placeholder: t('subject')});
    const grantForm = el('form', {class: 'row', 'data-testid': 'grant-form'}, roleSel, subject,
      el('button', {type: 'submit', class: 'btn btn-small btn-primary'}, t('grant')));
    grantForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await ctx.api('POST', `${base}/grants`, {role: roleSel.value, subject: subject.value.trim()});
        notify(t('granted'), 'success');
        await draw();
      } catch (err) {
        notify(err.message, 'error');
      }
    });
    const grants = (l.grants || []).map((g) => el('li', {'data-testid': 'grant-item'},
      `${g.subject} — ${t(`role_${g.role}`)} `,
      el('button', {type: 'button', class: 'btn btn-small btn-ghost', 'data-testid': 'grant-revoke', onclick: async () => {
        if (!await confirmDialog({title: t('revoke_title', {subject: g.subject}), confirm: t('revoke'), danger: true})) return;
        try {
          await ctx.api('DELETE', `${base}/grants?subject=${enc(g.subject)}`);
          notify(t('revoked'), 'success');
          await draw();
        } catch (err) {
          notify(err.message, 'error');
        }
      }}, t('revoke'))));
    const quotaBtn = el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'set-quota', onclick: async () => {
      const v = await promptDialog({title: t('set_quota'), label: t('new_quota'), confirm: t('set_quota'),
        value: l.quota > 0 ? `${Math.max(1, Math.round(l.quota / 2 ** 30))}G` : 'unlimited'});
      if (v === null) return;
      try {
        await ctx.api('PATCH', base, {quota: v.trim()});
        notify(t('quota_set'), 'success');
        await draw();
      } catch (err) {
        notify(err.message, 'error');
      }
    }}, t('set_quota'));
    return el('section', {class: 'card', 'data-testid': `admin-library-${l.name}`},
      el('h3', {}, el('a', {href: `#/libraries/${enc(l.name)}`}, l.name)),
      l.description ? el('p', {}, l.description) : null,
      el('p', {}, t('usage', {used: formatSize(l.used), quota: l.quota > 0 ? formatSize(l.quota) : t('unlimited'), n: l.max_versions}), ' ', quotaBtn),
      el('h4', {}, t('grants')), el('ul', {}, grants), grantForm);
  }
  await draw();
}
