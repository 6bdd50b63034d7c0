// phone.js — the phone panel (#/phone): registration status and
// availability, dial pad, directory with click-to-call, the call in
// progress (state, timer, meters, mute, hold, DTMF, transfer, hang-up),
// audio devices, echo test and call history.
//
// The signaling and WebRTC live in ../phone/client.js; the incoming-call
// banner (shown on every page) in ../phone/banner.js.

import {phoneClient, normalizeNumber} from '../phone/client.js';
import {startPhone, phoneStatus, ensureCSS} from '../phone/banner.js';
import {t, has, registrationReason} from '../phone/strings.js';
import {listDevices, loadPrefs, savePrefs, canChooseOutput, getMicrophone, Meter, beep} from '../phone/media.js';
import {formatDate} from '../i18n.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** render draws the phone panel into root; it returns the cleanup the shell calls on leaving. */
export async function render(root, ctx) {
  ensureCSS();
  root.replaceChildren(el('h1', {text: t('title')}));
  let st;
  try {
    st = await phoneStatus(ctx.api, true);
  } catch (err) {
    root.append(el('p', {role: 'alert', class: 'error', text: err.message}));
    return;
  }
  if (!st.configured) {
    root.append(el('p', {class: 'kaz-phone-notice', 'data-testid': 'phone-status', 'data-state': 'not-configured', text: t('not-configured')}));
    return;
  }
  if (!st.account) {
    root.append(el('p', {class: 'kaz-phone-notice', 'data-testid': 'phone-status', 'data-state': 'no-account', text: t('no-account')}));
    return;
  }
  await startPhone(ctx);
  const client = phoneClient();
  const echoNumber = st.echo_number || '*43';
  const panel = new Panel(root, ctx, client, echoNumber);
  panel.mount();
  return () => panel.unmount();
}

class Panel {
  constructor(root, ctx, client, echoNumber) {
    this.root = root;
    this.ctx = ctx;
    this.client = client;
    this.echoNumber = echoNumber;
    this.timers = [];
    this.offs = [];
    this.micTest = null;
  }

  mount() {
    const c = this.client;
    // --- status bar
    this.status = el('span', {'data-testid': 'phone-status', role: 'status', 'aria-live': 'polite', class: 'kaz-phone-status'});
    this.ext = el('span', {class: 'kaz-phone-ext'});
    this.avail = el('input', {type: 'checkbox', role: 'switch', id: 'kaz-phone-available', 'data-testid': 'available-switch'});
    this.avail.addEventListener('change', () => c.setAvailable(this.avail.checked));
    const bar = el('div', {class: 'kaz-phone-bar'}, this.status, this.ext,
      el('label', {class: 'kaz-phone-switch', for: 'kaz-phone-available'}, this.avail, document.createTextNode(' ' + t('available'))));
    this.error = el('p', {role: 'alert', class: 'kaz-phone-error', 'data-testid': 'phone-error', hidden: true});

    // --- dialer
    this.dialInput = el('input', {
      id: 'kaz-dial', type: 'tel', 'data-testid': 'dial-input', autocomplete: 'off', inputmode: 'tel',
      placeholder: t('dial-placeholder'),
    });
    this.dialInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.dial(this.dialInput.value);
      }
    });
    this.dialInput.addEventListener('paste', () => setTimeout(() => (this.dialInput.value = normalizeNumber(this.dialInput.value)), 0));
    this.dialButton = el('button', {type: 'button', class: 'btn btn-primary', 'data-testid': 'dial-button', text: t('dial'), onclick: () => this.dial(this.dialInput.value)});
    const echo = this.echoButton = el('button', {type: 'button', class: 'btn', 'data-testid': 'echo-button', text: t('echo-test'), title: t('echo-help', {n: this.echoNumber}), onclick: () => this.dial(this.echoNumber)});
    const keypad = el('div', {class: 'kaz-phone-keypad', role: 'group', 'aria-label': t('keypad')});
    for (const k of KEYS) {
      keypad.append(el('button', {type: 'button', class: 'btn', 'data-testid': `dtmf-${k}`, 'aria-label': k, text: k, onclick: () => this.key(k)}));
    }
    const dialer = el('section', {class: 'kaz-phone-dialer', 'aria-labelledby': 'kaz-dial-h'},
      el('h2', {id: 'kaz-dial-h', text: t('keypad')}),
      el('label', {for: 'kaz-dial', text: t('dial-label')}),
      el('div', {class: 'kaz-phone-dialrow'}, this.dialInput, this.dialButton),
      keypad, echo);

    // --- call in progress
    // call-state holds the machine word tests read (idle, ringing, active…);
    // people see and hear the translated label beside it.
    this.stateEl = el('span', {'data-testid': 'call-state', class: 'visually-hidden', 'aria-hidden': 'true'});
    this.stateLabel = el('span', {'aria-live': 'polite', role: 'status', class: 'kaz-phone-state-label'});
    this.peer = el('span', {class: 'kaz-phone-peer', 'data-testid': 'call-peer'});
    this.timer = el('span', {class: 'kaz-phone-timer', 'data-testid': 'call-timer', 'aria-label': t('duration')});
    this.reason = el('p', {class: 'kaz-phone-reason', 'data-testid': 'call-reason'});
    this.rxBar = el('meter', {min: 0, max: 1, value: 0, 'aria-label': t('level-rx')});
    this.txBar = el('meter', {min: 0, max: 1, value: 0, 'aria-label': t('level-tx')});
    this.statsText = el('span', {class: 'kaz-phone-stats-text'});
    this.stats = el('div', {'data-testid': 'call-stats', class: 'kaz-phone-stats'},
      el('label', {}, document.createTextNode(t('level-rx') + ' '), this.rxBar),
      el('label', {}, document.createTextNode(t('level-tx') + ' '), this.txBar), this.statsText);
    this.digits = el('p', {class: 'kaz-phone-digits', 'data-testid': 'dtmf-received'});
    this.muteBtn = el('button', {type: 'button', class: 'btn', 'data-testid': 'mute-button', 'aria-pressed': 'false', onclick: () => {
      const cur = this.client.current;
      if (cur) this.client.mute(!cur.muted);
    }});
    this.holdBtn = el('button', {type: 'button', class: 'btn', 'data-testid': 'hold-button', 'aria-pressed': 'false', onclick: () => {
      const cur = this.client.current;
      if (cur) this.client.hold(cur.state !== 'held');
    }});
    this.hangupBtn = el('button', {type: 'button', class: 'btn btn-danger', 'data-testid': 'hangup-button', text: t('hangup'), onclick: () => this.client.hangup()});
    this.transferInput = el('input', {id: 'kaz-transfer', type: 'tel', 'data-testid': 'transfer-input', autocomplete: 'off'});
    this.transferBtn = el('button', {type: 'button', class: 'btn', 'data-testid': 'transfer-button', text: t('transfer'), onclick: () => this.transfer()});
    this.transferInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.transfer();
      }
    });
    const controls = el('div', {class: 'kaz-phone-controls'}, this.muteBtn, this.holdBtn, this.hangupBtn);
    const transferRow = el('div', {class: 'kaz-phone-transfer'},
      el('label', {for: 'kaz-transfer', text: t('transfer-label')}), this.transferInput, this.transferBtn);
    this.callBox = el('section', {class: 'kaz-phone-call', 'aria-label': t('title')},
      el('div', {class: 'kaz-phone-callhead'}, this.stateEl, this.stateLabel, this.peer, this.timer),
      this.reason, this.stats, this.digits, controls, transferRow);

    // --- directory
    this.dirInput = el('input', {id: 'kaz-phone-dir', type: 'search', 'data-testid': 'directory-input', placeholder: t('directory-placeholder'), autocomplete: 'off'});
    this.dirList = el('ul', {class: 'kaz-phone-dirlist', 'data-testid': 'directory-results', 'aria-live': 'polite'});
    let dirTimer = 0;
    this.dirInput.addEventListener('input', () => {
      clearTimeout(dirTimer);
      dirTimer = setTimeout(() => this.searchDirectory(), 200);
    });
    const directory = el('section', {class: 'kaz-phone-directory', 'aria-labelledby': 'kaz-dir-h'},
      el('h2', {id: 'kaz-dir-h', text: t('directory')}),
      el('label', {for: 'kaz-phone-dir', text: t('directory-label')}), this.dirInput, this.dirList);

    // --- history
    // The badge counts missed calls not seen yet; clicking it (or opening
    // the panel again) marks them seen.
    this.badge = el('button', {type: 'button', class: 'kaz-phone-badge', 'data-testid': 'missed-badge', hidden: true, onclick: () => this.markSeen()});
    this.histList = el('ul', {class: 'kaz-phone-history', 'data-testid': 'call-history'});
    const history = el('section', {class: 'kaz-phone-historybox', 'aria-labelledby': 'kaz-hist-h'},
      el('h2', {id: 'kaz-hist-h'}, document.createTextNode(t('history') + ' '), this.badge), this.histList);

    // --- settings
    const settings = this.settingsBox();

    this.root.append(bar, this.error, el('div', {class: 'kaz-phone-grid'}, el('div', {}, this.callBox, dialer), el('div', {}, directory, history, settings)));

    const onChange = () => this.update();
    const onStats = () => this.updateStats();
    // The server writes the history line as the call ends: read it soon, and again a little later.
    const onEnded = () => {
      setTimeout(() => this.loadHistory(), 600);
      setTimeout(() => this.loadHistory(), 2500);
    };
    const onDtmf = () => this.update();
    for (const [n, f] of [['change', onChange], ['stats', onStats], ['ended', onEnded], ['dtmf', onDtmf]]) {
      this.client.addEventListener(n, f);
      this.offs.push(() => this.client.removeEventListener(n, f));
    }
    this.timers.push(setInterval(() => {
      if (!this.root.contains(this.status)) return this.unmount();
      this.updateTimer();
    }, 1000));
    this.root.addEventListener('keydown', (e) => this.keyboard(e));
    this.update();
    this.loadHistory(true);
    this.searchDirectory();
  }

  unmount() {
    this.timers.forEach(clearInterval);
    this.offs.forEach((f) => f());
    this.timers = [];
    this.offs = [];
    this.stopMicTest();
  }

  alive() {
    if (this.root.contains(this.status)) return true;
    this.unmount();
    return false;
  }

  // ---- actions ---------------------------------------------------------

  dial(number) {
    const n = normalizeNumber(number);
    if (!n) {
      this.showError(t('number-empty'));
      return;
    }
    this.client.dial(n);
  }

  key(k) {
    beep(k === '*' || k === '#' ? 941 : 697 + 40 * Number(k || 0));
    const cur = this.client.current;
    if (cur && cur.id && (cur.state === 'active' || cur.state === 'held')) {
      this.client.dtmf(k);
    } else {
      this.dialInput.value += k;
      this.dialInput.focus();
    }
  }

  keyboard(e) {
    // Keyboard dial pad: digits typed anywhere in the panel (outside a text
    // field) go to the keypad; Enter in the dial field calls.
    const tag = (e.target && e.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (KEYS.includes(e.key)) {
      e.preventDefault();
      this.key(e.key);
    }
  }

  transfer() {
    const n = normalizeNumber(this.transferInput.value);
    if (!n) {
      this.showError(t('number-empty'));
      return;
    }
    this.client.transfer(n);
    this.showInfo(t('transfer-sent', {n}));
  }

  showError(msg) {
    this.error.textContent = msg;
    this.error.hidden = !msg;
    this.error.classList.remove('info');
  }

  showInfo(msg) {
    this.error.textContent = msg;
    this.error.hidden = !msg;
    this.error.classList.add('info');
    clearTimeout(this.infoTimer);
    this.infoTimer = setTimeout(() => {
      if (this.error.classList.contains('info')) this.showError('');
    }, 6000);
  }

  // ---- drawing ---------------------------------------------------------

  update() {
    if (!this.alive()) return;
    const c = this.client;
    // status
    const reg = c.registration;
    let state = reg.state;
    let text = t('reg-' + reg.state);
    if (!c.connected) {
      state = c.everConnected ? 'disconnected' : 'connecting';
      text = c.everConnected ? t('ws-down') : t('reg-registering');
    } else if (!c.available) {
      state = 'unavailable';
      text = t('reg-unavailable');
    } else if (reg.state === 'failed') {
      text = `${t('reg-failed')} : ${registrationReason(reg)}`;
    }
    this.status.textContent = text;
    this.status.setAttribute('data-state', state);
    if (reg.code) this.status.setAttribute('data-code', String(reg.code));
    else this.status.removeAttribute('data-code');
    this.ext.textContent = c.extension ? t('extension', {ext: c.extension}) : '';
    this.avail.checked = c.available;

    // errors
    if (c.lastError) {
      const {key, message} = c.lastError;
      this.showError(has(key) ? t(key) : message || t('error'));
    } else if (!this.error.classList.contains('info')) {
      this.showError('');
    }

    // call
    const cur = c.current;
    const cs = cur ? cur.state : 'idle';
    this.stateEl.textContent = cs;
    this.stateEl.setAttribute('data-state', cs);
    this.stateLabel.textContent = t('state-' + cs);
    this.callBox.setAttribute('data-state', cs);
    if (cur) {
      const who = cur.name ? `${cur.name} (${cur.number})` : cur.number;
      this.peer.textContent = who ? t('with', {who}) : '';
      this.callBox.setAttribute('data-call-id', cur.id || '');
      this.callBox.setAttribute('data-direction', cur.direction);
    } else {
      this.peer.textContent = '';
    }
    const reasonKey = cur && cur.state === 'ended' ? cur.reason : '';
    this.reason.textContent = reasonKey && reasonKey !== 'hangup-local' && has(reasonKey) ? t(reasonKey) : '';
    this.reason.setAttribute('data-reason', reasonKey || '');
    const live = cur && ['connecting', 'active', 'held', 'ringing'].includes(cs) && (cur.direction === 'outbound' || cs !== 'ringing');
    const inCall = cur && (cs === 'active' || cs === 'held');
    this.hangupBtn.disabled = !live;
    this.muteBtn.disabled = !inCall;
    this.holdBtn.disabled = !inCall;
    this.transferBtn.disabled = !inCall;
    this.transferInput.disabled = !inCall;
    const muted = !!(cur && cur.muted);
    this.muteBtn.textContent = muted ? t('unmute') : t('mute');
    this.muteBtn.setAttribute('aria-pressed', String(muted));
    this.holdBtn.textContent = cs === 'held' ? t('resume') : t('hold');
    this.holdBtn.setAttribute('aria-pressed', String(cs === 'held'));
    this.dialButton.disabled = !!live;
    this.echoButton.disabled = !!live;
    this.digits.textContent = cur && cur.receivedDigits ? t('dtmf-received', {d: cur.receivedDigits}) : '';
    this.digits.setAttribute('data-digits', (cur && cur.receivedDigits) || '');
    this.callBox.setAttribute('data-sent-digits', (cur && cur.sentDigits) || '');
    this.updateTimer();
    this.updateStats();
    this.updateBadge();
  }

  updateTimer() {
    const cur = this.client.current;
    if (!cur || !cur.answeredAt || cur.answeredAt < 0) {
      this.timer.textContent = '';
      return;
    }
    const end = cur.state === 'ended' ? cur.endedAt : Date.now();
    this.timer.textContent = clock(end - cur.answeredAt);
  }

  updateStats() {
    if (!this.alive()) return;
    const cur = this.client.current;
    const s = cur ? cur.stats : {rxPackets: 0, txPackets: 0, rxLevel: 0, txLevel: 0, rxFreq: 0, txFreq: 0};
    const live = cur && cur.state !== 'ended';
    const rxLevel = live ? s.rxLevel : 0;
    const txLevel = live ? s.txLevel : 0;
    this.stats.setAttribute('data-rx-packets', String(s.rxPackets));
    this.stats.setAttribute('data-tx-packets', String(s.txPackets));
    this.stats.setAttribute('data-rx-level', rxLevel.toFixed(4));
    this.stats.setAttribute('data-tx-level', txLevel.toFixed(4));
    this.stats.setAttribute('data-rx-freq', String(live ? s.rxFreq : 0));
    this.stats.setAttribute('data-tx-freq', String(live ? s.txFreq : 0));
    this.rxBar.value = Math.min(1, rxLevel * 4);
    this.txBar.value = Math.min(1, txLevel * 4);
    this.statsText.textContent = `${t('stats-rx', {p: s.rxPackets})} · ${t('stats-tx', {p: s.txPackets})}`;
  }

  updateBadge() {
    const n = this.missed || 0;
    this.badge.hidden = n === 0;
    this.badge.textContent = n ? t('missed', {n}) : '';
    this.badge.setAttribute('data-count', String(n));
    this.badge.title = t('mark-seen');
  }

  async markSeen() {
    try {
      await this.ctx.api('POST', '/api/phone/history/seen');
      this.missed = 0;
      this.updateBadge();
    } catch (err) {
      this.showError(err.message);
    }
  }

  /** loadHistory lists the calls; on opening the panel (markSeen) the missed calls shown count as seen. */
  async loadHistory(markSeen) {
    let res;
    try {
      res = await this.ctx.api('GET', '/api/phone/history');
    } catch (err) {
      this.histList.replaceChildren(el('li', {class: 'error', text: err.message}));
      return;
    }
    if (!this.alive()) return;
    const calls = (res && res.calls) || [];
    this.missed = (res && res.missed) || 0;
    this.updateBadge();
    if (!calls.length) {
      this.histList.replaceChildren(el('li', {class: 'muted', text: t('history-empty')}));
    } else {
      this.histList.replaceChildren(...calls.map((x) => {
        const who = x.name ? `${x.name} (${x.number})` : x.number;
        const outcome = has('outcome-' + x.outcome) ? t('outcome-' + x.outcome) : x.outcome;
        const li = el('li', {class: x.missed ? 'missed' : '', 'data-outcome': x.outcome, 'data-direction': x.direction},
          el('span', {class: 'dir', text: t('dir-' + x.direction)}),
          el('span', {class: 'who', text: who}),
          el('time', {datetime: x.started, text: formatDate(x.started)}),
          el('span', {class: 'dur', text: x.duration_seconds ? clock(x.duration_seconds * 1000) : ''}),
          el('span', {class: 'outcome', text: outcome}),
          el('button', {type: 'button', class: 'btn btn-small', text: t('dial'), 'aria-label': t('call-to', {name: who}), onclick: () => this.dial(x.number)}));
        return li;
      }));
    }
    // Opening the panel acknowledges the missed calls listed: the badge
    // shows them this time and is gone on the next visit.
    if (markSeen && this.missed) this.ctx.api('POST', '/api/phone/history/seen').catch(() => {});
  }

  async searchDirectory() {
    const q = this.dirInput.value.trim();
    let res;
    try {
      res = await this.ctx.api('GET', '/api/phone/directory?q=' + encodeURIComponent(q));
    } catch (err) {
      this.dirList.replaceChildren(el('li', {class: 'error', text: err.message}));
      return;
    }
    if (!this.alive()) return;
    const users = (res && res.users) || [];
    if (!users.length) {
      this.dirList.replaceChildren(el('li', {class: 'muted', text: t('directory-empty')}));
      return;
    }
    this.dirList.replaceChildren(...users.map((u) => {
      const name = u.display_name || u.name;
      const li = el('li', {'data-user': u.name},
        el('span', {class: 'who', text: name}),
        el('span', {class: 'ext', text: u.extension || t('no-extension')}));
      const self = this.ctx.me && u.name === this.ctx.me.user;
      if (self) li.append(el('span', {class: 'muted', text: t('you')}));
      if (u.extension && !self) {
        li.append(el('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': `call-${u.name}`, 'aria-label': t('call-to', {name}), text: t('dial'),
          onclick: () => this.dial(u.extension),
        }));
      }
      return li;
    }));
  }

  settingsBox() {
    const mic = el('select', {id: 'kaz-phone-mic', 'data-testid': 'mic-select'});
    const out = el('select', {id: 'kaz-phone-out', 'data-testid': 'output-select'});
    const ring = el('select', {id: 'kaz-phone-ring', 'data-testid': 'ring-select'});
    this.micMeter = el('meter', {min: 0, max: 1, value: 0, 'aria-label': t('mic-level'), 'data-testid': 'mic-meter'});
    const fill = async () => {
      let d;
      try {
        d = await listDevices();
      } catch {
        return;
      }
      // Read the choice now, not when the box was built: a list refreshed
      // after the agent picked a device (devicechange, microphone granted)
      // must keep that pick.
      const prefs = loadPrefs();
      const opts = (list, sel) => [el('option', {value: '', text: t('default-device')}),
        ...list.filter((x) => x.deviceId && x.deviceId !== 'default').map((x, i) => el('option', {value: x.deviceId, selected: x.deviceId === sel, text: x.label || `${i + 1}`}))];
      mic.replaceChildren(...opts(d.inputs, prefs.mic));
      out.replaceChildren(...opts(d.outputs, prefs.output));
      ring.replaceChildren(...opts(d.outputs, prefs.ring));
    };
    fill();
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', fill);
      this.offs.push(() => navigator.mediaDevices.removeEventListener('devicechange', fill));
    }
    const save = () => {
      savePrefs({mic: mic.value, output: out.value, ring: ring.value});
      this.client.applyDevices();
    };
    for (const s of [mic, out, ring]) s.addEventListener('change', save);
    const testBtn = el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'mic-test', 'aria-pressed': 'false', text: t('mic-test'), onclick: async () => {
      if (this.micTest) {
        this.stopMicTest();
        testBtn.setAttribute('aria-pressed', 'false');
        return;
      }
      try {
        const stream = await getMicrophone(mic.value);
        const meter = new Meter(stream);
        const timer = setInterval(() => (this.micMeter.value = Math.min(1, meter.level() * 4)), 100);
        this.micTest = {stream, meter, timer};
        testBtn.setAttribute('aria-pressed', 'true');
        fill();
      } catch (err) {
        this.showError(t(err.key || 'mic-failed'));
      }
    }});
    const notifBtn = el('button', {type: 'button', class: 'btn btn-small', 'data-testid': 'notify-button', text: t('notifications')});
    const notifText = el('span', {class: 'muted'});
    const refreshNotif = () => {
      if (typeof Notification === 'undefined') {
        notifBtn.hidden = true;
        return;
      }
      notifBtn.hidden = Notification.permission !== 'default';
      notifText.textContent = Notification.permission === 'granted' ? t('notifications-on') : Notification.permission === 'denied' ? t('notifications-denied') : '';
    };
    notifBtn.addEventListener('click', async () => {
      try {
        await Notification.requestPermission();
      } catch {
        // old callback-style API: ignore
      }
      refreshNotif();
    });
    refreshNotif();
    const outNote = canChooseOutput() ? null : el('p', {class: 'muted', text: t('output-unsupported')});
    return el('details', {class: 'kaz-phone-settings'},
      el('summary', {text: t('settings')}),
      el('label', {for: 'kaz-phone-mic', text: t('microphone')}), mic,
      el('div', {class: 'kaz-phone-miclevel'}, testBtn, this.micMeter),
      el('label', {for: 'kaz-phone-out', text: t('output')}), out,
      el('label', {for: 'kaz-phone-ring', text: t('ringing')}), ring, outNote,
      el('div', {}, notifBtn, notifText));
  }

  stopMicTest() {
    if (!this.micTest) return;
    clearInterval(this.micTest.timer);
    this.micTest.meter.close();
    this.micTest.stream.getTracks().forEach((x) => x.stop());
    this.micTest = null;
    if (this.micMeter) this.micMeter.value = 0;
  }
}
