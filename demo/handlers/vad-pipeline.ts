// Voice activity detection around Silero VAD v6: WAV → 16 kHz mono floats → one model call per
// 32 ms window (state carried, 64 samples of context prepended) → speech segments, as Silero's
// get_speech_timestamps makes them. Web APIs only: bundled into the VAD handler.
import type { Tensor } from '../../wit/types.ts';
import type { Infer } from './infer.ts';

export const VAD_RATE = 16_000;
/** Samples per window at 16 kHz. */
export const VAD_WINDOW = 512;
/** Samples of the previous window the v5.1+/v6 model expects in front of each window. */
export const VAD_CONTEXT = 64;
/** The longest clip a handler accepts (one model call per 32 ms: 1 875 calls). */
export const MAX_SECONDS = 60;

export class BadAudioError extends Error {}

export interface Audio {
  sampleRate: number;
  /** Mono, −1…1. */
  samples: Float32Array;
}

export interface Segment {
  /** Seconds from the start of the clip. */
  start: number;
  end: number;
}

function ascii(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

/** RIFF/WAVE with PCM 8/16/24/32-bit or IEEE float 32-bit samples, any channel count (mixed to mono). */
export function decodeWav(bytes: Uint8Array): Audio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || ascii(view, 0) !== 'RIFF' || ascii(view, 8) !== 'WAVE') {
    throw new BadAudioError('the body is not a WAV file: send a RIFF/WAVE file as the request body (curl --data-binary @clip.wav)');
  }
  let format = 0, channels = 0, sampleRate = 0, bits = 0;
  let data: { at: number; length: number } | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = ascii(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16) {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      // WAVE_FORMAT_EXTENSIBLE names the real format in the first two bytes of its sub-format GUID.
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      data = { at: body, length: Math.min(size, bytes.length - body) };
    }
    at = body + size + (size & 1);
  }
  if (!data || !channels || !sampleRate) throw new BadAudioError('the WAV file has no fmt or data chunk: send a complete WAV file');
  const pcm = format === 1 && [8, 16, 24, 32].includes(bits);
  const float = format === 3 && bits === 32;
  if (!pcm && !float) throw new BadAudioError(`WAV format ${format} with ${bits}-bit samples is not supported: send 8/16/24/32-bit PCM or 32-bit float`);
  const bytesPer = bits / 8;
  const frames = Math.floor(data.length / (bytesPer * channels));
  if (frames / sampleRate > MAX_SECONDS) throw new BadAudioError(`the clip is ${(frames / sampleRate).toFixed(1)} s long; at most ${MAX_SECONDS} s are accepted: cut it`);
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const at = data.at + (f * channels + c) * bytesPer;
      if (float) sum += view.getFloat32(at, true);
      else if (bits === 8) sum += (view.getUint8(at) - 128) / 128;
      else if (bits === 16) sum += view.getInt16(at, true) / 32768;
      else if (bits === 24) sum += ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608);
      else sum += view.getInt32(at, true) / 2147483648;
    }
    samples[f] = sum / channels;
  }
  return { sampleRate, samples };
}

/** Linear resampling (enough for a detector that looks at 32 ms windows). */
export function resample(audio: Audio, rate: number): Audio {
  if (audio.sampleRate === rate) return audio;
  const { samples, sampleRate } = audio;
  const n = Math.floor((samples.length * rate) / sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = (i * sampleRate) / rate;
    const i0 = Math.floor(x);
    const i1 = Math.min(i0 + 1, samples.length - 1);
    out[i] = samples[i0]! + (samples[i1]! - samples[i0]!) * (x - i0);
  }
  return { sampleRate: rate, samples: out };
}

/**
 * Speech probability of each 512-sample window of 16 kHz audio, one model call per window in
 * order: the recurrent state goes from each call to the next, and each input is the last 64
 * samples of the previous window followed by the window (the last one zero-padded). The model is
 * the demo's `silero-vad`: Silero v6 with `sr` fixed at 16 kHz (demo/models/vad-window.ts), so
 * only `input` and `state` are sent.
 */
export async function speechProbabilities(samples: Float32Array, infer: Infer, model = 'silero-vad'): Promise<Float32Array> {
  const windows = Math.ceil(samples.length / VAD_WINDOW);
  const probs = new Float32Array(windows);
  let state: Tensor = { type: 'FP32', dims: [2, 1, 128], data: new Float32Array(256) };
  for (let w = 0; w < windows; w++) {
    const input = new Float32Array(VAD_CONTEXT + VAD_WINDOW);
    const from = w * VAD_WINDOW;
    input.set(samples.subarray(Math.max(0, from - VAD_CONTEXT), from), VAD_CONTEXT - Math.min(VAD_CONTEXT, from));
    input.set(samples.subarray(from, from + VAD_WINDOW), VAD_CONTEXT);
    const out = await infer(model, { input: { type: 'FP32', dims: [1, VAD_CONTEXT + VAD_WINDOW], data: input }, state });
    const p = out.output;
    const next = out.stateN;
    if (!p || !next) throw new Error(`model '${model}' returned ${Object.keys(out).join(', ') || 'nothing'}; expected 'output' and 'stateN' (Silero VAD v5/v6)`);
    probs[w] = (p.data as Float32Array)[0]!;
    state = next;
  }
  return probs;
}

export interface SegmentOptions {
  threshold?: number;
  minSpeechMs?: number;
  minSilenceMs?: number;
  speechPadMs?: number;
}

/** Window probabilities → speech segments (Silero's get_speech_timestamps, without its max-duration split). */
export function speechSegments(probs: Float32Array, totalSamples: number, opts: SegmentOptions = {}): Segment[] {
  const { threshold = 0.5, minSpeechMs = 250, minSilenceMs = 100, speechPadMs = 30 } = opts;
  const negThreshold = Math.max(threshold - 0.15, 0.01);
  const minSpeech = (VAD_RATE * minSpeechMs) / 1000;
  const minSilence = (VAD_RATE * minSilenceMs) / 1000;
  const pad = (VAD_RATE * speechPadMs) / 1000;
  const speeches: { start: number; end: number }[] = [];
  let triggered = false;
  let start = 0;
  let tempEnd = 0;
  probs.forEach((p, i) => {
    const at = i * VAD_WINDOW;
    if (p >= threshold && tempEnd) tempEnd = 0;
    if (p >= threshold && !triggered) {
      triggered = true;
      start = at;
      return;
    }
    if (p < negThreshold && triggered) {
      if (!tempEnd) tempEnd = at;
      if (at - tempEnd < minSilence) return;
      if (tempEnd - start > minSpeech) speeches.push({ start, end: tempEnd });
      triggered = false;
      tempEnd = 0;
    }
  });
  if (triggered && totalSamples - start > minSpeech) speeches.push({ start, end: totalSamples });
  // Pad each segment, splitting a gap shorter than two pads between its neighbours.
  speeches.forEach((s, i) => {
    if (i === 0) s.start = Math.max(0, s.start - pad);
    const next = speeches[i + 1];
    if (!next) {
      s.end = Math.min(totalSamples, s.end + pad);
      return;
    }
    const gap = next.start - s.end;
    if (gap < 2 * pad) {
      s.end += Math.floor(gap / 2);
      next.start = Math.max(0, next.start - Math.floor(gap / 2));
    } else {
      s.end = Math.min(totalSamples, s.end + pad);
      next.start = Math.max(0, next.start - pad);
    }
  });
  const seconds = (n: number) => Math.round((n / VAD_RATE) * 1000) / 1000;
  return speeches.map((s) => ({ start: seconds(s.start), end: seconds(s.end) }));
}

/** The whole pipeline on one clip. */
export async function detectSpeech(audio: Audio, infer: Infer, opts: SegmentOptions = {}, model = 'silero-vad'): Promise<{ duration: number; segments: Segment[] }> {
  const { samples } = resample(audio, VAD_RATE);
  const probs = await speechProbabilities(samples, infer, model);
  return { duration: Math.round((samples.length / VAD_RATE) * 1000) / 1000, segments: speechSegments(probs, samples.length, opts) };
}
