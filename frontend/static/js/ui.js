// ui.js — small DOM helpers shared by the sections (optional to use).
//
//   import {el, clear, notify, confirmDialog, progress, errorBanner, copyButton} from '../ui.js';
//
// Everything here builds elements with textContent, never innerHTML from
// data, so that server data cannot inject markup. Styles come from classes in
// css/kaz.css (the CSP forbids inline style attributes in markup).

import {lang} from './i18n.js';

/**
 * el creates an element: el('button', {class: 'btn', onclick: fn, 'data-testid': 'x'}, 'Text', child…).
 * Attributes: class, text, html (trusted static markup only), on<event> functions,
 * boolean attributes (true sets, false/null/undefined skips), anything else via setAttribute.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'text') node.textContent = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'value' && 'value' in node) node.value = v;
      else if (v === true) node.setAttribute(k, '');
      else node.setAttribute(k, String(v));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * svgIcon draws a decorative 24×24 icon from SVG path data (static strings
 * only, never data): svgIcon(ICON_PATH, 'card-icon'). It is hidden from
 * assistive technology; give the surrounding element its accessible name.
 * Icons are drawn, not emoji, so they show on every system font.
 */
export function svgIcon(paths, cls) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  if (cls) svg.setAttribute('class', cls);
  for (const d of Array.isArray(paths) ? paths : [paths]) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

/**
 * field wraps a form control with its label and an optional hint (linked by
 * aria-describedby): field('f-name', 'Nom', input, 'Lettres et chiffres').
 */
export function field(id, label, input, hint) {
  input.id = id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return el('div', {class: 'field'}, el('label', {for: id}, label), input, hint ? el('span', {class: 'hint', id: `${id}-hint`}, hint) : null);
}

/** clear removes every child of node and returns it. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** bi returns the French or English text depending on the current language. */
export function bi(fr, en) {
  return lang() === 'en' ? en : fr;
}

/**
 * notify shows a short message in the live region (read by screen readers).
 * kind: 'info' | 'success' | 'error'. Errors stay until dismissed; others
 * fade after timeout ms (default 6000).
 */
export function notify(message, kind = 'info', timeout = 6000) {
  const region = document.getElementById('notices');
  if (!region) return;
  const close = el('button', {class: 'notice-close', type: 'button', 'aria-label': bi('Fermer', 'Close')}, '×');
  const n = el('div', {class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': `notice-${kind}`},
    el('span', {class: 'notice-text'}, message), close);
  close.addEventListener('click', () => n.remove());
  region.append(n);
  if (kind !== 'error' && timeout > 0) setTimeout(() => n.remove(), timeout);
  return n;
}

/** errorBanner returns a banner element that explains err (an ApiError or any Error) in plain words. */
export function errorBanner(err, title) {
  const msg = (err && err.message) || String(err);
  return el('div', {class: 'banner banner-error', role: 'alert', 'data-testid': 'error-banner'},
    title ? el('strong', {}, title, ' ') : null, msg);
}

/**
 * progress returns {element, set(done, total), done()}: a labelled
 * <progress> with its percentage in text, for long work.
 */
export function progress(label) {
  const bar = el('progress', {max: '100', value: '0'});
  const text = el('span', {class: 'progress-text'}, '0 %');
  const id = `p${Math.random().toString(36).slice(2, 9)}`;
  const lab = el('span', {class: 'progress-label', id}, label);
  bar.setAttribute('aria-labelledby', id);
  const element = el('div', {class: 'progress', 'data-testid': 'progress'}, lab, bar, text);
  return {
    element,
    set(done, total) {
      const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
      bar.value = pct;
      text.textContent = `${pct} %`;
    },
    done() {
      bar.value = 100;
      text.textContent = '100 %';
    },
  };
}

/**
 * confirmDialog opens a modal <dialog> and resolves true when confirmed.
 * {title, message, confirm, cancel, danger}
 */
export function confirmDialog({title, message, confirm, cancel, danger} = {}) {
  return new Promise((resolve) => {
    const ok = el('button', {type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', 'data-testid': 'dialog-confirm'},
      confirm || bi('Confirmer', 'Confirm'));
    const no = el('button', {type: 'button', class: 'btn', 'data-testid': 'dialog-cancel'}, cancel || bi('Annuler', 'Cancel'));
    const titleId = `d${Math.random().toString(36).slice(2, 9)}`;
    const dlg = el('dialog', {class: 'dialog', 'aria-labelledby': titleId, 'data-testid': 'dialog'},
      el('h2', {id: titleId}, title || ''),
      message ? el('p', {}, message) : null,
      el('div', {class: 'dialog-actions'}, no, ok));
    let result = false;
    ok.addEventListener('click', () => { result = true; dlg.close(); });
    no.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}

/**
 * promptDialog asks for one value in a modal form; resolves the trimmed
 * string, or null when cancelled or empty:
 *   const name = await promptDialog({title, label, value, confirm, hint});
 */
export function promptDialog({title, label, value, confirm, cancel, hint} = {}) {
  return new Promise((resolve) => {
    const id = `i${Math.random().toString(36).slice(2, 9)}`;
    const input = el('input', {type: 'text', value: value || '', required: true, 'data-testid': 'dialog-input', autocomplete: 'off'});
    const dlg = el('dialog', {class: 'dialog', 'aria-labelledby': `${id}t`, 'data-testid': 'dialog'});
    const form = el('form', {class: 'form dialog-form', method: 'dialog'},
      field(id, label, input, hint),
      el('div', {class: 'dialog-actions'},
        el('button', {type: 'button', class: 'btn', 'data-testid': 'dialog-cancel', onclick: () => dlg.close()}, cancel || bi('Annuler', 'Cancel')),
        el('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'dialog-confirm'}, confirm || bi('Valider', 'OK'))));
    dlg.append(el('h2', {id: `${id}t`}, title || ''), form);
    let result = null;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      result = input.value.trim() || null;
      dlg.close();
    });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
    input.select();
  });
}

/** copyButton returns a button that copies text() to the clipboard and says so. */
export function copyButton(text, label) {
  const b = el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'copy-button'}, label || bi('Copier', 'Copy'));
  b.addEventListener('click', async () => {
    const value = typeof text === 'function' ? text() : text;
    try {
      await navigator.clipboard.writeText(value);
      notify(bi('Copié dans le presse-papiers.', 'Copied to the clipboard.'), 'success', 3000);
    } catch {
      notify(bi('La copie a échoué : sélectionnez le texte et copiez-le à la main.',
        'Copying failed: select the text and copy it by hand.'), 'error');
    }
  });
  return b;
}

/** heading returns the view's one <h1>, focusable so the router can move focus to it. */
export function heading(text, attrs) {
  return el('h1', {tabindex: '-1', class: 'view-title', ...(attrs || {})}, text);
}
