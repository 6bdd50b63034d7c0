// sections/libraries.js — document libraries: the list of the agent's
// libraries, the folder view (sort, breadcrumbs, drag-and-drop upload with
// a progress bar per file, download, new folder, rename/move, delete to the
// recycle bin, versions, locks, "open in desktop app"), the recycle bin, the
// "map as a network drive" help and, for owners, the audit log.
//
// Routes: #/libraries, #/libraries/<lib>/<folder…>[?sort=name|modified|size&dir=asc|desc],
// #/libraries/<lib>?view=trash|audit|map|locks.
// API: /api/libraries… (server/api_docs.go).

import {translator, formatDate, formatSize} from '../i18n.js';
import {el, clear, heading, errorBanner, notify, confirmDialog, copyButton, svgIcon, promptDialog} from '../ui.js';

// Icons (24×24 path data): a folder, a page with a folded corner, a padlock.
const ICON = {
  folder: 'M3 6.5A2.5 2.5 0 0 1 5.5 4h4.1l2 2h6.9A2.5 2.5 0 0 1 21 8.5v9a2.5 2.5 0 0 1-2.5 2.5h-13A2.5 2.5 0 0 1 3 17.5z',
  file: ['M6 2.5h8l5 5v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-17a1 1 0 0 1 1-1z', 'M13.5 2.5v5h5'],
  lock: ['M7 10V7.5a5 5 0 0 1 10 0V10', 'M5.5 10h13v10h-13z'],
};

// fileKind groups a name by what opens it, for the icon's colour.
function fileKind(name) {
  const ext = (name.split('.').pop() || '').toLowerCase();
  if (['doc', 'docx', 'odt', 'rtf', 'txt', 'md'].includes(ext)) return 'text';
  if (['xls', 'xlsx', 'ods', 'csv'].includes(ext)) return 'sheet';
  if (['ppt', 'pptx', 'odp'].includes(ext)) return 'slides';
  if (ext === 'pdf') return 'pdf';
  if (['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp'].includes(ext)) return 'image';
  return 'other';
}

const t = translator({
  fr: {
    title: 'Bibliothèques',
    intro: 'Les bibliothèques de documents auxquelles vous avez accès.',
    none: "Vous n'avez encore accès à aucune bibliothèque. Demandez à un administrateur de vous en ouvrir une.",
    role_owner: 'Propriétaire', role_editor: 'Éditeur', role_reader: 'Lecteur',
    used: '{used} utilisés', used_of: '{used} utilisés sur {quota}',
    open: 'Ouvrir',
    breadcrumbs: "Fil d'Ariane",
    name: 'Nom', modified: 'Modifié le', modified_by: 'Modifié par', size: 'Taille', actions: 'Actions',
    sort_by: 'Trier par {col}',
    empty_folder: 'Ce dossier est vide. Déposez des fichiers ici ou utilisez « Envoyer des fichiers ».',
    folder: 'Dossier', file: 'Fichier',
    upload: 'Envoyer des fichiers', upload_label: 'Choisir des fichiers à envoyer',
    drop_hint: 'Glissez-déposez des fichiers sur cette zone pour les envoyer dans ce dossier.',
    uploading: 'Envoi de {name}', uploaded: '{name} envoyé.', upload_failed: "{name} n'a pas été envoyé : {message}",
    uploads: 'Envois en cours',
    uploads_done: {one: '{n} fichier envoyé.', other: '{n} fichiers envoyés.'},
    new_folder: 'Nouveau dossier', folder_name: 'Nom du dossier', create: 'Créer', created: 'Dossier {name} créé.',
    download: 'Télécharger', versions: 'Versions', rename: 'Renommer ou déplacer', rename_short: 'Renommer', delete: 'Supprimer',
    download_item: 'Télécharger {name}', versions_item: 'Versions de {name}', rename_item: 'Renommer ou déplacer {name}',
    delete_item: 'Supprimer {name}', force_unlock_item: 'Forcer le déverrouillage de {name}', open_in_item: 'Ouvrir dans {app} : {name}',
    restore_item: 'Restaurer {name}', version_download: 'Télécharger la version {v}', version_restore: 'Restaurer la version {v}',
    rename_title: 'Renommer ou déplacer « {name} »', new_path: 'Nouveau chemin dans la bibliothèque (par exemple /Archives/{name})',
    move: 'Valider', moved: '« {name} » déplacé vers {path}.',
    delete_title: 'Supprimer « {name} » ?', delete_text: "L'élément part dans la corbeille : il pourra être restauré pendant {days} jours.",
    deleted: '« {name} » est dans la corbeille.',
    locked_by: 'Verrouillé par {user}', force_unlock: 'Forcer le déverrouillage',
    force_title: 'Forcer le déverrouillage de « {name} » ?', force_text: "{user} pourrait perdre ses modifications en cours. L'action est enregistrée dans le journal d'audit.",
    unlocked: 'Verrou retiré.',
    open_in: 'Ouvrir dans {app}', app_word: 'Word', app_excel: 'Excel', app_powerpoint: 'PowerPoint', app_libreoffice: 'LibreOffice',
    versions_title: 'Versions de « {name} »', version: 'Version', current: 'actuelle', restore: 'Restaurer', close: 'Fermer',
    restore_title: 'Restaurer la version {v} ?', restore_text: 'Elle devient une nouvelle version ; la version actuelle reste dans l’historique.',
    restored_version: 'Version {v} restaurée.',
    trash: 'Corbeille', trash_title: 'Corbeille — {lib}', trash_intro: 'Les éléments supprimés restent ici {days} jours, puis sont effacés définitivement.',
    trash_empty_list: 'La corbeille est vide.', original_path: 'Emplacement d’origine', deleted_on: 'Supprimé le', deleted_by: 'Supprimé par',
    restore_done: '« {name} » restauré dans {path}.', empty_trash: 'Vider la corbeille',
    empty_title: 'Vider la corbeille ?', empty_text: 'Les éléments seront effacés définitivement. Cette action est irréversible.',
    emptied: {one: 'Corbeille vidée ({n} élément).', other: 'Corbeille vidée ({n} éléments).'},
    map: 'Connecter comme lecteur réseau', map_title: 'Connecter « {lib} » comme lecteur réseau',
    map_intro: 'Vous pouvez ouvrir cette bibliothèque depuis l’explorateur de fichiers de votre ordinateur. Utilisez votre identifiant et un mot de passe d’application (pas votre mot de passe habituel).',
    map_url: 'Adresse WebDAV :', map_user: 'Identifiant :',
    map_password: 'Créer un mot de passe pour le lecteur réseau', map_password_creating: 'Création…',
    map_password_title: 'Mot de passe du lecteur réseau',
    map_password_intro: 'Votre ordinateur vous demandera un identifiant et un mot de passe. Votre mot de passe habituel n’y fonctionne pas : créez ici un mot de passe d’application, en un clic.',
    map_password_label: 'Lecteur réseau {date}',
    map_password_shown: 'Mot de passe d’application « {label} » :',
    map_password_use: 'Utilisez-le comme mot de passe quand votre ordinateur le demande en connectant le lecteur, avec l’identifiant {user}. Copiez-le maintenant : il ne sera plus affiché. Vous pourrez le révoquer depuis la page Mon compte.',
    map_password_done: 'J’ai copié le mot de passe',
    map_password_manage: 'Gérer mes mots de passe d’application',
    map_password_err_network: 'Le serveur ne répond pas : vérifiez votre connexion (VPN), puis réessayez.',
    map_password_err_session: 'Votre session a expiré : reconnectez-vous, puis réessayez.',
    map_password_err_refused: 'La création a été refusée : rechargez la page (en vous reconnectant si besoin), puis réessayez.',
    map_password_err_other: 'Le mot de passe n’a pas pu être créé. Réessayez dans quelques instants ; si le problème persiste, créez-le depuis la page Mon compte.',
    map_exact_url: 'Adresse à saisir :',
    map_windows: 'Windows', map_windows_steps: 'Ouvrez l’Explorateur, clic droit sur « Ce PC » → « Connecter un lecteur réseau… », choisissez une lettre, collez l’adresse ci-dessous dans « Dossier », cochez « Se connecter à l’aide d’informations d’identification différentes », puis saisissez votre identifiant et le mot de passe d’application.',
    map_windows_cmd: 'Ou, dans une invite de commandes (le mot de passe est demandé) :',
    map_macos: 'macOS', map_macos_steps: 'Dans le Finder, menu « Aller » → « Se connecter au serveur… » (⌘K), collez l’adresse ci-dessous, puis « Se connecter » : saisissez votre identifiant et le mot de passe d’application.',
    map_linux: 'Linux', map_linux_steps: 'Dans Fichiers (GNOME), « Autres emplacements » → « Connexion à un serveur », saisissez l’adresse ci-dessous, puis votre identifiant et le mot de passe d’application.',
    map_linux_kde: 'Dans Dolphin (KDE), saisissez dans la barre d’adresse :',
    map_linux_mount: 'Ou montez-la avec davfs2 :',
    audit: "Journal d'audit", audit_title: "Journal d'audit — {lib}", audit_csv: 'Exporter en CSV', when: 'Date', who: 'Qui', from: 'Adresse', action: 'Action', path: 'Chemin', detail: 'Détail',
    more: 'Plus ancien…', no_audit: 'Aucune entrée.',
    a_read: 'Lecture', a_write: 'Enregistrement', a_mkdir: 'Nouveau dossier', a_delete: 'Mise à la corbeille', a_move: 'Déplacement',
    a_copy: 'Copie', a_restore: 'Restauration', a_lock: 'Verrouillage', a_unlock: 'Déverrouillage', a_force_unlock: 'Déverrouillage forcé',
    a_grant: 'Droit accordé', a_revoke: 'Droit retiré', a_library_create: 'Bibliothèque créée', a_library_update: 'Bibliothèque modifiée',
    a_library_delete: 'Bibliothèque supprimée', a_empty_trash: 'Corbeille vidée', a_purge_trash: 'Corbeille purgée',
    a_move_over: 'Déplacement (remplacement)', a_copy_over: 'Copie (remplacement)', a_props: 'Propriétés modifiées',
    a_lock_refresh: 'Verrou prolongé', a_unknown: 'Autre action ({code})',
    d_timeout: 'durée {n} s', d_props_set: 'définies :', d_props_removed: 'retirées :', d_props_modified: 'date de modification : {date}',
    d_props_more: {one: 'et {n} autre', other: 'et {n} autres'},
    d_version: 'version {n}', d_to: 'vers {p}', d_from: 'depuis {p}', d_from_trash: 'depuis la corbeille', d_held_by: 'détenu par {user}',
    d_library: 'quota {quota}, {n} versions gardées', d_unlimited: 'illimité', d_entries: {one: '{n} élément', other: '{n} éléments'}, d_entries_older: {one: '{n} élément antérieur au {date}', other: '{n} éléments antérieurs au {date}'},
    d_exclusive: 'exclusif', d_shared: 'partagé', d_system: 'Kaz (automatique)',
    locks: 'Verrous', locks_title: 'Verrous actifs — {lib}', no_locks: 'Aucun verrou actif.', expires: 'Expire le', holder: 'Détenu par',
    back: 'Retour au dossier',
    loading: 'Chargement…',
    err_403: "Votre rôle dans cette bibliothèque ne permet pas cette action.",
    err_404: 'Élément introuvable (ou vous n’y avez pas accès).',
    err_409: 'Un élément porte déjà ce nom, ou le dossier parent n’existe pas.',
    err_412: 'L’élément a changé entre-temps, ou la destination existe déjà.',
    err_423: 'L’élément est verrouillé par une autre personne (document ouvert).',
    err_507: 'Le quota de la bibliothèque est dépassé.',
    err_400: 'Nom invalide (caractères interdits, nom réservé ou trop long), ou envoi incomplet.',
    truncated: 'Ce dossier est très grand : seuls les {n} premiers éléments sont affichés. Utilisez un lecteur réseau pour tout voir.',
  },
  en: {
    title: 'Libraries',
    intro: 'The document libraries you have access to.',
    none: 'You do not have access to any library yet. Ask an administrator to open one for you.',
    role_owner: 'Owner', role_editor: 'Editor', role_reader: 'Reader',
    used: '{used} used', used_of: '{used} used of {quota}',
    open: 'Open',
    breadcrumbs: 'Breadcrumbs',
    name: 'Name', modified: 'Modified', modified_by: 'Modified by', size: 'Size', actions: 'Actions',
    sort_by: 'Sort by {col}',
    empty_folder: 'This folder is empty. Drop files here or use “Upload files”.',
    folder: 'Folder', file: 'File',
    upload: 'Upload files', upload_label: 'Choose files to upload',
    drop_hint: 'Drag and drop files onto this area to upload them into this folder.',
    uploading: 'Uploading {name}', uploaded: '{name} uploaded.', upload_failed: '{name} was not uploaded: {message}',
    uploads: 'Uploads',
    uploads_done: {one: '{n} file uploaded.', other: '{n} files uploaded.'},
    new_folder: 'New folder', folder_name: 'Folder name', create: 'Create', created: 'Folder {name} created.',
    download: 'Download', versions: 'Versions', rename: 'Rename or move', rename_short: 'Rename', delete: 'Delete',
    download_item: 'Download {name}', versions_item: 'Versions of {name}', rename_item: 'Rename or move {name}',
    delete_item: 'Delete {name}', force_unlock_item: 'Force unlock {name}', open_in_item: 'Open in {app}: {name}',
    restore_item: 'Restore {name}', version_download: 'Download version {v}', version_restore: 'Restore version {v}',
    rename_title: 'Rename or move “{name}”', new_path: 'New path in the library (for example /Archive/{name})',
    move: 'Confirm', moved: '“{name}” moved to {path}.',
    delete_title: 'Delete “{name}”?', delete_text: 'The item goes to the recycle bin: it can be restored for {days} days.',
    deleted: '“{name}” is in the recycle bin.',
    locked_by: 'Locked by {user}', force_unlock: 'Force unlock',
    force_title: 'Force unlock “{name}”?', force_text: '{user} might lose unsaved changes. The action is recorded in the audit log.',
    unlocked: 'Lock removed.',
    open_in: 'Open in {app}', app_word: 'Word', app_excel: 'Excel', app_powerpoint: 'PowerPoint', app_libreoffice: 'LibreOffice',
    versions_title: 'Versions of “{name}”', version: 'Version', current: 'current', restore: 'Restore', close: 'Close',
    restore_title: 'Restore version {v}?', restore_text: 'It becomes a new version; the current one stays in the history.',
    restored_version: 'Version {v} restored.',
    trash: 'Recycle bin', trash_title: 'Recycle bin — {lib}', trash_intro: 'Deleted items stay here for {days} days, then are removed for good.',
    trash_empty_list: 'The recycle bin is empty.', original_path: 'Original location', deleted_on: 'Deleted', deleted_by: 'Deleted by',
    restore_done: '“{name}” restored to {path}.', empty_trash: 'Empty the recycle bin',
    empty_title: 'Empty the recycle bin?', empty_text: 'The items will be removed for good. This cannot be undone.',
    emptied: {one: 'Recycle bin emptied ({n} item).', other: 'Recycle bin emptied ({n} items).'},
    map: 'Map as a network drive', map_title: 'Map “{lib}” as a network drive',
    map_intro: 'You can open this library from your computer’s file manager. Use your user name and an app password (not your usual password).',
    map_url: 'WebDAV address:', map_user: 'User name:',
    map_password: 'Create a password for the network drive', map_password_creating: 'Creating…',
    map_password_title: 'Network drive password',
    map_password_intro: 'Your computer will ask for a user name and a password. Your usual password does not work there: create an app password here, in one click.',
    map_password_label: 'Network drive {date}',
    map_password_shown: 'App password “{label}”:',
    map_password_use: 'Use it as the password when your computer asks for one while mapping the drive, with the user name {user}. Copy it now: it will not be shown again. You can revoke it from the My account page.',
    map_password_done: 'I have copied the password',
    map_password_manage: 'Manage my app passwords',
    map_password_err_network: 'The server does not answer: check your connection (VPN), then try again.',
    map_password_err_session: 'Your session has expired: sign in again, then try again.',
    map_password_err_refused: 'Creating the password was refused: reload the page (signing in again if asked), then try again.',
    map_password_err_other: 'The password could not be created. Try again in a moment; if it keeps failing, create it from the My account page.',
    map_exact_url: 'Address to type:',
    map_windows: 'Windows', map_windows_steps: 'Open File Explorer, right-click “This PC” → “Map network drive…”, pick a letter, paste the address below into “Folder”, tick “Connect using different credentials”, then type your user name and the app password.',
    map_windows_cmd: 'Or, in a command prompt (the password is asked for):',
    map_macos: 'macOS', map_macos_steps: 'In Finder, “Go” menu → “Connect to Server…” (⌘K), paste the address below, then “Connect”: type your user name and the app password.',
    map_linux: 'Linux', map_linux_steps: 'In Files (GNOME), “Other Locations” → “Connect to Server”, type the address below, then your user name and the app password.',
    map_linux_kde: 'In Dolphin (KDE), type in the location bar:',
    map_linux_mount: 'Or mount it with davfs2:',
    audit: 'Audit log', audit_title: 'Audit log — {lib}', audit_csv: 'Export as CSV', when: 'When', who: 'Who', from: 'Address', action: 'Action', path: 'Path', detail: 'Detail',
    more: 'Older…', no_audit: 'No entries.',
    a_read: 'Read', a_write: 'Saved', a_mkdir: 'New folder', a_delete: 'Moved to the recycle bin', a_move: 'Moved',
    a_copy: 'Copied', a_restore: 'Restored', a_lock: 'Locked', a_unlock: 'Unlocked', a_force_unlock: 'Forced unlock',
    a_grant: 'Role granted', a_revoke: 'Role removed', a_library_create: 'Library created', a_library_update: 'Library changed',
    a_library_delete: 'Library deleted', a_empty_trash: 'Recycle bin emptied', a_purge_trash: 'Recycle bin purged',
    a_move_over: 'Moved (replaced)', a_copy_over: 'Copied (replaced)', a_props: 'Properties changed',
    a_lock_refresh: 'Lock refreshed', a_unknown: 'Other action ({code})',
    d_timeout: 'timeout {n} s', d_props_set: 'set:', d_props_removed: 'removed:', d_props_modified: 'modification date: {date}',
    d_props_more: 'and {n} more',
    d_version: 'version {n}', d_to: 'to {p}', d_from: 'from {p}', d_from_trash: 'from the recycle bin', d_held_by: 'held by {user}',
    d_library: 'quota {quota}, {n} versions kept', d_unlimited: 'unlimited', d_entries: {one: '{n} item', other: '{n} items'}, d_entries_older: {one: '{n} item older than {date}', other: '{n} items older than {date}'},
    d_exclusive: 'exclusive', d_shared: 'shared', d_system: 'Kaz (automatic)',
    locks: 'Locks', locks_title: 'Active locks — {lib}', no_locks: 'No active lock.', expires: 'Expires', holder: 'Held by',
    back: 'Back to the folder',
    loading: 'Loading…',
    err_403: 'Your role in this library does not allow this.',
    err_404: 'Item not found (or you do not have access).',
    err_409: 'An item already has this name, or the parent folder does not exist.',
    err_412: 'The item changed meanwhile, or the destination already exists.',
    err_423: 'The item is locked by someone else (document open).',
    err_507: 'The library’s quota is exceeded.',
    err_400: 'Invalid name (forbidden characters, reserved or too long), or incomplete upload.',
    truncated: 'This folder is very large: only the first {n} items are shown. Use a network drive to see everything.',
  },
});

let cssLoaded = false;
function loadCSS() {
  if (cssLoaded || document.querySelector('link[data-kaz-libraries-css]')) return;
  cssLoaded = true;
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = new URL('./libraries.css', import.meta.url).pathname;
  l.setAttribute('data-kaz-libraries-css', '');
  document.head.append(l);
}

/** message turns an ApiError into plain words in the current language. */
function message(err) {
  const known = {400: 'err_400', 403: 'err_403', 404: 'err_404', 409: 'err_409', 412: 'err_412', 423: 'err_423', 507: 'err_507'};
  if (err && known[err.status]) return t(known[err.status]);
  return (err && err.message) || String(err);
}

const enc = encodeURIComponent;
const apiBase = (lib) => `/api/libraries/${enc(lib)}`;
const joinPath = (dir, name) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const baseName = (p) => p.slice(p.lastIndexOf('/') + 1);
/** folderHash is the route of a folder. */
function folderHash(lib, path, query) {
  const segs = path.split('/').filter(Boolean).map(enc);
  return `#/libraries/${[enc(lib), ...segs].join('/')}${query ? `?${query}` : ''}`;
}
function fileURL(lib, path, extra) {
  return `${apiBase(lib)}/files?path=${enc(path)}${extra || ''}`;
}

/** render is the section's entry point. */
export async function render(root, ctx) {
  loadCSS();
  const rest = (ctx.params && ctx.params.rest) || [];
  if (rest.length === 0) return renderList(root, ctx);
  const lib = rest[0];
  const path = `/${rest.slice(1).join('/')}`.replace(/\/+$/, '') || '/';
  switch (ctx.params.view) {
    case 'trash': return renderTrash(root, ctx, lib);
    case 'audit': return renderAudit(root, ctx, lib);
    case 'map': return renderMap(root, ctx, lib);
    case 'locks': return renderLocks(root, ctx, lib);
    default: return renderFolder(root, ctx, lib, path);
  }
}

function roleText(role) {
  return role ? t(`role_${role}`) : '';
}

async function renderList(root, ctx) {
  clear(root);
  root.append(heading(t('title')), el('p', {class: 'muted'}, t('intro')));
  let data;
  try {
    data = await ctx.api('GET', '/api/libraries');
  } catch (err) {
    root.append(errorBanner({message: message(err)}));
    return;
  }
  const libs = (data && data.libraries) || [];
  if (!libs.length) {
    root.append(el('p', {class: 'banner banner-info', 'data-testid': 'libraries-none'}, t('none')));
    return;
  }
  root.append(el('ul', {class: 'cards', 'data-testid': 'libraries-list'}, libs.map((l) => el('li', {class: 'card card-section', 'data-testid': `library-card-${l.name}`},
    el('div', {class: 'card-head'}, el('h2', {}, el('a', {href: folderHash(l.name, '/'), 'data-testid': 'library-link'}, l.name))),
    el('p', {}, l.description || ''),
    el('p', {class: 'lib-quota'}, el('span', {class: 'badge badge-info'}, roleText(l.role)), ' ',
      l.quota > 0 ? t('used_of', {used: formatSize(l.used), quota: formatSize(l.quota)}) : t('used', {used: formatSize(l.used)})),
    el('a', {class: 'btn btn-primary', href: folderHash(l.name, '/')}, t('open'))))));
}

function breadcrumbs(lib, path, extra) {
  const segs = path.split('/').filter(Boolean);
  const items = [el('li', {}, el('a', {href: '#/libraries'}, t('title'))),
    el('li', {}, el('a', {href: folderHash(lib, '/'), 'aria-current': segs.length === 0 && !extra ? 'page' : null}, lib))];
  segs.forEach((s, i) => {
    const p = `/${segs.slice(0, i + 1).join('/')}`;
    items.push(el('li', {}, el('a', {href: folderHash(lib, p), 'aria-current': i === segs.length - 1 && !extra ? 'page' : null}, s)));
  });
  if (extra) items.push(el('li', {}, el('a', {href: '#', 'aria-current': 'page', onclick: (e) => e.preventDefault()}, extra)));
  return el('nav', {class: 'breadcrumbs', 'aria-label': t('breadcrumbs'), 'data-testid': 'breadcrumbs'}, el('ol', {}, items));
}

const SORTS = ['name', 'modified', 'size'];

function sortItems(items, key, dir) {
  const mul = dir === 'desc' ? -1 : 1;
  const coll = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  return [...items].sort((a, b) => {
    if (a.is_dir !== b.is_dir) return a.is_dir ? -1 : 1;
    let c = 0;
    if (key === 'modified') c = new Date(a.modified) - new Date(b.modified);
    else if (key === 'size') c = a.size - b.size;
    if (c === 0) c = coll.compare(a.name, b.name);
    return c * mul;
  });
}

async function renderFolder(root, ctx, lib, path) {
  clear(root);
  const title = heading(path === '/' ? lib : baseName(path));
  root.append(title, breadcrumbs(lib, path));
  const status = el('div', {class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'folder-status'});
  root.append(status);
  let data;
  try {
    data = await ctx.api('GET', `${apiBase(lib)}/items?path=${enc(path)}`);
  } catch (err) {
    root.append(errorBanner({message: message(err)}));
    return;
  }
  if (!data.item.is_dir) {
    // A file's address: offer it for download.
    root.append(el('p', {}, el('a', {class: 'btn btn-primary', href: fileURL(lib, path), download: baseName(path)}, t('download'))));
    return;
  }
  const role = data.role;
  const canWrite = role === 'editor' || role === 'owner';
  const isOwner = role === 'owner';
  let trashDays = 93;

  // Toolbar.
  // The file input stays hidden: a real button opens its file chooser, so
  // that it is reached with Tab, activated with Enter or Space and announced
  // as a button.
  const fileInput = el('input', {type: 'file', multiple: true, hidden: true, 'data-testid': 'upload-input', 'aria-label': t('upload_label')});
  const toolbar = el('div', {class: 'lib-toolbar', role: 'toolbar', 'aria-label': t('actions')},
    canWrite ? el('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'upload-button', onclick: () => fileInput.click()}, t('upload')) : null,
    canWrite ? fileInput : null,
    canWrite ? el('button', {type: 'button', class: 'btn', 'data-testid': 'new-folder-button', onclick: newFolder}, t('new_folder')) : null,
    el('span', {class: 'spacer'}),
    el('a', {class: 'btn btn-ghost', href: folderHash(lib, '/', 'view=trash'), 'data-testid': 'trash-link'}, t('trash')),
    el('a', {class: 'btn btn-ghost', href: folderHash(lib, '/', 'view=locks'), 'data-testid': 'locks-link'}, t('locks')),
    el('a', {class: 'btn btn-ghost', href: folderHash(lib, '/', 'view=map'), 'data-testid': 'map-drive-link'}, t('map')),
    isOwner ? el('a', {class: 'btn btn-ghost', href: folderHash(lib, '/', 'view=audit'), 'data-testid': 'audit-link'}, t('audit')) : null);
  root.append(toolbar);
  if (data.truncated) root.append(el('p', {class: 'banner banner-warning'}, t('truncated', {n: data.items.length})));

  const uploads = el('ul', {class: 'lib-uploads', 'aria-label': t('uploads'), 'data-testid': 'uploads'});
  const drop = el('div', {class: 'lib-drop', 'data-testid': 'drop-zone'});
  if (canWrite) drop.append(el('p', {class: 'lib-drop-hint'}, t('drop_hint')));
  root.append(uploads, drop);

  let sortKey = SORTS.includes(ctx.params.sort) ? ctx.params.sort : 'name';
  let sortDir = ctx.params.dir === 'desc' ? 'desc' : 'asc';
  let items = data.items || [];
  const tableHost = el('div');
  drop.append(tableHost);
  const panel = el('div', {class: 'lib-panel'});
  root.append(panel);

  function header(col, label) {
    const active = sortKey === col;
    const aria = active ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none';
    return el('th', {scope: 'col', 'aria-sort': aria, class: col === 'size' ? 'num' : null},
      el('button', {type: 'button', class: 'sort', 'data-testid': `sort-${col}`, 'aria-label': t('sort_by', {col: label}), onclick: () => {
        if (sortKey === col) sortDir = sortDir === 'asc' ? 'desc' : 'asc';
        else { sortKey = col; sortDir = 'asc'; }
        history.replaceState(null, '', folderHash(lib, path, `sort=${sortKey}&dir=${sortDir}`));
        draw();
      }}, label, active ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''));
  }

  function row(it) {
    const itemPath = joinPath(path, it.name);
    const link = it.is_dir
      ? el('a', {href: folderHash(lib, itemPath), 'data-testid': 'item-link'}, it.name)
      : el('a', {href: fileURL(lib, itemPath), download: it.name, 'data-testid': 'item-link'}, it.name);
    const lock = it.locked_by
      ? el('span', {class: 'badge badge-warn lib-lock', 'data-testid': 'lock-badge', title: it.lock_expires ? `${t('expires')} ${formatDate(it.lock_expires)}` : null},
        svgIcon(ICON.lock, 'lib-lock-icon'), ' ', t('locked_by', {user: it.locked_by}))
      : null;
    const acts = el('div', {class: 'lib-row-actions'});
    if (!it.is_dir) {
      // "Open in Word/LibreOffice" first: for an office document it is what
      // the agent came for.
      const openHost = el('span', {class: 'lib-open'});
      acts.append(openHost);
      desktopLinks(ctx, lib, itemPath, openHost);
      acts.append(el('a', {class: 'btn btn-small', href: fileURL(lib, itemPath), download: it.name, 'data-testid': 'download-button',
        'aria-label': t('download_item', {name: it.name})}, t('download')));
      acts.append(el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'versions-button',
        'aria-label': t('versions_item', {name: it.name}), onclick: () => showVersions(it, itemPath)}, t('versions')));
    }
    // Each button's accessible name starts with its visible text and names
    // the item: a screen reader listing the buttons hears "Supprimer
    // rapport.docx", not ten times "Supprimer".
    if (canWrite) {
      acts.append(el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'rename-button', title: t('rename'),
        'aria-label': t('rename_item', {name: it.name}), onclick: () => renameItem(it, itemPath)}, t('rename_short')));
      acts.append(el('button', {type: 'button', class: 'btn btn-small btn-danger', 'data-testid': 'delete-button',
        'aria-label': t('delete_item', {name: it.name}), onclick: () => deleteItem(it, itemPath)}, t('delete')));
    }
    if (isOwner && it.locked_by && it.lock_token) {
      acts.append(el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'force-unlock-button',
        'aria-label': t('force_unlock_item', {name: it.name}), onclick: () => forceUnlock(it)}, t('force_unlock')));
    }
    return el('tr', {'data-testid': 'item-row', 'data-name': it.name, 'data-kind': it.is_dir ? 'folder' : 'file'},
      el('th', {scope: 'row'}, el('span', {class: 'lib-name'}, el('span', {class: ['lib-icon', it.is_dir ? 'lib-icon-folder' : `lib-icon-${fileKind(it.name)}`], 'aria-label': it.is_dir ? t('folder') : t('file'), role: 'img'}, svgIcon(it.is_dir ? ICON.folder : ICON.file)), link, lock ? ' ' : null, lock)),
      el('td', {class: 'lib-date'}, formatDate(it.modified)),
      el('td', {}, it.modified_by || ''),
      el('td', {class: 'num'}, it.is_dir ? '' : formatSize(it.size)),
      el('td', {class: 'actions'}, acts));
  }

  function draw() {
    const sorted = sortItems(items, sortKey, sortDir);
    clear(tableHost);
    if (!sorted.length) {
      tableHost.append(el('p', {class: 'muted', 'data-testid': 'folder-empty'}, t('empty_folder')));
      return;
    }
    tableHost.append(el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'folder-table'},
      el('thead', {}, el('tr', {}, header('name', t('name')), header('modified', t('modified')), el('th', {scope: 'col'}, t('modified_by')),
        header('size', t('size')), el('th', {scope: 'col', class: 'actions'}, t('actions')))),
      el('tbody', {}, sorted.map(row)))));
  }
  draw();

  async function reload() {
    try {
      const d = await ctx.api('GET', `${apiBase(lib)}/items?path=${enc(path)}`);
      items = d.items || [];
      draw();
    } catch (err) {
      notify(message(err), 'error');
    }
  }

  async function uploadFiles(files) {
    if (!canWrite || !files.length) return;
    let ok = 0;
    for (const file of files) {
      const bar = el('progress', {max: String(file.size || 1), value: '0', 'aria-label': t('uploading', {name: file.name})});
      const pct = el('span', {'data-testid': 'upload-percent'}, '0 %');
      const li = el('li', {'data-testid': 'upload-item', 'data-name': file.name}, el('span', {}, file.name), bar, pct);
      uploads.append(li);
      try {
        await ctx.api.upload(fileURL(lib, joinPath(path, file.name), file.lastModified ? `&modified=${file.lastModified}` : ''), file, {
          method: 'PUT',
          headers: {'Content-Type': file.type || 'application/octet-stream'},
          onProgress: (sent, total) => {
            bar.max = total || 1;
            bar.value = sent;
            pct.textContent = `${total ? Math.round((sent / total) * 100) : 100} %`;
          },
        });
        bar.value = bar.max;
        pct.textContent = '100 %';
        li.dataset.state = 'done';
        ok++;
        status.textContent = t('uploaded', {name: file.name});
      } catch (err) {
        li.dataset.state = 'error';
        pct.textContent = message(err);
        pct.className = 'is-error';
        notify(t('upload_failed', {name: file.name, message: message(err)}), 'error');
      }
    }
    if (ok) notify(t('uploads_done', {n: ok}), 'success');
    await reload();
  }

  if (canWrite) {
    fileInput.addEventListener('change', () => {
      const files = [...fileInput.files];
      fileInput.value = '';
      uploadFiles(files);
    });
    drop.addEventListener('dragover', (e) => {
      if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      drop.classList.add('is-over');
    });
    drop.addEventListener('dragleave', (e) => { if (e.target === drop) drop.classList.remove('is-over'); });
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('is-over');
      const files = [...((e.dataTransfer && e.dataTransfer.files) || [])];
      uploadFiles(files);
    });
  }

  async function newFolder() {
    const name = await promptDialog({title: t('new_folder'), label: t('folder_name'), confirm: t('create'), cancel: t('close')});
    if (!name) return;
    try {
      await ctx.api('POST', `${apiBase(lib)}/folders`, {path: joinPath(path, name)});
      notify(t('created', {name}), 'success');
      await reload();
    } catch (err) {
      notify(message(err), 'error');
    }
  }

  async function renameItem(it, itemPath) {
    const to = await promptDialog({title: t('rename_title', {name: it.name}), label: t('new_path', {name: it.name}), value: itemPath, confirm: t('move'), cancel: t('close')});
    if (!to || to === itemPath) return;
    try {
      await ctx.api('POST', `${apiBase(lib)}/move`, {from: itemPath, to: to.startsWith('/') ? to : joinPath(path, to)});
      notify(t('moved', {name: it.name, path: to}), 'success');
      await reload();
    } catch (err) {
      notify(message(err), 'error');
    }
  }

  async function deleteItem(it, itemPath) {
    const ok = await confirmDialog({title: t('delete_title', {name: it.name}), message: t('delete_text', {days: trashDays}), confirm: t('delete'), danger: true});
    if (!ok) return;
    try {
      await ctx.api('DELETE', `${apiBase(lib)}/items?path=${enc(itemPath)}`);
      notify(t('deleted', {name: it.name}), 'success');
      await reload();
    } catch (err) {
      notify(message(err), 'error');
    }
  }

  async function forceUnlock(it) {
    const ok = await confirmDialog({title: t('force_title', {name: it.name}), message: t('force_text', {user: it.locked_by}), confirm: t('force_unlock'), danger: true});
    if (!ok) return;
    try {
      await ctx.api('POST', `${apiBase(lib)}/locks/force-unlock`, {token: it.lock_token});
      notify(t('unlocked'), 'success');
      await reload();
    } catch (err) {
      notify(message(err), 'error');
    }
  }

  async function showVersions(it, itemPath) {
    clear(panel);
    const titleId = 'lib-versions-title';
    const box = el('section', {class: 'card', 'aria-labelledby': titleId, 'data-testid': 'versions-panel'},
      el('h2', {id: titleId, tabindex: '-1'}, t('versions_title', {name: it.name})));
    panel.append(box);
    let vs;
    try {
      vs = (await ctx.api('GET', `${apiBase(lib)}/versions?path=${enc(itemPath)}`)).versions || [];
    } catch (err) {
      box.append(errorBanner({message: message(err)}));
      return;
    }
    box.append(el('div', {class: 'table-wrap'}, el('table', {class: 'table'},
      el('thead', {}, el('tr', {}, ['version', 'modified', 'modified_by', 'size', 'actions'].map((k) => el('th', {scope: 'col', class: k === 'size' ? 'num' : null}, t(k))))),
      el('tbody', {}, vs.map((v) => el('tr', {'data-testid': 'version-row', 'data-version': String(v.version)},
        el('th', {scope: 'row'}, String(v.version), v.current ? ` (${t('current')})` : ''),
        el('td', {}, formatDate(v.modified)),
        el('td', {}, v.modified_by || ''),
        el('td', {class: 'num'}, formatSize(v.size)),
        el('td', {class: 'actions'}, el('div', {class: 'lib-row-actions'},
          el('a', {class: 'btn btn-small', href: fileURL(lib, itemPath, `&version=${v.version}`), download: '', 'data-testid': 'version-download',
            'aria-label': t('version_download', {v: v.version})}, t('download')),
          canWrite && !v.current ? el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'version-restore',
            'aria-label': t('version_restore', {v: v.version}), onclick: async () => {
            const ok = await confirmDialog({title: t('restore_title', {v: v.version}), message: t('restore_text'), confirm: t('restore')});
            if (!ok) return;
            try {
              await ctx.api('POST', `${apiBase(lib)}/versions/restore`, {path: itemPath, version: v.version});
              notify(t('restored_version', {v: v.version}), 'success');
              await reload();
              await showVersions(it, itemPath);
            } catch (err) {
              notify(message(err), 'error');
            }
          }}, t('restore')) : null))))))));
    box.append(el('p', {}, el('button', {type: 'button', class: 'btn', 'data-testid': 'versions-close', onclick: () => clear(panel)}, t('close'))));
    box.querySelector('h2').focus();
  }

  // The purge delay, for the delete dialog (best effort).
  ctx.api('GET', `${apiBase(lib)}/trash`).then((d) => { if (d && d.purge_days) trashDays = d.purge_days; }).catch(() => {});
  return undefined;
}

const OFFICE = /\.(docx?|docm|dotx?|odt|rtf|xlsx?|xlsm|xltx?|ods|csv|pptx?|pptm|potx?|odp|odg)$/i;

/** desktopLinks adds "Open in Word/LibreOffice" links for office documents. */
async function desktopLinks(ctx, lib, path, host) {
  if (!OFFICE.test(path)) return;
  try {
    const d = await ctx.api('GET', `${apiBase(lib)}/open-links?path=${enc(path)}`);
    for (const [app, href] of Object.entries(d.links || {})) {
      host.append(el('a', {class: 'btn btn-small btn-primary', href, 'data-testid': `open-desktop-${app}`,
        'aria-label': t('open_in_item', {app: t(`app_${app}`), name: baseName(path)})}, t('open_in', {app: t(`app_${app}`)})));
    }
  } catch {
    // The links are a convenience; the download stays.
  }
}

function subHeader(root, lib, titleText, extra) {
  root.append(heading(titleText), breadcrumbs(lib, '/', extra),
    el('p', {}, el('a', {href: folderHash(lib, '/'), 'data-testid': 'back-link'}, `← ${t('back')}`)));
}

async function renderTrash(root, ctx, lib) {
  clear(root);
  subHeader(root, lib, t('trash_title', {lib}), t('trash'));
  const host = el('div', {'data-testid': 'trash-view'});
  root.append(host);
  async function draw() {
    clear(host);
    let data;
    let role = '';
    try {
      data = await ctx.api('GET', `${apiBase(lib)}/trash`);
      role = (await ctx.api('GET', apiBase(lib))).role;
    } catch (err) {
      host.append(errorBanner({message: message(err)}));
      return;
    }
    host.append(el('p', {class: 'muted'}, t('trash_intro', {days: data.purge_days})));
    const entries = data.entries || [];
    if (role === 'owner' && entries.length) {
      host.append(el('p', {}, el('button', {type: 'button', class: 'btn btn-danger', 'data-testid': 'trash-empty', onclick: async () => {
        const ok = await confirmDialog({title: t('empty_title'), message: t('empty_text'), confirm: t('empty_trash'), danger: true});
        if (!ok) return;
        try {
          const r = await ctx.api('DELETE', `${apiBase(lib)}/trash`);
          notify(t('emptied', {n: r.removed}), 'success');
          draw();
        } catch (err) {
          notify(message(err), 'error');
        }
      }}, t('empty_trash'))));
    }
    if (!entries.length) {
      host.append(el('p', {class: 'banner banner-info', 'data-testid': 'trash-none'}, t('trash_empty_list')));
      return;
    }
    const canWrite = role === 'editor' || role === 'owner';
    host.append(el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'trash-table'},
      el('thead', {}, el('tr', {}, [t('name'), t('original_path'), t('deleted_on'), t('deleted_by'), t('size'), t('actions')].map((h) => el('th', {scope: 'col'}, h)))),
      el('tbody', {}, entries.map((e) => el('tr', {'data-testid': 'trash-row', 'data-name': e.name},
        el('th', {scope: 'row'}, el('span', {class: 'lib-name'}, el('span', {class: ['lib-icon', e.is_dir ? 'lib-icon-folder' : `lib-icon-${fileKind(e.name)}`], 'aria-label': e.is_dir ? t('folder') : t('file'), role: 'img'}, svgIcon(e.is_dir ? ICON.folder : ICON.file)), e.name)),
        el('td', {}, e.path),
        el('td', {}, formatDate(e.deleted)),
        el('td', {}, e.deleted_by),
        el('td', {class: 'num'}, formatSize(e.size)),
        el('td', {class: 'actions'}, canWrite ? el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'trash-restore',
          'aria-label': t('restore_item', {name: e.name}), onclick: async () => {
          try {
            const it = await ctx.api('POST', `${apiBase(lib)}/trash/${e.id}/restore`);
            notify(t('restore_done', {name: e.name, path: it.path}), 'success');
            draw();
          } catch (err) {
            notify(message(err), 'error');
          }
        }}, t('restore')) : null)))))));
  }
  await draw();
}

async function renderLocks(root, ctx, lib) {
  clear(root);
  subHeader(root, lib, t('locks_title', {lib}), t('locks'));
  const host = el('div', {'data-testid': 'locks-view'});
  root.append(host);
  async function draw() {
    clear(host);
    let data;
    let role = '';
    try {
      data = await ctx.api('GET', `${apiBase(lib)}/locks`);
      role = (await ctx.api('GET', apiBase(lib))).role;
    } catch (err) {
      host.append(errorBanner({message: message(err)}));
      return;
    }
    const locks = data.locks || [];
    if (!locks.length) {
      host.append(el('p', {class: 'banner banner-info'}, t('no_locks')));
      return;
    }
    host.append(el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'locks-table'},
      el('thead', {}, el('tr', {}, [t('path'), t('holder'), t('expires'), t('actions')].map((h) => el('th', {scope: 'col'}, h)))),
      el('tbody', {}, locks.map((l) => el('tr', {'data-testid': 'lock-row'},
        el('th', {scope: 'row'}, l.path), el('td', {}, l.user), el('td', {}, formatDate(l.expires)),
        el('td', {class: 'actions'}, role === 'owner' && l.token ? el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'force-unlock-button',
          'aria-label': t('force_unlock_item', {name: l.path}), onclick: async () => {
          const ok = await confirmDialog({title: t('force_title', {name: l.path}), message: t('force_text', {user: l.user}), confirm: t('force_unlock'), danger: true});
          if (!ok) return;
          try {
            await ctx.api('POST', `${apiBase(lib)}/locks/force-unlock`, {token: l.token});
            notify(t('unlocked'), 'success');
            draw();
          } catch (err) {
            notify(message(err), 'error');
          }
        }}, t('force_unlock')) : null)))))));
  }
  await draw();
}

async function renderMap(root, ctx, lib) {
  clear(root);
  subHeader(root, lib, t('map_title', {lib}), t('map'));
  let info;
  try {
    info = await ctx.api('GET', apiBase(lib));
  } catch (err) {
    root.append(errorBanner({message: message(err)}));
    return;
  }
  const url = info.dav_url;
  const user = (ctx.me && (ctx.me.user || ctx.me.name)) || 'VOTRE-IDENTIFIANT';
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const gnome = `${tls ? 'davs' : 'dav'}://${u.host}${u.pathname}`;
  const kde = `${tls ? 'webdavs' : 'webdav'}://${u.host}${u.pathname}`;
  const mountPoint = `/mnt/${lib}`;
  // exact shows an address to type, with its copy button.
  const exact = (addr, testid) => el('p', {}, el('strong', {}, `${t('map_exact_url')} `),
    el('code', {'data-testid': testid}, addr), ' ', copyButton(addr));
  const os = (key, ...body) => el('section', {class: 'card', 'aria-labelledby': `lib-map-${key}`, 'data-testid': `map-${key}`},
    el('h2', {id: `lib-map-${key}`}, t(`map_${key}`)), ...body);
  root.append(el('div', {class: 'lib-map', 'data-testid': 'map-help'},
    el('p', {}, t('map_intro')),
    el('p', {}, el('strong', {}, `${t('map_url')} `), el('code', {'data-testid': 'map-url'}, url), ' ', copyButton(url)),
    el('p', {}, el('strong', {}, `${t('map_user')} `), el('code', {'data-testid': 'map-user'}, user)),
    mapPassword(ctx, user),
    el('div', {class: 'grid-2'},
      os('windows', el('p', {}, t('map_windows_steps')), exact(url, 'map-url-windows'),
        el('p', {}, t('map_windows_cmd')), el('pre', {}, el('code', {}, `net use * "${url}" /user:${user} /persistent:yes`))),
      os('macos', el('p', {}, t('map_macos_steps')), exact(url, 'map-url-macos')),
      os('linux', el('p', {}, t('map_linux_steps')), exact(gnome, 'map-url-linux'),
        el('p', {}, t('map_linux_kde')), exact(kde, 'map-url-kde'),
        el('p', {}, t('map_linux_mount')), el('pre', {}, el('code', {}, `sudo mount -t davfs "${url}" ${mountPoint}`))))));
}

/**
 * mapPassword is the "network drive password" card of the map help: one
 * button creates an app password (POST /api/apppasswords, as the account
 * page does), shown once with a copy button and what to do with it.
 */
function mapPassword(ctx, user) {
  const shown = el('div', {'data-testid': 'map-password-shown'});
  const error = el('p', {class: 'field-error', role: 'alert', 'data-testid': 'map-password-error'});
  const button = el('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'map-create-password'}, t('map_password'));
  const card = el('section', {class: 'card', 'aria-labelledby': 'lib-map-password', 'data-testid': 'map-password'},
    el('h2', {id: 'lib-map-password'}, t('map_password_title')),
    el('p', {}, t('map_password_intro')),
    el('p', {}, button),
    error, shown,
    el('p', {}, el('a', {href: '#/account', 'data-testid': 'map-app-password'}, t('map_password_manage'))));

  function failure(err) {
    const status = err && err.status;
    if (status === 0) return t('map_password_err_network');
    if (status === 401) return t('map_password_err_session');
    if (status === 403) return t('map_password_err_refused');
    return t('map_password_err_other');
  }

  async function create() {
    const base = t('map_password_label', {date: formatDate(new Date(), {dateStyle: 'short', timeStyle: 'short'})});
    // Labels are unique per user: a second click in the same minute gets
    // a number.
    for (let n = 1; ; n++) {
      const label = n === 1 ? base : `${base} (${n})`;
      try {
        return await ctx.api('POST', '/api/apppasswords', {label});
      } catch (err) {
        if (!(err && err.status === 409) || n >= 5) throw err;
      }
    }
  }

  button.addEventListener('click', async () => {
    error.textContent = '';
    clear(shown);
    button.disabled = true;
    button.textContent = t('map_password_creating');
    let created;
    try {
      created = await create();
    } catch (err) {
      error.textContent = failure(err);
      return;
    } finally {
      button.disabled = false;
      button.textContent = t('map_password');
    }
    const secret = el('code', {class: 'secret', tabindex: '0', 'data-testid': 'map-password-secret'}, created.password);
    const done = el('button', {type: 'button', class: 'btn', 'data-testid': 'map-password-done'}, t('map_password_done'));
    // The secret leaves the page when dismissed: it is never fetched again.
    done.addEventListener('click', () => { clear(shown); button.focus(); });
    shown.append(el('div', {class: 'banner banner-success', role: 'status'},
      el('p', {}, el('strong', {}, t('map_password_shown', {label: created.label})), ' ', secret, ' ', copyButton(() => created.password)),
      el('p', {'data-testid': 'map-password-use'}, t('map_password_use', {user})),
      done));
    secret.focus();
  });
  return card;
}

async function renderAudit(root, ctx, lib) {
  clear(root);
  subHeader(root, lib, t('audit_title', {lib}), t('audit'));
  const host = el('div', {'data-testid': 'audit-view'});
  root.append(el('p', {}, el('a', {class: 'btn', href: `${apiBase(lib)}/audit.csv`, download: `audit-${lib}.csv`, 'data-testid': 'audit-csv'}, t('audit_csv'))), host);
  const tbody = el('tbody');
  const more = el('button', {type: 'button', class: 'btn', 'data-testid': 'audit-more'}, t('more'));
  host.append(el('div', {class: 'table-wrap'}, el('table', {class: 'table', 'data-testid': 'audit-table'},
    el('thead', {}, el('tr', {}, [t('when'), t('who'), t('from'), t('action'), t('path'), t('detail')].map((h) => el('th', {scope: 'col'}, h)))), tbody)));
  let before = 0;
  async function page() {
    let data;
    try {
      data = await ctx.api('GET', `${apiBase(lib)}/audit?limit=100${before ? `&before=${before}` : ''}`);
    } catch (err) {
      host.prepend(errorBanner({message: message(err)}));
      more.remove();
      return;
    }
    const es = data.entries || [];
    if (!es.length && !before) tbody.append(el('tr', {}, el('td', {colspan: '6'}, t('no_audit'))));
    for (const e of es) {
      tbody.append(el('tr', {'data-testid': 'audit-row', 'data-action': e.action}, el('td', {}, formatDate(e.time)), el('td', {}, e.user || t('d_system')), el('td', {}, e.ip),
        el('td', {}, auditAction(e.action)), el('td', {}, e.path), el('td', {}, auditDetail(e.action, e.detail || ''))));
    }
    if (es.length) before = es[es.length - 1].id;
    if (es.length < 100) more.remove();
  }
  more.addEventListener('click', page);
  host.append(el('p', {}, more));
  await page();
}

// The audit log stores codes and English details (they are exported as CSV
// as stored); the page says them in the reader's language.
// An action this page does not know yet (added on the server since) is
// still shown, as "Other action (lock steal)".
function auditAction(code) {
  if (!code) return '—';
  const k = `a_${code}`;
  const v = t(k);
  return v === k ? t('a_unknown', {code: String(code).replace(/_/g, ' ')}) : v;
}

function auditDetail(action, d) {
  let m;
  if ((m = /^(\d+) bytes$/.exec(d))) return formatSize(Number(m[1]));
  if ((m = /^version (\d+), (\d+) bytes$/.exec(d))) return `${t('d_version', {n: m[1]})}, ${formatSize(Number(m[2]))}`;
  if ((m = /^version (\d+)$/.exec(d))) return t('d_version', {n: m[1]});
  if (d === 'from the recycle bin') return t('d_from_trash');
  if ((m = /^to (.+)$/.exec(d))) return t('d_to', {p: m[1]});
  if ((m = /^from (.+)$/.exec(d))) return t('d_from', {p: m[1]});
  if ((m = /^held by (.+)$/.exec(d))) return t('d_held_by', {user: m[1]});
  if ((m = /^quota=(\d+) max_versions=(\d+)$/.exec(d))) {
    return t('d_library', {quota: Number(m[1]) > 0 ? formatSize(Number(m[1])) : t('d_unlimited'), n: m[2]});
  }
  if ((m = /^(\d+) entries older than (\d{4}-\d{2}-\d{2})$/.exec(d))) return t('d_entries_older', {n: m[1], date: formatDate(`${m[2]}T00:00:00Z`, {dateStyle: 'medium'})});
  if ((m = /^(\d+) entries$/.exec(d))) return t('d_entries', {n: m[1]});
  if (action === 'lock' && (d === 'exclusive' || d === 'shared')) return t(`d_${d}`);
  if ((m = /^timeout (\d+) s$/.exec(d))) return t('d_timeout', {n: m[1]});
  if (action === 'props') return propsDetail(d);
  if (action === 'grant' && (m = /^(owner|editor|reader) (.+)$/.exec(d))) return `${roleText(m[1])} — ${m[2]}`;
  return d;
}

// propsDetail says "set a, b; removed c; modified 2026-03-01T10:00:00Z" (a
// PROPPATCH) in the reader's language; a part it does not know stays as is.
function propsDetail(d) {
  return d.split('; ').map((part) => {
    let m;
    if ((m = /^modified (\S+)$/.exec(part))) return t('d_props_modified', {date: formatDate(m[1]) || m[1]});
    if ((m = /^(set|removed) (.+)$/.exec(part))) {
      const names = m[2].replace(/ and (\d+) more$/, (_, n) => ` ${t('d_props_more', {n})}`);
      return `${t(m[1] === 'set' ? 'd_props_set' : 'd_props_removed')} ${names}`;
    }
    return part;
  }).join(t.lang() === 'en' ? '; ' : ' ; ');
}
