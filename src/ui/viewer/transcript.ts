/**
 * The viewer's pure logic: the transcript model, timestamps, search, exports (TXT, SRT, VTT) and the
 * reading of `asr_read_transcript` JSON pages sentence by sentence. No DOM here, so it is testable alone.
 */

export interface Sentence {
  begin_ms: number;
  end_ms: number;
  text: string;
  language?: string;
  speaker_id?: number;
}

/** What the viewer needs of a tool result (structuredContent of the three linked tools). */
export interface ResultView {
  text?: string;
  text_truncated?: boolean;
  next_offset?: number;
  task_id?: string | null;
  status?: string;
  model?: string;
  language?: string;
  duration_s?: number;
  sentences?: Sentence[] | { truncated: true };
  transcript_id?: string;
  progress?: string;
  poll_after_s?: number;
  eta_s?: number;
  source?: string;
  warnings?: string[];
  /** asr_read_transcript pages. */
  format?: string;
  offset?: number;
  total_chars?: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** 83456 → "1:23" (or "1:02:03" past an hour): what the reader sees beside a sentence. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Subtitle timestamp: 00:01:23,456 (SRT) or 00:01:23.456 (VTT). */
function stamp(ms: number, sep: ',' | '.'): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3600000);
  const m = Math.floor((t % 3600000) / 60000);
  const s = Math.floor((t % 60000) / 1000);
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(t % 1000, 3)}`;
}

export function speakerLabel(s: Sentence): string {
  return s.speaker_id === undefined ? '' : `Speaker ${s.speaker_id + 1}`;
}

export function toTxt(sentences: Sentence[], text: string): string {
  if (sentences.length === 0) return `${text.trim()}\n`;
  return `${sentences
    .map((s) => `[${clock(s.begin_ms)}]${s.speaker_id === undefined ? '' : ` ${speakerLabel(s)}:`} ${s.text}`)
    .join('\n')}\n`;
}

const cueText = (s: Sentence) => `${s.speaker_id === undefined ? '' : `${speakerLabel(s)}: `}${s.text}`;

export function toSrt(sentences: Sentence[]): string {
  return sentences
    .map(
      (s, i) =>
        `${i + 1}\n${stamp(s.begin_ms, ',')} --> ${stamp(Math.max(s.end_ms, s.begin_ms), ',')}\n${cueText(s)}\n`,
    )
    .join('\n');
}

export function toVtt(sentences: Sentence[]): string {
  const cues = sentences.map(
    (s) => `${stamp(s.begin_ms, '.')} --> ${stamp(Math.max(s.end_ms, s.begin_ms), '.')}\n${cueText(s)}\n`,
  );
  return `WEBVTT\n\n${cues.join('\n')}`;
}

/** Indices of the sentences containing `query` (case-insensitive), and the total number of hits. */
export function search(sentences: Sentence[], query: string): { matches: number[]; hits: number } {
  const q = query.trim().toLowerCase();
  if (!q) return { matches: [], hits: 0 };
  const matches: number[] = [];
  let hits = 0;
  sentences.forEach((s, i) => {
    const t = s.text.toLowerCase();
    let from = t.indexOf(q);
    if (from >= 0) matches.push(i);
    while (from >= 0) {
      hits++;
      from = t.indexOf(q, from + q.length);
    }
  });
  return { matches, hits };
}

/** Splits `text` around case-insensitive hits of `query`: odd pieces are hits. */
export function splitHits(text: string, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [text];
  const out: string[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, at)) {
    out.push(text.slice(at, i), text.slice(i, i + q.length));
    at = i + q.length;
  }
  out.push(text.slice(at));
  return out;
}

/** The sentence playing at `ms`, or -1. */
export function sentenceAt(sentences: Sentence[], ms: number): number {
  let lo = 0;
  let hi = sentences.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sentences[mid]!.begin_ms <= ms) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && ms <= Math.max(sentences[found]!.end_ms, sentences[found]!.begin_ms + 1) ? found : -1;
}

/** Untimed sentences from plain text (sync models give no timestamps). */
export function splitText(text: string): string[] {
  return (text.match(/[^.!?。！？]+[.!?。！？]*\s*/g) ?? [text]).map((t) => t.trim()).filter(Boolean);
}

/**
 * Reads the saved JSON (`JSON.stringify(result, null, 1)`, one value per line) as it arrives in pages
 * and hands out each sentence object as soon as its closing line is in. Stops once the `sentences`
 * array is closed: what follows (the raw responses) is not needed.
 */
export class SentenceStream {
  private buffer = '';
  private inArray = false;
  private object: string[] | undefined;
  done = false;
  /** The array was absent or closed: no more sentences in this transcript. */
  closed = false;

  push(chunk: string): Sentence[] {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    const out: Sentence[] = [];
    for (const line of lines) {
      if (this.closed) break;
      if (!this.inArray) {
        if (line === ' "sentences": [') this.inArray = true;
        else if (line.startsWith(' "raw":') || line === '}') this.closed = true;
        continue;
      }
      if (this.object === undefined) {
        if (line === '  {') this.object = ['{'];
        else if (line.startsWith(' ]')) this.closed = true;
        continue;
      }
      if (line === '  }' || line === '  },') {
        this.object.push('}');
        try {
          out.push(JSON.parse(this.object.join('\n')) as Sentence);
        } catch {
          // a line the page cut unexpectedly: skip this one sentence rather than stop
        }
        this.object = undefined;
      } else this.object.push(line);
    }
    return out;
  }
}

export function fmtElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}
