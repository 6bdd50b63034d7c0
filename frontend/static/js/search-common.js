// search-common.js — helpers shared by the search section, the header box
// and the search admin page: snippet rendering, document links, styles.

/** loadSearchCSS adds sections/search.css once. */
export function loadSearchCSS() {
  if (document.querySelector('link[data-kaz-search-css]')) return;
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = new URL('./sections/search.css', import.meta.url).pathname;
  l.setAttribute('data-kaz-search-css', '');
  document.head.append(l);
}

/**
 * snippetNodes turns a server snippet (HTML-escaped text with <mark>…</mark>)
 * into DOM nodes without innerHTML: the snippet is parsed in an inert
 * document and only text and <mark> survive.
 */
export function snippetNodes(snippet) {
  const out = [];
  if (!snippet) return out;
  const doc = new DOMParser().parseFromString(`<body>${snippet}</body>`, 'text/html');
  for (const n of doc.body.childNodes) {
    if (n.nodeType === Node.ELEMENT_NODE && n.nodeName === 'MARK') {
      const m = document.createElement('mark');
      m.textContent = n.textContent;
      out.push(m);
    } else {
      out.push(document.createTextNode(n.textContent || ''));
    }
  }
  return out;
}

/** davPath returns /dav/<lib>/<path> with each segment encoded. */
export function davPath(library, path) {
  const segs = String(path || '').split('/').filter(Boolean).map(encodeURIComponent);
  return `/dav/${encodeURIComponent(library)}/${segs.join('/')}`;
}

/** folderHash returns the route of the folder holding path in library. */
export function folderHash(library, path) {
  const segs = String(path || '').split('/').filter(Boolean);
  segs.pop();
  return `#/libraries/${[library, ...segs].map(encodeURIComponent).join('/')}`;
}

const DESKTOP = {
  doc: 'ms-word', docx: 'ms-word', docm: 'ms-word', dot: 'ms-word', dotx: 'ms-word', rtf: 'ms-word',
  xls: 'ms-excel', xlsx: 'ms-excel', xlsm: 'ms-excel', csv: 'ms-excel',
  ppt: 'ms-powerpoint', pptx: 'ms-powerpoint', pptm: 'ms-powerpoint',
  odt: 'libreoffice', ods: 'libreoffice', odp: 'libreoffice', odg: 'libreoffice',
};

/**
 * desktopLink returns the URL that opens the document in the desktop office
 * suite (Office URI schemes, LibreOffice's vnd.libreoffice.command), or ''
 * for types no suite edits.
 */
export function desktopLink(library, path, type) {
  const scheme = DESKTOP[String(type || '').toLowerCase()];
  if (!scheme) return '';
  const url = `${location.origin}${davPath(library, path)}`;
  if (scheme === 'libreoffice') return `vnd.libreoffice.command:ofe|u|${url}`;
  return `${scheme}:ofe|u|${url}`;
}
