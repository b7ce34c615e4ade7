/** The normalized interface: what callers ask for and what they get back, whatever model ran. */

export type TimestampGranularity = 'sentence' | 'word';

export interface TranscribeRequest {
  /** Local path (absolute, relative, `~`, `file://`) or an http(s) / oss:// URL. */
  audio: string;
  model?: string;
  language_hints?: string[];
  sample_rate?: number;
  vocabulary_id?: string;
  disfluency_removal_enabled?: boolean;
  timestamp_granularities?: TimestampGranularity[];
  async?: boolean;
  /** Names and terms that bias recognition (system message of the sync model). */
  context?: string;
  enable_itn?: boolean;
  channel_id?: number[];
  /** paraformer / fun-asr: label who speaks each sentence. */
  diarization_enabled?: boolean;
  /** paraformer / fun-asr: how many speakers to expect (2-100), a hint for diarization. */
  speaker_count?: number;
  /** paraformer / fun-asr: align timestamps more precisely (slower). */
  timestamp_alignment_enabled?: boolean;
  /** For async models: wait for the result (true, default) or return after submission. */
  wait?: boolean;
  /** Upper bound on how long this call waits before handing back a task id. */
  wait_seconds?: number;
}

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
  sentences?: Sentence[];
  warnings: string[];
  transcript_id?: string;
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

export type Stage =
  | 'preparing'
  | 'encoding'
  | 'transcribing'
  | 'uploading'
  | 'submitting'
  | 'queued'
  | 'running'
  | 'fetching'
  | 'saving'
  | 'done';

export interface ProgressEvent {
  stage: Stage;
  /** 0..1 within the stage, when known (upload bytes, running time against the estimate). */
  fraction?: number;
  /** Extra words for the message ("12.0 of 30.0 MB"). */
  detail?: string;
  /** Streamed sync calls: the text recognized so far. */
  partial?: string;
}

export interface CallContext {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Set when the caller can show partial text as it arrives: sync qwen3 calls then stream, and this
   * receives the whole text recognized so far after each piece.
   */
  onPartial?: (textSoFar: string) => void;
}
