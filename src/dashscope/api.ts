/**
 * DashScope's endpoints, one method each: sync recognition (compatible or native), async submit,
 * task query and cancel, and the transcription JSON. No policy lives here beyond what the wire needs.
 */

import type { Config } from '../config/config.js';
import { resolveApiKey } from '../config/config.js';
import { BadRequestError, ConfigurationError } from '../domain/errors.js';
import type { HttpClient } from '../http/client.js';
import type { ByteStream } from '../util/byte-stream.js';
import { registerSecret } from '../util/secrets.js';
import { VERSION } from '../util/version.js';
import { audio3SyncBody, parseAudio3SyncResponse } from './audio3.js';
import { apiErrorFor } from './errors.js';
import type { ModelInfo } from './models.js';
import { compatibleBody, nativeSyncBody, type SyncOptions } from './options.js';
import {
  parseTaskResponse,
  parseTranscriptionJson,
  type TaskParsed,
  type TranscriptParsed,
} from './parse.js';
import {
  ErrorChunk,
  parseCompatibleResponse,
  parseNativeSyncResponse,
  StreamedCompletion,
  type SyncParsed,
} from './parse-sync.js';

/** Sent on every request to DashScope (and its storage hosts). */
export const USER_AGENT = `qwen-asr-mcp/${VERSION} node/${process.versions.node}`;

const AUDIO_PLACEHOLDER = '\u0000AUDIO\u0000';
/** Transcripts of 12 h with word timestamps run to tens of MB. */
const TRANSCRIPT_MAX_BYTES = 512 * 1024 * 1024;

export class DashScopeApi {
  constructor(
    private readonly config: Config,
    readonly http: HttpClient,
  ) {}

  get nativeBaseUrl(): string {
    return this.config.nativeBaseUrl;
  }

  /**
   * Authorization (read now, so a key configured after start-up works), the User-Agent and the optional
   * workspace (not on the upload-policy request: the official clients send none there).
   */
  headers(opts: { workspace?: boolean } = {}): Record<string, string> {
    const { key } = resolveApiKey(this.config);
    registerSecret(key);
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'user-agent': USER_AGENT };
    if (this.config.workspace && opts.workspace !== false)
      headers['x-dashscope-workspace'] = this.config.workspace;
    return headers;
  }

  /** Which endpoint a sync model is reached through. */
  syncEndpoint(model: ModelInfo): 'compatible' | 'native' {
    // compatible mode answers 404 model_not_supported for these; only qwen3-asr-flash speaks it
    if (model.family === 'qwen-audio' || model.family === 'audio3-sync') return 'native';
    if (!this.config.compatibleBaseUrl) return 'native';
    return 'compatible';
  }

  /**
   * One sync recognition. With `onPartial` (and the compatible endpoint) the answer is streamed and
   * the text so far is reported after every piece; the parsed result is the same either way.
   */
  async recognizeSync(
    model: ModelInfo,
    options: SyncOptions,
    audio: string | Buffer | ByteStream,
    call: { signal?: AbortSignal; deadline?: number; onPartial?: (textSoFar: string) => void } = {},
  ): Promise<{ parsed: SyncParsed; raw: unknown; endpoint: 'compatible' | 'native'; streamed: boolean }> {
    const { signal, deadline, onPartial } = call;
    const endpoint = this.syncEndpoint(model);
    const streamed = endpoint === 'compatible' && onPartial !== undefined;
    const body = options.audio3
      ? audio3SyncBody(model, options.audio3, AUDIO_PLACEHOLDER)
      : endpoint === 'compatible'
        ? compatibleBody(model, options, AUDIO_PLACEHOLDER, streamed)
        : nativeSyncBody(model, options, AUDIO_PLACEHOLDER);
    const headers = this.headers();
    // Only the final result: partial SSE events of these models are UNCONFIRMED in shape.
    if (options.audio3) headers['x-dashscope-sse'] = 'disable';
    // Splice the (possibly 10 MB) data URI into the JSON as a separate piece instead of stringifying it.
    const json = JSON.stringify(body);
    const marker = JSON.stringify(AUDIO_PLACEHOLDER).slice(1, -1);
    const at = json.indexOf(marker);
    // A data URI needs no JSON escaping (base64 and `data:mime;base64,`), so its bytes go in as they are.
    const audioPiece = typeof audio === 'string' ? Buffer.from(JSON.stringify(audio).slice(1, -1)) : audio;
    const parts = [Buffer.from(json.slice(0, at)), audioPiece, Buffer.from(json.slice(at + marker.length))];
    const url =
      endpoint === 'compatible'
        ? `${this.config.compatibleBaseUrl}/chat/completions`
        : `${this.config.nativeBaseUrl}/services/aigc/multimodal-generation/generation`;
    const completion = streamed ? new StreamedCompletion() : undefined;
    let streamError: unknown;
    const res = await this.http.json({
      method: 'POST',
      url,
      headers,
      bodyParts: parts,
      idempotent: true,
      signal,
      deadline,
      purpose: `transcribe with ${model.id}`,
      onEvent: completion
        ? (payload) => {
            if (streamError) return;
            try {
              const soFar = completion.push(payload);
              if (soFar !== undefined) onPartial?.(soFar);
            } catch (err) {
              streamError = err;
            }
          }
        : undefined,
    });
    if (completion && res.data === undefined) {
      if (streamError) {
        if (!(streamError instanceof ErrorChunk)) throw streamError;
        throw apiErrorFor(
          400,
          streamError.body,
          '',
          undefined,
          `transcribe with ${model.id}`,
          this.config.region,
        );
      }
      return { parsed: completion.result(), raw: completion.response(), endpoint, streamed: true };
    }
    // The service may answer a stream request with plain JSON; that parses like any other answer.
    const parsed = options.audio3
      ? parseAudio3SyncResponse(res.data)
      : endpoint === 'compatible'
        ? parseCompatibleResponse(res.data)
        : parseNativeSyncResponse(res.data);
    return { parsed, raw: res.data, endpoint, streamed: false };
  }

  async submit(body: Record<string, unknown>, opts: { ossResolve: boolean; signal?: AbortSignal }) {
    const headers: Record<string, string> = { ...this.headers(), 'x-dashscope-async': 'enable' };
    if (opts.ossResolve) headers['x-dashscope-ossresourceresolve'] = 'enable';
    let res: Awaited<ReturnType<HttpClient['json']>>;
    try {
      res = await this.http.json({
        method: 'POST',
        url: `${this.config.nativeBaseUrl}/services/audio/asr/transcription`,
        headers,
        json: body,
        // Never sent twice once it may have been accepted: a duplicate task would be billed twice.
        idempotent: false,
        signal: opts.signal,
        purpose: `submit the transcription task to ${String(body.model)}`,
      });
    } catch (err) {
      // Singapore's temporary upload is documented only since late 2026: say so when its oss:// is refused.
      if (opts.ossResolve && this.config.region === 'ap-southeast-1' && err instanceof BadRequestError) {
        throw new BadRequestError(
          `DashScope in ap-southeast-1 refused the temporary upload's oss:// URL (${err.message}); the temporary upload is documented there only since late 2026.`,
          {
            code: err.code,
            status: err.status,
            requestId: err.requestId,
            hint: 'Configure your own bucket (ASR_BUCKET), pass a public http(s) URL, or use a cn-beijing key (DASHSCOPE_REGION=cn-beijing).',
          },
        );
      }
      throw err;
    }
    return { parsed: parseTaskResponse(res.data), raw: res.data };
  }

  async queryTask(
    taskId: string,
    signal?: AbortSignal,
    deadline?: number,
  ): Promise<{ parsed: TaskParsed; raw: unknown }> {
    const res = await this.http.json({
      method: 'GET',
      url: `${this.config.nativeBaseUrl}/tasks/${encodeURIComponent(taskId)}`,
      headers: this.headers(),
      idempotent: true,
      signal,
      deadline,
      purpose: `query task ${taskId}`,
    });
    return { parsed: parseTaskResponse(res.data), raw: res.data };
  }

  async cancelTask(taskId: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.http.json({
      method: 'POST',
      url: `${this.config.nativeBaseUrl}/tasks/${encodeURIComponent(taskId)}/cancel`,
      headers: this.headers(),
      idempotent: true,
      signal,
      purpose: `cancel task ${taskId}`,
    });
    return res.data;
  }

  /** The result file lives on OSS behind a signed URL: a plain GET, and our key must not go there. */
  async fetchTranscription(
    url: string,
    signal?: AbortSignal,
    deadline?: number,
  ): Promise<{ parsed: TranscriptParsed; raw: unknown }> {
    if (!/^https?:\/\//i.test(url)) {
      throw new ConfigurationError(`The task's transcription_url is not an http(s) URL: ${url.slice(0, 80)}`);
    }
    const res = await this.http.json({
      method: 'GET',
      url,
      headers: { 'user-agent': USER_AGENT },
      idempotent: true,
      signal,
      deadline,
      maxResponseBytes: TRANSCRIPT_MAX_BYTES,
      purpose: 'fetch the transcript from transcription_url',
    });
    return { parsed: parseTranscriptionJson(res.data), raw: res.data };
  }
}
