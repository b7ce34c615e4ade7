/**
 * Sync answers (OpenAI-compatible, native, and the streamed chunks of either) parsed into the same
 * SyncParsed; anything not in the documented shape is a MalformedResponseError naming what was missing.
 */
import type { Sentence } from '../domain/result.js';
import { malformed, num, obj, str } from './json.js';

export interface SyncParsed {
  text: string;
  language?: string;
  emotion?: string;
  usage?: unknown;
  seconds?: number;
  /** Qwen-Audio 3.x / Fun-ASR-Flash: timestamps are always on. */
  sentences?: Sentence[];
}

function audioInfo(annotations: unknown): { language?: string; emotion?: string } {
  if (!Array.isArray(annotations)) return {};
  const info = annotations.map(obj).find((a) => a?.type === 'audio_info') ?? obj(annotations[0]);
  return { language: str(info?.language) || undefined, emotion: str(info?.emotion) || undefined };
}

export function parseCompatibleResponse(data: unknown): SyncParsed {
  const root = obj(data);
  const requestId = str(root?.request_id) ?? str(root?.id);
  const choices = root?.choices;
  if (!Array.isArray(choices) || choices.length === 0)
    throw malformed('no `choices` in the chat completion', requestId);
  const message = obj(obj(choices[0])?.message);
  if (!message) throw malformed('`choices[0].message` is missing', requestId);
  const content = message.content;
  const text = typeof content === 'string' ? content : contentText(content);
  if (text === undefined) throw malformed('`choices[0].message.content` is not text', requestId);
  const usage = root?.usage;
  return { text: text.trim(), ...audioInfo(message.annotations), usage, seconds: num(obj(usage)?.seconds) };
}

/** A streamed chunk that carries an error instead of text (the HTTP status was already 200). */
export class ErrorChunk extends Error {
  constructor(readonly body: unknown) {
    super('the stream carried an error');
    this.name = 'ErrorChunk';
  }
}

/**
 * Accumulates `chat.completion.chunk` events into the same SyncParsed a non-streamed call gives:
 * the text is the deltas joined, annotations come from the first chunk that has them, usage from the
 * last chunk. Chunks are not kept: `response()` assembles the one `chat.completion` they add up to,
 * so a streamed result carries the same `raw` shape as a plain one (and not a megabyte of chunks).
 */
export class StreamedCompletion {
  private text = '';
  private info: { language?: string; emotion?: string } = {};
  private annotations: unknown;
  private usage: unknown;
  private finished = false;
  private finishReason: string | undefined;
  private chunkCount = 0;
  private envelope: { id?: unknown; created?: unknown; model?: unknown } = {};

  /** Returns the text so far when this event added some, otherwise undefined. */
  push(payload: string): string | undefined {
    if (payload.trim() === '[DONE]') {
      this.finished = true;
      return undefined;
    }
    let data: unknown;
    try {
      data = JSON.parse(payload);
    } catch {
      throw malformed(`a streamed chunk is not JSON (${payload.slice(0, 60)})`);
    }
    this.chunkCount++;
    const root = obj(data);
    if (root?.error) throw new ErrorChunk(data);
    if (this.envelope.id === undefined && root) {
      this.envelope = { id: root.id, created: root.created, model: root.model };
    }
    if (root?.usage) this.usage = root.usage;
    const choice = obj(Array.isArray(root?.choices) ? root.choices[0] : undefined);
    if (!choice) return undefined;
    if (str(choice.finish_reason)) {
      this.finished = true;
      this.finishReason = str(choice.finish_reason);
    }
    const delta = obj(choice.delta) ?? obj(choice.message);
    if (!delta) return undefined;
    if (this.annotations === undefined && delta.annotations !== undefined)
      this.annotations = delta.annotations;
    if (!this.info.language && !this.info.emotion) this.info = audioInfo(delta.annotations);
    const piece = typeof delta.content === 'string' ? delta.content : contentText(delta.content);
    if (!piece) return undefined;
    this.text += piece;
    return this.text;
  }

  result(): SyncParsed {
    if (!this.finished && this.chunkCount === 0) throw malformed('the stream ended without any chunk');
    if (!this.finished)
      throw malformed('the stream ended before its last chunk (no finish_reason or [DONE])');
    return {
      text: this.text.trim(),
      ...this.info,
      usage: this.usage,
      seconds: num(obj(this.usage)?.seconds),
    };
  }

  /** The `chat.completion` the chunks add up to, in the shape a plain call answers with. */
  response(): Record<string, unknown> {
    const message: Record<string, unknown> = {};
    if (this.annotations !== undefined) message.annotations = this.annotations;
    message.content = this.text;
    message.role = 'assistant';
    const out: Record<string, unknown> = {
      choices: [{ finish_reason: this.finishReason ?? 'stop', index: 0, message }],
      created: this.envelope.created,
      id: this.envelope.id,
      model: this.envelope.model,
      object: 'chat.completion',
    };
    if (this.usage !== undefined) out.usage = this.usage;
    return out;
  }
}

function contentText(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  return content
    .map((part) => str(obj(part)?.text) ?? '')
    .join('')
    .trim();
}

export function parseNativeSyncResponse(data: unknown): SyncParsed {
  const root = obj(data);
  const requestId = str(root?.request_id);
  const choices = obj(root?.output)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw malformed('no `output.choices`', requestId);
  const message = obj(obj(choices[0])?.message);
  const text = typeof message?.content === 'string' ? message.content : contentText(message?.content);
  if (text === undefined) throw malformed('`output.choices[0].message.content` is not text', requestId);
  const usage = root?.usage;
  return { text: text.trim(), ...audioInfo(message?.annotations), usage, seconds: num(obj(usage)?.seconds) };
}
