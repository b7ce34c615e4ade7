/**
 * What the fake "hears", and the transcript files it serves at a task's transcription_url: the
 * qwen3-asr-flash-filetrans shape, and the paraformer / fun-asr shape. Times are spread over the audio
 * in proportion to text length, which is enough for subtitles and word timing to be checked.
 */
import type { Task } from './types.js';

export const DEFAULT_TEXT =
  'Welcome to Alibaba Cloud. This is a short test recording for speech recognition.';

/** Filler words the fake "hears" and drops when disfluency removal is on. */
const FILLERS = /\b(?:um+|uh+|erm)\b,?\s*/gi;

/** What the file-transcription models do by default: listed words become `***`. */
export function maskWords(text: string, words: readonly string[]): string {
  let out = text;
  for (const w of words) out = out.replace(new RegExp(`\\b${w.replace(/[^\w]/g, '')}\\b`, 'gi'), '***');
  return out;
}

export function transcriptionJson(task: Task): unknown {
  return task.family ? familyTranscriptionJson(task) : qwenTranscriptionJson(task);
}

/** Sentences with proportional times, `[text, begin, end]`; the last one ends exactly at `totalMs`. */
function timedSentences(text: string, totalMs: number): [string, number, number][] {
  const parts = text.split(/(?<=[.!?。！？])\s*/).filter(Boolean);
  const totalChars = parts.reduce((n, s) => n + s.length, 0) || 1;
  let at = 0;
  return parts.map((part, i) => {
    const begin = at;
    const end = i === parts.length - 1 ? totalMs : at + Math.round((totalMs * part.length) / totalChars);
    at = end;
    return [part, begin, end];
  });
}

/** Equal slices of a sentence per word, trailing punctuation split off as the service does. */
export function timedWords(text: string, begin: number, end: number) {
  const words = text.split(/\s+/);
  const step = (end - begin) / words.length;
  return words.map((w, j) => {
    const m = /^(.*?)([.,!?;:]*)$/.exec(w)!;
    return {
      begin_time: Math.round(begin + j * step),
      end_time: Math.round(begin + (j + 1) * step),
      text: m[1],
      punctuation: m[2],
    };
  });
}

function channelsOf(params: Record<string, unknown>): number[] {
  return Array.isArray(params.channel_id) ? (params.channel_id as number[]) : [0];
}

/** The paraformer / fun-asr file: `properties`, content durations, words always, speakers on request. */
function familyTranscriptionJson(task: Task): unknown {
  const p = task.params;
  const channels = channelsOf(p);
  const text = p.disfluency_removal_enabled === true ? task.text.replace(FILLERS, '') : task.text;
  const speakers = p.diarization_enabled === true ? ((p.speaker_count as number | undefined) ?? 2) : 0;
  const totalMs = Math.round(task.durationS * 1000);
  return {
    file_url: task.fileUrl,
    properties: {
      audio_format: 'pcm_s16le',
      channels,
      original_sampling_rate: /8k/.test(task.model) ? 8000 : 16000,
      original_duration_in_milliseconds: totalMs,
    },
    transcripts: channels.map((channel) => ({
      channel_id: channel,
      content_duration_in_milliseconds: totalMs,
      text,
      sentences: timedSentences(text, totalMs).map(([t, begin, end], i) => {
        const sentence: Record<string, unknown> = {
          begin_time: begin,
          end_time: end,
          text: t,
          sentence_id: i + 1,
          words: timedWords(t, begin, end),
        };
        if (speakers > 0) sentence.speaker_id = i % speakers;
        return sentence;
      }),
    })),
  };
}

/** The qwen3 filetrans file: language and emotion per sentence (0-based ids), words only on request. */
function qwenTranscriptionJson(task: Task): unknown {
  const withWords = task.params.enable_words === true;
  const language = typeof task.params.language === 'string' ? task.params.language : 'en';
  const totalMs = Math.round(task.durationS * 1000);
  return {
    file_url: task.fileUrl,
    audio_info: { format: 'wav', sample_rate: 16000 },
    transcripts: channelsOf(task.params).map((channel) => ({
      channel_id: channel,
      text: task.text,
      sentences: timedSentences(task.text, totalMs).map(([text, begin, end], i) => {
        const sentence: Record<string, unknown> = {
          sentence_id: i,
          begin_time: begin,
          end_time: end,
          language,
          emotion: 'neutral',
          text,
        };
        if (withWords) sentence.words = timedWords(text, begin, end);
        return sentence;
      }),
    })),
  };
}
