// banner.js — the incoming-call banner, shown over every page of Kaz (not
// only the phone panel), with a desktop notification when the tab is hidden.
//
// startPhone(ctx) is what the shell calls once at sign-in; the phone
// section calls it too, so that opening #/phone is enough.

import {phoneClient} from './client.js';
import {t} from './strings.js';

let started = false;
let statusChecked = null;

/** ensureCSS adds the phone style sheet once. */
export function ensureCSS() {
  if (document.querySelector('link[data-kaz-phone-css]')) return;
  const l = document.createElement('link');
  l.rel = 'stylesheet';
  l.href = new URL('../sections/phone.css', import.meta.url).pathname;
  l.setAttribute('data-kaz-phone-css', '');
  document.head.appendChild(l);
}

/**
 * phoneStatus returns GET /api/phone/status once per page (configured,
 * account, extension, ice_servers, echo_number).
 */
export function phoneStatus(api, force) {
  if (!statusChecked || force) {
    statusChecked = api('GET', '/api/phone/status').catch((err) => {
      statusChecked = null;
      throw err;
    });
  }
  return statusChecked;
}

/** startPhone connects the phone when the server has one and the user an extension. */
export async function startPhone(ctx) {
  if (started) return phoneClient();
  ensureCSS();
  let st;
  try {
    st = await phoneStatus(ctx.api);
  } catch {
    return null;
  }
  if (!st || !st.configured || !st.account) return null;
  if (started) return phoneClient();
  started = true;
  const client = phoneClient();
  client.start({iceServers: st.ice_servers || []});
  mountBanner(client);
  return client;
}

function mountBanner(client) {
  const box = document.createElement('div');
  box.className = 'kaz-phone-banner';
  box.setAttribute('role', 'alertdialog');
  box.setAttribute('aria-live', 'assertive');
  box.setAttribute('aria-labelledby', 'kaz-phone-banner-title');
  box.setAttribute('data-testid', 'incoming-call');
  box.hidden = true;
  box.innerHTML = `
    <p id="kaz-phone-banner-title" class="kaz-phone-banner-title"></p>
    <div class="kaz-phone-banner-actions">
      <button type="button" class="btn kaz-phone-answer" data-testid="answer-button"></button>
      <button type="button" class="btn kaz-phone-decline" data-testid="decline-button"></button>
    </div>`;
  document.body.appendChild(box);
  const title = box.querySelector('.kaz-phone-banner-title');
  const answer = box.querySelector('[data-testid=answer-button]');
  const decline = box.querySelector('[data-testid=decline-button]');
  answer.addEventListener('click', () => client.accept(client.incoming[0]));
  decline.addEventListener('click', () => client.decline(client.incoming[0]));
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') client.decline(client.incoming[0]);
  });
  let shownFor = null;
  const update = () => {
    const c = client.incoming[0];
    answer.textContent = t('answer');
    decline.textContent = t('decline');
    if (!c) {
      box.hidden = true;
      shownFor = null;
      return;
    }
    const who = c.name ? `${c.name} (${c.number})` : c.number;
    title.textContent = t('incoming-from', {who});
    box.setAttribute('data-call-id', c.id);
    box.setAttribute('data-from', c.number);
    if (box.hidden) {
      box.hidden = false;
      if (shownFor !== c) answer.focus({preventScroll: true});
    }
    shownFor = c;
  };
  client.addEventListener('change', update);
  client.addEventListener('incoming', (e) => notify(client, e.detail));
  update();
}

function notify(client, c) {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible' && document.hasFocus()) return;
  try {
    const n = new Notification(t('incoming'), {
      body: t('incoming-from', {who: c.name ? `${c.name} (${c.number})` : c.number}),
      tag: `kaz-call-${c.id}`,
      requireInteraction: true,
    });
    n.onclick = () => {
      window.focus();
      location.hash = '#/phone';
      n.close();
    };
    const close = (e) => {
      if (e.detail === c) {
        n.close();
        client.removeEventListener('ended', close);
      }
    };
    client.addEventListener('ended', close);
    client.addEventListener('change', () => {
      if (c.state !== 'ringing') n.close();
    });
  } catch {
    // Notifications unavailable (service-worker-only browsers): the banner is enough.
  }
}
