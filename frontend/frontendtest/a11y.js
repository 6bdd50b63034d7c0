(() => {
  // Basic accessibility rules, run in the page by frontendtest.CheckA11y.
  const issues = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    const tid = el.getAttribute('data-testid');
    if (tid) s += `[data-testid=${tid}]`;
    else if (el.className && typeof el.className === 'string') s += `.${el.className.trim().split(/\s+/).join('.')}`;
    return s;
  };
  // impact ranks each rule as axe-core ranks its nearest rule: critical and
  // serious ones stop someone from using the page (a control without a
  // name, a field without a label), moderate and minor ones make it harder.
  const impact = {
    'html-lang': 'serious', 'document-title': 'serious',
    'landmark-main': 'moderate', 'landmark-banner': 'moderate', 'landmark-name': 'moderate',
    'one-h1': 'moderate', 'heading-empty': 'minor',
    'img-alt': 'critical', 'svg-name': 'serious', 'area-alt': 'critical',
    'label': 'critical', 'button-name': 'critical', 'link-name': 'serious', 'progress-name': 'serious',
    'table-headers': 'serious', 'duplicate-id': 'minor', 'duplicate-id-aria': 'critical',
    'aria-reference': 'critical', 'label-for': 'serious',
    'tabindex-positive': 'serious', 'inline-handler': 'serious', 'focusable': 'serious',
    'live-region': 'moderate',
  };
  const add = (rule, el, detail) => issues.push({rule, impact: impact[rule] || 'serious', element: el ? describe(el) : '', detail: detail || ''});
  const hidden = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (e.hidden || e.getAttribute('aria-hidden') === 'true') return true;
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden') return true;
    }
    return false;
  };
  const byIds = (ids) => ids.split(/\s+/).filter(Boolean).map((id) => document.getElementById(id));
  const text = (el) => (el ? (el.textContent || '').replace(/\s+/g, ' ').trim() : '');
  // name approximates the accessible name computation.
  const name = (el) => {
    const lb = el.getAttribute('aria-labelledby');
    if (lb) {
      const t = byIds(lb).map(text).join(' ').trim();
      if (t) return t;
    }
    const al = (el.getAttribute('aria-label') || '').trim();
    if (al) return al;
    if (el.labels && el.labels.length) {
      const t = [...el.labels].map(text).join(' ').trim();
      if (t) return t;
    }
    if (['BUTTON', 'A', 'SUMMARY', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LEGEND', 'CAPTION', 'LABEL', 'TH', 'OPTION'].includes(el.tagName)) {
      let t = '';
      for (const n of el.childNodes) {
        if (n.nodeType === Node.TEXT_NODE) t += n.textContent;
        else if (n.nodeType === Node.ELEMENT_NODE && !hidden(n)) {
          if (n.tagName === 'IMG') t += n.getAttribute('alt') || '';
          else if (n.tagName.toLowerCase() === 'svg') t += n.getAttribute('aria-label') || '';
          else t += name(n) || text(n);
        }
      }
      t = t.replace(/\s+/g, ' ').trim();
      if (t) return t;
    }
    if (el.tagName === 'INPUT' && ['submit', 'reset', 'button'].includes(el.type) && el.value) return el.value;
    return (el.getAttribute('title') || '').trim();
  };

  if (!['fr', 'en'].includes(document.documentElement.lang)) add('html-lang', document.documentElement, `lang="${document.documentElement.lang}"`);
  if (!document.title.trim()) add('document-title', document.documentElement, 'empty <title>');

  // Landmarks.
  const mains = [...document.querySelectorAll('main, [role=main]')].filter((e) => !hidden(e));
  if (mains.length !== 1) add('landmark-main', null, `${mains.length} main landmarks`);
  if (!document.querySelector('header, [role=banner]')) add('landmark-banner', null, 'no banner');
  const navs = [...document.querySelectorAll('nav, [role=navigation]')].filter((e) => !hidden(e));
  if (navs.length > 1) {
    for (const n of navs) if (!name(n)) add('landmark-name', n, 'several navigation landmarks need distinct labels');
  }

  // One h1.
  const h1s = [...document.querySelectorAll('h1')].filter((e) => !hidden(e));
  if (h1s.length !== 1) add('one-h1', null, `${h1s.length} visible <h1>: ${h1s.map(text).join(' | ')}`);
  for (const h of document.querySelectorAll('h1,h2,h3,h4,h5,h6')) {
    if (!hidden(h) && !name(h)) add('heading-empty', h, 'empty heading');
  }

  // Images.
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) add('img-alt', img, `src=${img.getAttribute('src')}`);
  }
  for (const svg of document.querySelectorAll('svg[role=img]')) {
    if (!name(svg) && !svg.querySelector('title')) add('svg-name', svg, 'svg role=img without a name');
  }
  for (const a of document.querySelectorAll('area')) if (!a.hasAttribute('alt')) add('area-alt', a, '');

  // Form fields.
  for (const f of document.querySelectorAll('input, select, textarea')) {
    if (f.type === 'hidden' || hidden(f)) continue;
    if (['submit', 'reset', 'button', 'image'].includes(f.type)) {
      if (!name(f) && !(f.type === 'image' && f.alt)) add('button-name', f, '');
      continue;
    }
    if (!name(f)) add('label', f, 'form field without a label');
  }

  // Buttons and links.
  for (const b of document.querySelectorAll('button, [role=button]')) {
    if (!hidden(b) && !name(b)) add('button-name', b, 'button without a name');
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (!hidden(a) && !name(a)) add('link-name', a, `href=${a.getAttribute('href')}`);
  }

  // Progress bars and meters.
  for (const p of document.querySelectorAll('progress, meter, [role=progressbar]')) {
    if (!hidden(p) && !name(p)) add('progress-name', p, 'progress bar without a label');
  }

  // Tables.
  for (const t of document.querySelectorAll('table')) {
    if (!hidden(t) && !t.querySelector('th')) add('table-headers', t, 'data table without header cells');
  }

  // Ids and references.
  // A duplicate id that a label or an aria attribute points to gives a
  // control the wrong name or description.
  const referenced = new Set();
  for (const e of document.querySelectorAll('[aria-labelledby], [aria-describedby], [aria-controls]')) {
    for (const attr of ['aria-labelledby', 'aria-describedby', 'aria-controls']) {
      for (const id of (e.getAttribute(attr) || '').split(/\s+/).filter(Boolean)) referenced.add(id);
    }
  }
  for (const l of document.querySelectorAll('label[for]')) referenced.add(l.htmlFor);
  const seen = new Map();
  for (const e of document.querySelectorAll('[id]')) {
    if (seen.has(e.id)) add(referenced.has(e.id) ? 'duplicate-id-aria' : 'duplicate-id', e, `id "${e.id}" used more than once`);
    seen.set(e.id, e);
  }
  for (const attr of ['aria-labelledby', 'aria-describedby', 'aria-controls']) {
    for (const e of document.querySelectorAll(`[${attr}]`)) {
      for (const id of e.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) add('aria-reference', e, `${attr} points to missing id "${id}"`);
      }
    }
  }
  for (const l of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(l.htmlFor)) add('label-for', l, `for="${l.htmlFor}" names no element`);
  }

  // Keyboard.
  for (const e of document.querySelectorAll('[tabindex]')) {
    if (parseInt(e.getAttribute('tabindex'), 10) > 0) add('tabindex-positive', e, `tabindex=${e.getAttribute('tabindex')}`);
  }
  for (const e of document.querySelectorAll('[onclick]')) add('inline-handler', e, 'inline onclick attribute');
  for (const e of document.querySelectorAll('div[role=button], span[role=button]')) {
    if (!e.hasAttribute('tabindex')) add('focusable', e, 'role=button not focusable');
  }

  // Live region for notices.
  if (!document.querySelector('[aria-live], [role=status], [role=alert], [role=log]')) add('live-region', null, 'no live region');
  return issues;
})()
