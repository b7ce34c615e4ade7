/** The shapes the fake's modules share: what tests steer and read, and what each handler is given. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeRegion } from './regions.js';
import type { SigVerdict } from './sigv4-verify.js';

export type Route =
  | 'compatible'
  | 'native-sync'
  | 'submit'
  | 'task'
  | 'cancel'
  | 'result'
  | 'policy'
  | 'upload'
  | 'media'
  /** The S3-compatible bucket (s3.ts), path-style or virtual-hosted. */
  | 's3';

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'truncate' }
  | { kind: 'html' }
  | { kind: 'delay'; ms: number }
  | { kind: 'trickle'; intervalMs: number }
  /** A 200 answer whose JSON body is this many bytes long (a runaway or hostile response). */
  | { kind: 'oversized'; bytes: number }
  /** A 200 answer that is not JSON at all, under a non-JSON content type. */
  | { kind: 'wrong-type' }
  /** A streamed (SSE) answer whose connection drops after this many chunks. */
  | { kind: 'cut-stream'; afterChunks: number };

export interface RecordedRequest {
  route: Route | 'unknown';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  json?: unknown;
  bodyBytes: number;
  at: number;
  /** When the body had been read (uploads): with `at`, the transfer time. */
  endedAt?: number;
  /** Bucket requests: the bucket and (decoded) key addressed, and what the signature check found. */
  s3?: { bucket: string; key: string; verdict: SigVerdict };
}

export interface Media {
  durationS: number;
  text?: string;
  /** Answer 403 to downloads (a private bucket). */
  forbidden?: boolean;
  sizeBytes?: number;
}

export interface FakeOptions {
  apiKey?: string;
  /** Time a task stays PENDING, then RUNNING, before it SUCCEEDS (ms). */
  queueMs?: number;
  runMs?: number;
  maxUploadMb?: number;
  policyExpireSeconds?: number;
  /** Added before every API answer (not uploads), to model network/API latency. */
  latencyMs?: number;
  /** How many bytes of each uploaded file to keep (for sniffing); the rest is counted and dropped. */
  keepUploadBytes?: number;
  resultTtlMs?: number;
  /** Pause between the chunks of a streamed sync answer (ms), as the service pauses between words. */
  streamChunkMs?: number;
  /** The S3-compatible bucket: its name, region, the one access key it accepts, and its list page size. */
  s3Bucket?: string;
  s3Region?: string;
  s3AccessKeyId?: string;
  s3SecretAccessKey?: string;
  s3PageSize?: number;
  /** What an uploaded file (temporary storage or the bucket) "says": its transcript text. */
  uploadText?: string;
  /** Which region this fake is: the models it has, compatible mode, the temporary upload. */
  region?: FakeRegion;
  /** Override whether the upload policy is handed out (default: as the region documents). */
  temporaryUpload?: boolean;
  /** Words the file-transcription models mask as `***` unless `special_word_filter` turns that off. */
  sensitiveWords?: string[];
}

/** An object in the fake bucket: counted and hashed as it arrived, only its head kept. */
export interface S3Object {
  key: string;
  size: number;
  sha256: string;
  head: Buffer;
  lastModified: number;
  contentType?: string | undefined;
}

export interface S3State {
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pageSize: number;
  readonly objects: Map<string, S3Object>;
  /** Keys in the order DELETE requests named them. */
  readonly deleted: string[];
}

/** What a sync call "heard" in the audio it was given. */
export interface HeardAudio {
  text: string;
  durationS: number;
}

export interface Upload {
  key: string;
  size: number;
  head: Buffer;
  fields: Record<string, string>;
}

export interface Task {
  id: string;
  model: string;
  submittedAt: number;
  fileUrl: string;
  params: Record<string, unknown>;
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  failure?: { code: string; message: string };
  durationS: number;
  text: string;
  /** Set once the fake decides the task is done (used by benchmarks: finish → tool return). */
  finishedAt?: number;
  held: boolean;
  /** paraformer / fun-asr / qwen-audio-3.x filetrans: results[] with subtasks, `properties` in the transcript. */
  family: boolean;
  /** qwen-audio-3.x filetrans: the context messages it was given. */
  context?: unknown;
}

export interface Policy {
  expiresAt: number;
  uploadDir: string;
}

/**
 * What handlers may see of the fake: the account's state, shared across requests. Nothing in here
 * describes one request; that lives in `RequestContext`, so one request cannot steer the next.
 */
export interface FakeState {
  readonly options: Readonly<Required<FakeOptions>>;
  /** The fake's own origin, for the URLs it hands out (upload host, transcription_url, media). */
  readonly url: string;
  readonly media: Map<string, Media>;
  readonly uploads: Map<string, Upload>;
  readonly tasks: Map<string, Task>;
  readonly vocabularies: Set<string>;
  readonly policies: Map<string, Policy>;
  readonly s3: S3State;
  /** New tasks start held; tests flip it on the instance at any moment, so it is read live. */
  readonly holdAll: boolean;
}

/** One request, as its handler receives it. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly record: RecordedRequest;
  /** Named groups of the route's path pattern, as they appear in the path (not decoded). */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed body when it was sent as JSON; routes that read their own body get undefined. */
  readonly json: unknown;
  /** The injected fault this request meets, taken from the queue when it arrived. */
  readonly fault: Fault | undefined;
  readonly state: FakeState;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;
