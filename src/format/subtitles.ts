/**
 * SRT and WebVTT from timed sentences. Cues follow common subtitle practice: at most two lines of
 * 42 characters; longer sentences are split at word boundaries, timed by their words when the service
 * gave word timestamps and proportionally to their length otherwise.
 */
import type { Sentence } from '../domain/result.js';

const MAX_LINE = 42;
const MAX_LINES = 2;

export interface Cue {
  start_ms: number;
  end_ms: number;
  lines: string[];
}

function label(s: Sentence): string {
  const parts: string[] = [];
  if (s.channel_id !== undefined) parts.push(`ch${s.channel_id}`);
  if (s.speaker_id !== undefined) parts.push(`speaker ${s.speaker_id}`);
  return parts.length > 0 ? `[${parts.join(', ')}] ` : '';
}

/** Tokens to wrap on: words where the script uses spaces, characters where it does not (zh, ja). */
function tokens(text: string): string[] {
  if (/\s/.test(text.trim())) return text.trim().split(/\s+/);
  return [...text.trim()];
}

function joinTokens(parts: string[], spaced: boolean): string {
  return parts.join(spaced ? ' ' : '');
}

/** Greedy wrap into lines of at most `width` characters (a single over-long token gets a line of its own). */
export function wrap(text: string, width = MAX_LINE): string[] {
  const spaced = /\s/.test(text.trim());
  const lines: string[] = [];
  let current: string[] = [];
  for (const tok of tokens(text)) {
    const candidate = joinTokens([...current, tok], spaced);
    if (current.length > 0 && candidate.length > width) {
      lines.push(joinTokens(current, spaced));
      current = [tok];
    } else {
      current.push(tok);
    }
  }
  if (current.length > 0) lines.push(joinTokens(current, spaced));
  return lines;
}

export function sentencesToCues(sentences: Sentence[]): Cue[] {
  const cues: Cue[] = [];
  for (const s of sentences) {
    const text = `${label(s)}${s.text}`.trim();
    if (!text) continue;
    const lines = wrap(text);
    if (lines.length <= MAX_LINES) {
      cues.push({ start_ms: s.begin_ms, end_ms: Math.max(s.end_ms, s.begin_ms), lines });
      continue;
    }
    // Split into chunks of up to two lines each and time each chunk.
    const chunks: string[][] = [];
    for (let i = 0; i < lines.length; i += MAX_LINES) chunks.push(lines.slice(i, i + MAX_LINES));
    const chunkTexts = chunks.map((c) => c.join(' '));
    const times = s.words && s.words.length > 0 ? timesFromWords(s, chunkTexts) : undefined;
    const span = Math.max(0, s.end_ms - s.begin_ms);
    const totalChars = chunkTexts.reduce((n, t) => n + t.length, 0) || 1;
    let at = s.begin_ms;
    chunks.forEach((chunk, i) => {
      const t = times?.[i];
      const share = Math.round((span * chunkTexts[i]!.length) / totalChars);
      const start = t?.[0] ?? at;
      const end = t?.[1] ?? (i === chunks.length - 1 ? s.end_ms : at + share);
      cues.push({ start_ms: start, end_ms: Math.max(start, end), lines: chunk });
      at = end;
    });
  }
  return cues;
}

/** Assign word timings to chunks by walking words in order and counting their characters. */
function timesFromWords(s: Sentence, chunkTexts: string[]): [number, number][] | undefined {
  const words = s.words ?? [];
  const result: [number, number][] = [];
  let w = 0;
  for (const chunk of chunkTexts) {
    const target = chunk.replace(/\s+/g, '').length;
    let consumed = 0;
    const first = words[w];
    if (!first) return undefined;
    let last = first;
    while (w < words.length && consumed < target) {
      last = words[w]!;
      consumed += `${last.text}${last.punctuation}`.replace(/\s+/g, '').length;
      w++;
    }
    result.push([first.begin_ms, last.end_ms]);
  }
  return result;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function formatTimestamp(ms: number, separator: ',' | '.'): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(t % 1000, 3)}`;
}

export function toSrt(sentences: Sentence[]): string {
  return sentencesToCues(sentences)
    .map(
      (c, i) =>
        `${i + 1}\n${formatTimestamp(c.start_ms, ',')} --> ${formatTimestamp(c.end_ms, ',')}\n${c.lines.join('\n')}\n`,
    )
    .join('\n');
}

export function toVtt(sentences: Sentence[]): string {
  const cues = sentencesToCues(sentences).map(
    (c) =>
      `${formatTimestamp(c.start_ms, '.')} --> ${formatTimestamp(c.end_ms, '.')}\n${c.lines.join('\n')}\n`,
  );
  return `WEBVTT\n\n${cues.join('\n')}`;
}
