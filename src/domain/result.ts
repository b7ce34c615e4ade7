/** What callers get back: the normalized result, whatever model ran. */

export type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

export interface Word {
  begin_ms: number;
  end_ms: number;
  text: string;
  punctuation: string;
}

export interface Sentence {
  begin_ms: number;
  end_ms: number;
  text: string;
  language?: string;
  emotion?: string;
  speaker_id?: number;
  channel_id?: number;
  words?: Word[];
}

export interface AudioInfo {
  format?: string;
  sample_rate?: number;
  channels?: number[];
}

export interface CostEstimate {
  usd: number;
  basis: 'per_second' | 'per_token';
  price_table_date: string;
}

export interface SavedFiles {
  json: string;
  txt: string;
  srt?: string;
  vtt?: string;
}

export interface TranscriptionResult {
  text: string;
  task_id: string | null;
  status: TaskStatus;
  /** The model that actually ran (routing may change it; `warnings` says why). */
  model: string;
  language?: string;
  emotion?: string;
  duration_s?: number;
  /** What the service read from the file (format, sampling rate, channels), when it says. */
  audio_info?: AudioInfo;
  /** Distinct speakers found, when diarization ran. */
  speakers?: number;
  usage?: unknown;
  /** From the spec page's dated price table, only for models priced there in USD; else absent. */
  cost_estimate?: CostEstimate;
  sentences?: Sentence[];
  warnings: string[];
  transcript_id?: string;
  /**
   * Where the transcript named by `transcript_id` is kept: `disk` (the `files`), or `memory` when the
   * disk refused it (full, read-only, no permission): then there are no `files`, and it is readable by
   * its id from this server process until the process ends (24 h at most).
   */
  storage?: 'disk' | 'memory';
  files?: SavedFiles;
  /** For unfinished tasks: when to ask again. */
  poll_after_s?: number;
  /** For unfinished tasks: rough seconds until done, when the audio's duration is known. */
  eta_s?: number;
  /** What is happening now, for unfinished work ("uploading 40%", "running 1m10s"). */
  progress?: string;
  /** What was transcribed: the path or URL as given. */
  source?: string;
  /** The API's responses, unmodified. */
  raw: unknown;
}
