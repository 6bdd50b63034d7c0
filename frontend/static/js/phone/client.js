// client.js — the phone of one browser tab: the WebSocket signaling
// (/phone/ws, protocol in docs) and the WebRTC side of each call.
//
// The browser always makes the WebRTC offer (dial, accept, resume); the
// server answers. SIP credentials never reach the browser: it only knows
// call ids, numbers and states.
//
// One PhoneClient per page (phoneClient()); it emits "change" whenever
// something visible changed, "incoming" when a call starts ringing and
// "dtmf" when a digit arrives from the far end.

import {getMicrophone, Meter, Ringer, loadPrefs, setSink, audioContext} from './media.js';

const ICE_WAIT_MS = 1000;
const PING_MS = 25000;
const STATS_MS = 500;

/** States shown in call-state. */
export const STATES = ['idle', 'ringing', 'connecting', 'active', 'held', 'ended'];

function randomId() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function waitIce(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', check);
      clearTimeout(t);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const t = setTimeout(done, ICE_WAIT_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * Call is one call as this tab sees it.
 * direction: "outbound" | "inbound"; state: one of STATES.
 */
class Call {
  constructor(init) {
    this.id = '';
    this.ref = '';
    this.direction = 'outbound';
    this.number = '';
    this.name = '';
    this.state = 'connecting';
    this.reason = '';
    this.code = 0;
    this.started = Date.now();
    this.answeredAt = 0;
    this.endedAt = 0;
    this.muted = false;
    this.held = false;
    this.pc = null;
    this.mic = null;
    this.remote = null;
    this.txMeter = null;
    this.rxMeter = null;
    this.stats = {rxPackets: 0, txPackets: 0, rxLevel: 0, txLevel: 0, rxFreq: 0, txFreq: 0};
    this.sentDigits = '';
    this.receivedDigits = '';
    Object.assign(this, init);
  }
}

export class PhoneClient extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.tab = randomId();
    this.connected = false;
    this.everConnected = false;
    this.retry = 0;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.statsTimer = 0;
    this.stopped = true;
    this.extension = '';
    this.available = readAvailable();
    this.registration = {state: 'unregistered', reason: '', code: 0};
    this.calls = new Map(); // call_id → Call
    this.pending = new Map(); // ref → Call (dial sent, no call id yet)
    this.current = null; // the call the panel shows
    this.incoming = []; // ringing inbound calls
    this.lastError = null; // {key, message}
    this.iceServers = [];
    this.ringer = new Ringer();
    this.audio = null;
    this.missedSinceSeen = 0;
  }

  // ---- connection ------------------------------------------------------

  /** start opens the signaling connection (idempotent). */
  start(opts = {}) {
    if (opts.iceServers) this.iceServers = opts.iceServers;
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
    if (!this.statsTimer) this.statsTimer = setInterval(() => this.sampleStats(), STATS_MS);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearInterval(this.statsTimer);
    this.statsTimer = 0;
    if (this.ws) this.ws.close(1000);
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}/phone/ws`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.connected = true;
      this.everConnected = true;
      this.retry = 0;
      this.lastError = null;
      this.send({type: 'hello', tab: this.tab, available: this.available});
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({type: 'ping'}), PING_MS);
      this.changed();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.handle(msg).catch((err) => console.warn('phone: message', msg.type, err));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.connected = false;
      clearInterval(this.pingTimer);
      this.registration = {state: 'unregistered', reason: '', code: 0};
      this.stopRinging();
      this.incoming = [];
      this.changed();
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const delay = Math.min(15000, 500 * 2 ** this.retry);
    this.retry++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  fail(key, message) {
    this.lastError = {key, message: message || ''};
    this.changed();
  }

  // ---- server messages -------------------------------------------------

  async handle(m) {
    switch (m.type) {
      case 'welcome':
        this.extension = m.extension || '';
        if (typeof m.available === 'boolean') this.available = m.available;
        this.changed();
        for (const c of m.calls || []) {
          if (c.state === 'ended') continue;
          await this.resume(c);
        }
        return;
      case 'registration':
        this.registration = {state: m.state || 'unregistered', reason: m.reason || '', code: m.code || 0};
        this.changed();
        return;
      case 'incoming':
        return this.onIncoming(m);
      case 'answer':
        return this.onAnswer(m);
      case 'state':
        return this.onState(m);
      case 'dtmf': {
        const c = this.calls.get(m.call_id);
        if (c) c.receivedDigits += m.digit || '';
        this.dispatchEvent(new CustomEvent('dtmf', {detail: m}));
        this.changed();
        return;
      }
      case 'error':
        return this.onError(m);
      case 'pong':
        return;
    }
  }

  onIncoming(m) {
    if (this.calls.has(m.call_id)) return;
    const c = new Call({id: m.call_id, direction: 'inbound', number: m.from || '', name: m.name || '', state: 'ringing'});
    this.calls.set(c.id, c);
    this.incoming.push(c);
    if (!this.current || this.current.state === 'ended') this.current = c;
    this.ringer.start(loadPrefs().ring).catch(() => {});
    this.dispatchEvent(new CustomEvent('incoming', {detail: c}));
    this.changed();
  }

  async onAnswer(m) {
    let c = this.calls.get(m.call_id);
    if (!c && m.ref) {
      c = this.pending.get(m.ref);
      if (c) {
        this.pending.delete(m.ref);
        c.id = m.call_id;
        this.calls.set(c.id, c);
      }
    }
    if (!c || !c.pc) return;
    try {
      await c.pc.setRemoteDescription({type: 'answer', sdp: m.sdp});
    } catch (err) {
      console.warn('phone: remote description', err);
      this.fail('media-failed');
      this.hangup(c);
    }
    this.changed();
  }

  onState(m) {
    let c = this.calls.get(m.call_id);
    if (!c) {
      // A dial's first news may be a state: adopt the oldest pending dial.
      const first = this.pending.entries().next();
      if (first.done) return;
      const [ref, pc] = first.value;
      this.pending.delete(ref);
      pc.id = m.call_id;
      this.calls.set(pc.id, pc);
      c = pc;
    }
    c.state = m.state;
    c.reason = m.reason || '';
    c.code = m.code || 0;
    if (m.state === 'active' && !c.answeredAt) c.answeredAt = Date.now();
    c.held = m.state === 'held';
    if (m.state !== 'ringing') this.dropIncoming(c);
    if (m.state === 'ended') this.finish(c);
    this.changed();
    // The server lost this tab's media (VPN hiccup, network change) but
    // holds the call for a grace period: renegotiate at once, at most
    // once every three seconds.
    if (m.reason === 'media-lost' && m.state !== 'ended' && Date.now() - (c.lastResume || 0) > 3000) {
      c.lastResume = Date.now();
      const started = typeof c.started === 'number' ? new Date(c.started).toISOString() : c.started;
      this.resume({call_id: c.id, direction: c.direction, number: c.number, name: c.name, state: m.state, started})
        .catch((err) => console.warn('kaz: phone: resume after media loss failed', err));
    }
  }

  onError(m) {
    const c = m.ref ? this.pending.get(m.ref) : null;
    if (c) {
      this.pending.delete(m.ref);
      c.state = 'ended';
      c.reason = m.message_key || 'error';
      this.finish(c);
    }
    this.fail(m.message_key || 'error', m.message);
  }

  dropIncoming(c) {
    const before = this.incoming.length;
    this.incoming = this.incoming.filter((x) => x !== c);
    if (before && !this.incoming.length) this.stopRinging();
  }

  stopRinging() {
    this.ringer.stop();
  }

  finish(c) {
    c.state = 'ended';
    c.endedAt = Date.now();
    this.dropIncoming(c);
    if (c.direction === 'inbound' && !c.answeredAt && c.reason !== 'answered-elsewhere') this.missedSinceSeen++;
    if (c.txMeter) c.txMeter.close();
    if (c.rxMeter) c.rxMeter.close();
    if (c.mic) c.mic.getTracks().forEach((t) => t.stop());
    if (c.pc) c.pc.close();
    c.pc = null;
    c.mic = null;
    if (c.id) this.calls.delete(c.id);
    if (this.current === c) {
      // Show another live call if there is one, else keep this one as "ended".
      for (const o of this.calls.values()) {
        if (o.state !== 'ended' && o.state !== 'ringing') {
          this.current = o;
          break;
        }
      }
    }
    this.dispatchEvent(new CustomEvent('ended', {detail: c}));
  }

  // ---- media -----------------------------------------------------------

  async openMedia(c) {
    const prefs = loadPrefs();
    c.mic = await getMicrophone(prefs.mic);
    const pc = new RTCPeerConnection({iceServers: this.iceServers, bundlePolicy: 'max-bundle'});
    c.pc = pc;
    for (const t of c.mic.getAudioTracks()) {
      t.enabled = !c.muted;
      pc.addTrack(t, c.mic);
    }
    pc.ontrack = (ev) => {
      const stream = ev.streams[0] || new MediaStream([ev.track]);
      c.remote = stream;
      if (!this.audio) {
        this.audio = document.createElement('audio');
        this.audio.autoplay = true;
        this.audio.setAttribute('data-testid', 'phone-audio');
        this.audio.hidden = true;
        document.body.appendChild(this.audio);
      }
      this.audio.srcObject = stream;
      setSink(this.audio, loadPrefs().output);
      this.audio.play().catch(() => {});
      if (c.rxMeter) c.rxMeter.close();
      c.rxMeter = new Meter(stream);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' && c.state !== 'ended') this.fail('media-failed');
    };
    try {
      c.txMeter = new Meter(c.mic);
    } catch {
      // no WebAudio: no meter
    }
    audioContext();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitIce(pc);
    return pc.localDescription.sdp;
  }

  async sampleStats() {
    let any = false;
    for (const c of this.calls.values()) {
      if (!c.pc) continue;
      any = true;
      try {
        const rep = await c.pc.getStats();
        rep.forEach((s) => {
          if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) c.stats.rxPackets = s.packetsReceived || 0;
          if (s.type === 'outbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) c.stats.txPackets = s.packetsSent || 0;
        });
      } catch {
        // closed meanwhile
      }
      if (c.rxMeter) {
        c.stats.rxLevel = c.rxMeter.level();
        c.stats.rxFreq = c.rxMeter.dominant();
      }
      if (c.txMeter) {
        c.stats.txLevel = c.muted ? 0 : c.txMeter.level();
        c.stats.txFreq = c.muted ? 0 : c.txMeter.dominant();
      }
    }
    if (any) this.dispatchEvent(new Event('stats'));
  }

  // ---- actions ---------------------------------------------------------

  setAvailable(v) {
    this.available = !!v;
    writeAvailable(this.available);
    this.send({type: 'available', value: this.available});
    this.changed();
  }

  /** dial places a call to number (digits, *, #, +). */
  async dial(number) {
    number = normalizeNumber(number);
    if (!number) {
      this.fail('number-empty');
      return null;
    }
    if (!this.connected) {
      this.fail('not-connected');
      return null;
    }
    const c = new Call({ref: randomId(), direction: 'outbound', number, state: 'connecting'});
    this.pending.set(c.ref, c);
    this.current = c;
    this.lastError = null;
    this.changed();
    try {
      const sdp = await this.openMedia(c);
      if (c.state === 'ended') return c;
      if (!this.send({type: 'dial', ref: c.ref, number, sdp})) throw Object.assign(new Error(), {key: 'not-connected'});
    } catch (err) {
      this.pending.delete(c.ref);
      c.reason = err.key || 'media-failed';
      this.finish(c);
      this.fail(err.key || 'media-failed');
    }
    return c;
  }

  async accept(c) {
    c = c || this.incoming[0];
    if (!c || c.state !== 'ringing') return;
    this.stopRinging();
    // One call at a time in this tab: put the current one on hold.
    if (this.current && this.current !== c && ['active'].includes(this.current.state)) this.hold(true, this.current);
    this.current = c;
    c.state = 'connecting';
    this.dropIncoming(c);
    this.changed();
    try {
      const sdp = await this.openMedia(c);
      if (c.state === 'ended') return;
      this.send({type: 'accept', call_id: c.id, sdp});
    } catch (err) {
      this.fail(err.key || 'media-failed');
      this.send({type: 'decline', call_id: c.id});
      c.reason = err.key || 'media-failed';
      this.finish(c);
      this.changed();
    }
  }

  decline(c) {
    c = c || this.incoming[0];
    if (!c) return;
    this.send({type: 'decline', call_id: c.id, reason: 'decline'});
    c.reason = 'declined';
    c.answeredAt = c.answeredAt || -1; // a declined call is not "missed"
    this.dropIncoming(c);
    this.finish(c);
    this.changed();
  }

  async resume(info) {
    if (this.calls.get(info.call_id)?.pc) this.finishQuiet(this.calls.get(info.call_id));
    const c = new Call({
      id: info.call_id, direction: info.direction || 'outbound', number: info.number || '', name: info.name || '',
      state: ['active', 'held'].includes(info.state) ? info.state : 'connecting',
      started: info.started ? Date.parse(info.started) || Date.now() : Date.now(),
    });
    c.held = c.state === 'held';
    c.answeredAt = c.started;
    this.calls.set(c.id, c);
    this.current = c;
    this.changed();
    try {
      const sdp = await this.openMedia(c);
      this.send({type: 'resume', call_id: c.id, sdp});
    } catch (err) {
      this.fail(err.key || 'media-failed');
    }
  }

  finishQuiet(c) {
    if (c.pc) c.pc.close();
    if (c.mic) c.mic.getTracks().forEach((t) => t.stop());
    c.pc = null;
  }

  hangup(c) {
    c = c || this.current;
    if (!c || c.state === 'ended') return;
    if (c.id) this.send({type: 'hangup', call_id: c.id});
    else if (c.ref) this.pending.delete(c.ref);
    c.reason = 'hangup-local';
    this.finish(c);
    this.changed();
  }

  mute(on, c) {
    c = c || this.current;
    if (!c) return;
    c.muted = !!on;
    if (c.mic) c.mic.getAudioTracks().forEach((t) => (t.enabled = !c.muted));
    this.changed();
  }

  hold(on, c) {
    c = c || this.current;
    if (!c || !c.id) return;
    this.send({type: 'hold', call_id: c.id, on: !!on});
  }

  dtmf(digit, c) {
    c = c || this.current;
    if (!c || !c.id || !/^[0-9*#A-D]$/.test(digit)) return;
    c.sentDigits += digit;
    this.send({type: 'dtmf', call_id: c.id, digit});
    this.changed();
  }

  transfer(target, c) {
    c = c || this.current;
    target = normalizeNumber(target);
    if (!c || !c.id) return;
    if (!target) {
      this.fail('number-empty');
      return;
    }
    this.send({type: 'transfer', call_id: c.id, target});
  }

  /** applyDevices re-routes the call audio after a device change. */
  async applyDevices() {
    const prefs = loadPrefs();
    if (this.audio) await setSink(this.audio, prefs.output);
    const c = this.current;
    if (!c || !c.pc || !c.mic) return;
    try {
      const mic = await getMicrophone(prefs.mic);
      const track = mic.getAudioTracks()[0];
      track.enabled = !c.muted;
      const sender = c.pc.getSenders().find((s) => s.track && s.track.kind === 'audio');
      if (sender) await sender.replaceTrack(track);
      c.mic.getTracks().forEach((t) => t.stop());
      c.mic = mic;
      if (c.txMeter) c.txMeter.close();
      c.txMeter = new Meter(mic);
    } catch (err) {
      this.fail(err.key || 'mic-failed');
    }
  }
}

/** normalizeNumber keeps what a phone number may hold (pasted text cleaned). */
export function normalizeNumber(s) {
  s = String(s || '').trim();
  if (s.startsWith('tel:')) s = s.slice(4);
  if (s.startsWith('sip:')) s = s.slice(4).split('@')[0];
  const plus = s.startsWith('+') ? '+' : '';
  return plus + s.replace(/[^0-9*#]/g, '');
}

function readAvailable() {
  try {
    return localStorage.getItem('kaz.phone.available') !== 'false';
  } catch {
    return true;
  }
}

function writeAvailable(v) {
  try {
    localStorage.setItem('kaz.phone.available', String(v));
  } catch {
    // private mode
  }
}

let singleton = null;

/** phoneClient returns the page's one PhoneClient. */
export function phoneClient() {
  if (!singleton) singleton = new PhoneClient();
  return singleton;
}
