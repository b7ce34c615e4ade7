/**
 * A saved transcript in each readable form (plain text, SRT, WebVTT, JSON), with where a page may end
 * and its measure, kept for the last few transcripts read: paging a 12-hour transcript asks for the
 * same rendering a hundred times, and each page then costs only its own length.
 */
import { InputError, NotFoundError } from '../domain/errors.js';
import type { TranscriptionResult } from '../domain/result.js';
import { cueBoundaries, lineBoundaries, sentenceBoundaries } from '../format/boundaries.js';
import { toSrt, toVtt } from '../format/subtitles.js';
import { measure, type TextMeasure } from '../format/tokens.js';

export type Format = 'text' | 'srt' | 'vtt' | 'json';

export interface Rendering {
  transcriptId: string;
  format: Format;
  text: string;
  boundaries: number[];
  measured: TextMeasure;
}

const KEEP = 8;

export class Renderings {
  private readonly cache = new Map<string, Rendering>();

  constructor(
    private readonly find: (id: string) => Promise<TranscriptionResult | undefined>,
    private readonly findText: (id: string) => Promise<{ transcriptId: string; text: string } | undefined>,
  ) {}

  /** The transcript saved under `id` (a transcript id or a task id) in `format`. */
  async get(id: string, format: Format): Promise<Rendering> {
    const hit = this.cache.get(`${id}\n${format}`);
    if (hit) {
      // Most recently used last, so the oldest is the one dropped.
      this.cache.delete(`${id}\n${format}`);
      this.cache.set(`${id}\n${format}`, hit);
      return hit;
    }
    // Plain text comes from the .txt alone: no need to parse the JSON with every word timing.
    const textOnly = format === 'text' ? await this.findText(id) : undefined;
    const saved = textOnly ? undefined : await this.find(id);
    if (!textOnly && !saved?.transcript_id) {
      throw new NotFoundError(`No saved transcript under "${id.slice(0, 120)}".`, {
        hint: 'Pass the transcript_id (or task_id) from an asr_transcribe or asr_task_status result; resources/list shows the saved ones.',
      });
    }
    const rendering = textOnly
      ? renderText(textOnly.transcriptId, textOnly.text)
      : render(saved as TranscriptionResult, format);
    this.cache.set(`${id}\n${format}`, rendering);
    if (this.cache.size > KEEP) this.cache.delete(this.cache.keys().next().value as string);
    return rendering;
  }
}

function renderText(transcriptId: string, text: string): Rendering {
  return {
    transcriptId,
    format: 'text',
    text,
    boundaries: sentenceBoundaries(text),
    measured: measure(text),
  };
}

function render(saved: TranscriptionResult, format: Format): Rendering {
  const timed = Array.isArray(saved.sentences) && saved.sentences.some((s) => s.end_ms > 0);
  if ((format === 'srt' || format === 'vtt') && !timed) {
    throw new InputError(`Transcript ${saved.transcript_id} has no timestamps, so there are no subtitles.`, {
      hint: 'Read it with format "text" or "json"; for subtitles, transcribe with timestamp_granularities: ["sentence"].',
    });
  }
  const text =
    format === 'text'
      ? saved.text
      : format === 'srt'
        ? toSrt(saved.sentences ?? [])
        : format === 'vtt'
          ? toVtt(saved.sentences ?? [])
          : // One value per line, so a page ends at a line and stays readable.
            JSON.stringify(saved, null, 1);
  const boundaries =
    format === 'text'
      ? sentenceBoundaries(text)
      : format === 'json'
        ? lineBoundaries(text)
        : cueBoundaries(text);
  return { transcriptId: saved.transcript_id!, format, text, boundaries, measured: measure(text) };
}
