// media.js — audio helpers of the phone: microphone capture, level and
// frequency meters (WebAudio AnalyserNode), the ringtone and device lists.
//
// Everything here is plain WebAudio / mediaDevices; nothing leaves the
// browser.

let sharedCtx = null;

/** audioContext returns the page's one AudioContext, resumed when possible. */
export function audioContext() {
  if (!sharedCtx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    sharedCtx = new AC();
  }
  if (sharedCtx.state === 'suspended') sharedCtx.resume().catch(() => {});
  return sharedCtx;
}

/** Prefs are the chosen devices, kept in localStorage. */
const PREFS_KEY = 'kaz.phone.devices';

export function loadPrefs() {
  try {
    return {mic: '', output: '', ring: '', ...JSON.parse(localStorage.getItem(PREFS_KEY) || '{}')};
  } catch {
    return {mic: '', output: '', ring: ''};
  }
}

export function savePrefs(p) {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(p));
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/**
 * getMicrophone asks for the microphone (deviceId when set). It throws an
 * Error whose .key is one of mic-blocked, mic-missing, mic-busy, mic-failed.
 */
export async function getMicrophone(deviceId) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw keyed('mic-unsupported');
  }
  const audio = {echoCancellation: true, noiseSuppression: true, autoGainControl: true};
  if (deviceId) audio.deviceId = {exact: deviceId};
  try {
    return await navigator.mediaDevices.getUserMedia({audio, video: false});
  } catch (err) {
    if (deviceId && err && err.name === 'OverconstrainedError') {
      // The chosen device is gone: fall back to the default one.
      return getMicrophone('');
    }
    const name = err && err.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') throw keyed('mic-blocked');
    if (name === 'NotFoundError') throw keyed('mic-missing');
    if (name === 'NotReadableError' || name === 'AbortError') throw keyed('mic-busy');
    throw keyed('mic-failed');
  }
}

function keyed(key) {
  const e = new Error(key);
  e.key = key;
  return e;
}

/** listDevices returns {inputs, outputs} (labels appear once the microphone was allowed). */
export async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return {inputs: [], outputs: []};
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    inputs: all.filter((d) => d.kind === 'audioinput'),
    outputs: all.filter((d) => d.kind === 'audiooutput'),
  };
}

/** canChooseOutput reports whether the browser can route audio to a chosen device. */
export function canChooseOutput() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** setSink routes a media element to a device, ignoring browsers that cannot. */
export async function setSink(el, deviceId) {
  if (!el || !canChooseOutput()) return;
  try {
    await el.setSinkId(deviceId || '');
  } catch {
    // device gone or not permitted: stay on the default output
  }
}

/**
 * Meter measures a MediaStream: level (0..1, RMS) and the dominant
 * frequency in Hz (0 when silent), from an AnalyserNode FFT.
 */
export class Meter {
  constructor(stream) {
    const ctx = audioContext();
    this.ctx = ctx;
    this.src = ctx.createMediaStreamSource(stream);
    this.an = ctx.createAnalyser();
    this.an.fftSize = 8192;
    this.an.smoothingTimeConstant = 0.2;
    this.src.connect(this.an);
    this.time = new Float32Array(this.an.fftSize);
    this.freq = new Float32Array(this.an.frequencyBinCount);
  }

  /** level returns the RMS level, 0..1. */
  level() {
    this.an.getFloatTimeDomainData(this.time);
    let sum = 0;
    for (let i = 0; i < this.time.length; i++) sum += this.time[i] * this.time[i];
    return Math.sqrt(sum / this.time.length);
  }

  /** dominant returns the frequency (Hz) of the strongest FFT bin above 50 Hz, or 0 when silent. */
  dominant() {
    if (this.level() < 0.003) return 0;
    this.an.getFloatFrequencyData(this.freq);
    const binHz = this.ctx.sampleRate / this.an.fftSize;
    let best = -Infinity;
    let at = 0;
    for (let i = Math.ceil(50 / binHz); i < this.freq.length; i++) {
      if (this.freq[i] > best) {
        best = this.freq[i];
        at = i;
      }
    }
    if (best === -Infinity) return 0;
    // Parabolic interpolation between neighbouring bins for a finer estimate.
    const a = this.freq[at - 1], b = this.freq[at], c = this.freq[at + 1];
    let off = 0;
    if (Number.isFinite(a) && Number.isFinite(c)) {
      const d = a - 2 * b + c;
      if (d !== 0) off = 0.5 * (a - c) / d;
    }
    return Math.round((at + off) * binHz);
  }

  close() {
    try {
      this.src.disconnect();
    } catch {
      // already disconnected
    }
  }
}

/**
 * Ringer plays a French-style ring (440 Hz, 1.5 s on, 3.5 s off) generated
 * with WebAudio, on the chosen ringing device through an audio element.
 */
export class Ringer {
  constructor() {
    this.el = null;
    this.osc = null;
    this.gain = null;
    this.timer = 0;
  }

  async start(deviceId) {
    if (this.osc) return;
    const ctx = audioContext();
    const dest = ctx.createMediaStreamDestination();
    this.gain = ctx.createGain();
    this.gain.gain.value = 0;
    this.osc = ctx.createOscillator();
    this.osc.frequency.value = 440;
    this.osc.connect(this.gain).connect(dest);
    this.osc.start();
    this.el = new Audio();
    this.el.srcObject = dest.stream;
    const el = this.el;
    await setSink(el, deviceId);
    if (this.el !== el) return; // stopped meanwhile (answered at once)
    el.play().catch(() => {});
    const cycle = () => {
      if (!this.gain) return;
      const t = ctx.currentTime;
      this.gain.gain.setValueAtTime(0.25, t);
      this.gain.gain.setValueAtTime(0, t + 1.5);
    };
    cycle();
    this.timer = setInterval(cycle, 5000);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    if (this.osc) {
      try {
        this.osc.stop();
      } catch {
        // not started
      }
      this.osc.disconnect();
    }
    if (this.el) {
      this.el.pause();
      this.el.srcObject = null;
    }
    this.osc = null;
    this.gain = null;
    this.el = null;
  }
}

/** beep plays a short local tone (keypad feedback), ignoring failures. */
export function beep(freq = 697, ms = 80) {
  try {
    const ctx = audioContext();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    g.gain.value = 0.05;
    o.frequency.value = freq;
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + ms / 1000);
  } catch {
    // no audio: silent keypad
  }
}
