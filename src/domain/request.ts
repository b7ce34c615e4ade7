/** What callers ask for: the normalized request, whatever model ends up serving it. */

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
  /**
   * Unset: the service's default (sensitive words masked as `***`). false: sent as
   * `special_word_filter: {system_reserved_filter: false}` (3.x filetrans, fun-asr, paraformer).
   */
  mask_sensitive_words?: boolean;
  /** For async models: wait for the result (true, default) or return after submission. */
  wait?: boolean;
  /** Upper bound on how long this call waits before handing back a task id. */
  wait_seconds?: number;
}

/** `asr_task_status` and the CLI's `status`: one task, waited on or asked once. */
export interface StatusRequest {
  task_id: string;
  wait?: boolean;
  wait_seconds?: number;
}

/** The options of one transcription, applied to every file of a batch. */
export type TranscribeOptions = Omit<TranscribeRequest, 'audio' | 'wait' | 'wait_seconds'>;

/** `asr_transcribe_batch` and the CLI's several `--audio` or `--folder`: one job per file. */
export interface BatchRequest {
  /** Paths or URLs (1-100); or `folder` with an optional `pattern`. */
  audio?: string[];
  folder?: string;
  /** A glob relative to the folder: `*`, `?`, `**`, `{a,b}` (default: audio and video extensions). */
  pattern?: string;
  recursive?: boolean;
  options?: TranscribeOptions;
  /** Transcribe again even when a saved transcript of the same audio and options exists. */
  force?: boolean;
  wait?: boolean;
  wait_seconds?: number;
}
