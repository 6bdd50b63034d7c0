// sections/home.js — the welcome page: the three sections of Kaz as cards.

import {translator} from '../i18n.js';
import {el, heading, svgIcon} from '../ui.js';

const t = translator({
  fr: {
    title: 'Bonjour {name}',
    title_anon: 'Bienvenue dans Kaz',
    intro: "Kaz est votre espace de travail partagé : vos documents, la recherche et votre téléphone de bureau, au même endroit, depuis chez vous comme au bureau.",
    libraries: 'Bibliothèques',
    libraries_text: "Les documents partagés de vos équipes : ouvrez-les dans Word ou LibreOffice, retrouvez les versions précédentes, récupérez un fichier supprimé, connectez une bibliothèque comme lecteur réseau.",
    libraries_go: 'Ouvrir les bibliothèques',
    search: 'Recherche',
    search_text: "Retrouvez un document par son contenu, même sans accents ni mot exact. Vous ne voyez que ce que vous avez le droit d'ouvrir.",
    search_go: 'Rechercher un document',
    phone: 'Téléphone',
    phone_text: "Votre numéro de poste sur votre ordinateur : recevez et passez les appels du standard avec votre casque.",
    phone_go: 'Ouvrir le téléphone',
    sections: 'Vos outils',
    account_hint: 'Sécurité de votre compte, seconds facteurs et mots de passe d’application : {link}.',
    account_link: 'mon compte',
  },
  en: {
    title: 'Hello {name}',
    title_anon: 'Welcome to Kaz',
    intro: 'Kaz is your shared workspace: your documents, search and your office phone in one place, from home as at the office.',
    libraries: 'Libraries',
    libraries_text: 'Your teams’ shared documents: open them in Word or LibreOffice, find earlier versions, recover a deleted file, connect a library as a network drive.',
    libraries_go: 'Open the libraries',
    search: 'Search',
    search_text: 'Find a document by what it says, even without accents or the exact word. You only see what you are allowed to open.',
    search_go: 'Search for a document',
    phone: 'Phone',
    phone_text: 'Your office extension on your computer: take and place switchboard calls with your headset.',
    phone_go: 'Open the phone',
    sections: 'Your tools',
    account_hint: 'Your account’s security, second factors and app passwords: {link}.',
    account_link: 'my account',
  },
});

const ICONS = {
  libraries: 'M4 5a2 2 0 0 1 2-2h4l2 2h6a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2z',
  search: 'M10.5 4a6.5 6.5 0 0 1 5.2 10.4l4.4 4.4-1.4 1.4-4.4-4.4A6.5 6.5 0 1 1 10.5 4zm0 2a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9z',
  phone: 'M6.6 3.5 9 3l1.6 4-1.9 1.4a11 11 0 0 0 4.9 4.9L15 11.4l4 1.6-.5 2.4a2 2 0 0 1-2 1.6A13.5 13.5 0 0 1 5 5.5a2 2 0 0 1 1.6-2z',
};

function icon(name) {
  return svgIcon(ICONS[name], 'card-icon');
}

function card(name, hash) {
  const titleId = `card-${name}-title`;
  return el('li', {class: 'card card-section', 'data-testid': `card-${name}`},
    el('div', {class: 'card-head'}, icon(name), el('h2', {id: titleId}, t(name))),
    el('p', {}, t(`${name}_text`)),
    el('a', {class: 'btn btn-primary', href: hash, 'aria-describedby': titleId}, t(`${name}_go`)));
}

/** render draws the home page. */
export async function render(root, ctx) {
  const me = ctx.me || {};
  const name = me.display_name || me.user || '';
  const hint = el('p', {class: 'muted'});
  const [before, after] = t('account_hint').split('{link}');
  hint.append(before, el('a', {href: '#/account'}, t('account_link')), after || '');

  root.append(
    el('div', {class: 'hero'},
      heading(name ? t('title', {name}) : t('title_anon')),
      el('p', {class: 'lead'}, t('intro'))),
    el('section', {'aria-labelledby': 'home-sections'},
      el('h2', {id: 'home-sections', class: 'visually-hidden'}, t('sections')),
      el('ul', {class: 'cards', role: 'list'},
        card('libraries', '#/libraries'),
        card('search', '#/search'),
        card('phone', '#/phone'))),
    hint);
}
