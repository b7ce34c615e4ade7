/** How long work reports where it is: stages, events, and the per-call context that carries them. */

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
  /** A batch: `fraction` is the share of its files done, `detail` says how many. */
  | 'batch'
  | 'done';

export interface ProgressEvent {
  stage: Stage;
  /** 0..1 within the stage, when known (upload bytes, running time against the estimate). */
  fraction?: number;
  /** Extra words for the message ("12.0 of 30.0 MB"). */
  detail?: string;
  /** The DashScope task id, once the job has one (named in messages from then on). */
  taskId?: string;
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
  /**
   * When the call's budget ends (epoch ms): every request made for the call ends by then (the HTTP
   * timeout or this, whichever comes first), so a stalled service cannot hold the call longer.
   */
  deadline?: number;
}
