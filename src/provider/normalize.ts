/**
 * Response parsing: each API answer shape becomes the same normalized pieces. Anything not in the
 * documented shape raises MalformedResponseError naming what was missing, never a TypeError.
 */
import { MalformedResponseError } from '../errors.js';
import type { Sentence, TaskStatus, Word } from './types.js';

export interface SyncParsed {
  text: string;
  language?: string;
  emotion?: string;
  usage?: unknown;
  seconds?: number;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function malformed(what: string, requestId?: string): MalformedResponseError {
  return new MalformedResponseError(`DashScope's answer did not have the documented shape: ${what}.`, {
    requestId,
    hint: 'Try again; if it persists, the API may have changed: please report it with the raw response.',
  });
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

export interface TaskParsed {
  taskId: string;
  status: TaskStatus;
  transcriptionUrl?: string;
  code?: string;
  message?: string;
  usage?: unknown;
  requestId?: string;
  submitTime?: string;
}

const STATUSES = new Set(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);

export function parseTaskResponse(data: unknown): TaskParsed {
  const root = obj(data);
  const requestId = str(root?.request_id);
  const output = obj(root?.output);
  const taskId = str(output?.task_id);
  const rawStatus = str(output?.task_status);
  if (!output || !taskId || !rawStatus)
    throw malformed('`output.task_id` or `output.task_status` is missing', requestId);
  // SUSPENDED appears in SDK enums; to a caller it is simply not finished yet.
  const status = (
    STATUSES.has(rawStatus) ? rawStatus : rawStatus === 'SUSPENDED' ? 'PENDING' : 'UNKNOWN'
  ) as TaskStatus;
  const result = obj(output.result);
  let transcriptionUrl = str(result?.transcription_url);
  if (!transcriptionUrl && Array.isArray(output.results)) {
    transcriptionUrl = str(obj(output.results[0])?.transcription_url);
  }
  if (status === 'SUCCEEDED' && !transcriptionUrl) {
    throw malformed('the task SUCCEEDED but `output.result.transcription_url` is missing', requestId);
  }
  return {
    taskId,
    status,
    transcriptionUrl,
    code: str(output.code),
    message: str(output.message),
    usage: root?.usage,
    requestId,
    submitTime: str(output.submit_time),
  };
}

export interface TranscriptParsed {
  text: string;
  sentences: Sentence[];
  language?: string;
  emotion?: string;
  /** Milliseconds, from the last sentence's end. */
  endMs?: number;
}

export function parseTranscriptionJson(data: unknown): TranscriptParsed {
  const root = obj(data);
  const transcripts = root?.transcripts;
  if (!Array.isArray(transcripts)) throw malformed('the transcription JSON has no `transcripts` array');
  const channels = transcripts.map(obj).filter((t): t is Json => t !== undefined);
  const multi = channels.length > 1;
  const texts: string[] = [];
  const sentences: Sentence[] = [];
  for (const channel of channels) {
    const channelId = num(channel.channel_id);
    const text = (str(channel.text) ?? '').trim();
    if (text) texts.push(multi ? `[channel ${channelId ?? texts.length}] ${text}` : text);
    for (const s of Array.isArray(channel.sentences) ? channel.sentences : []) {
      const so = obj(s);
      if (!so) continue;
      const sentence: Sentence = {
        begin_ms: num(so.begin_time) ?? 0,
        end_ms: num(so.end_time) ?? 0,
        text: (str(so.text) ?? '').trim(),
      };
      const language = str(so.language);
      const emotion = str(so.emotion);
      const speaker = num(so.speaker_id);
      if (language) sentence.language = language;
      if (emotion) sentence.emotion = emotion;
      if (speaker !== undefined) sentence.speaker_id = speaker;
      if (multi && channelId !== undefined) sentence.channel_id = channelId;
      if (Array.isArray(so.words)) sentence.words = so.words.map(parseWord).filter((w): w is Word => !!w);
      sentences.push(sentence);
    }
  }
  if (multi) sentences.sort((a, b) => a.begin_ms - b.begin_ms || (a.channel_id ?? 0) - (b.channel_id ?? 0));
  const endMs = sentences.reduce<number | undefined>((max, s) => Math.max(max ?? 0, s.end_ms), undefined);
  return {
    text: texts.join('\n'),
    sentences,
    language: mostCommon(sentences.map((s) => s.language)),
    emotion: mostCommon(sentences.map((s) => s.emotion)),
    endMs,
  };
}

function parseWord(w: unknown): Word | undefined {
  const o = obj(w);
  if (!o) return undefined;
  return {
    begin_ms: num(o.begin_time) ?? 0,
    end_ms: num(o.end_time) ?? 0,
    text: str(o.text) ?? '',
    punctuation: str(o.punctuation) ?? '',
  };
}

function mostCommon(values: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [v, c] of counts) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

export function parsePolicy(data: unknown): UploadPolicy {
  const root = obj(data);
  const d = obj(root?.data);
  const required = ['policy', 'signature', 'upload_dir', 'upload_host', 'oss_access_key_id'] as const;
  for (const key of required) {
    if (!str(d?.[key])) throw malformed(`the upload policy has no \`data.${key}\``, str(root?.request_id));
  }
  return {
    policy: str(d!.policy)!,
    signature: str(d!.signature)!,
    uploadDir: str(d!.upload_dir)!,
    uploadHost: str(d!.upload_host)!,
    accessKeyId: str(d!.oss_access_key_id)!,
    objectAcl: str(d!.x_oss_object_acl) ?? 'private',
    forbidOverwrite: str(d!.x_oss_forbid_overwrite) ?? 'true',
    expireInSeconds: num(d!.expire_in_seconds) ?? 300,
    maxFileSizeMb: num(d!.max_file_size_mb),
  };
}

export interface UploadPolicy {
  policy: string;
  signature: string;
  uploadDir: string;
  uploadHost: string;
  accessKeyId: string;
  objectAcl: string;
  forbidOverwrite: string;
  expireInSeconds: number;
  maxFileSizeMb?: number;
}
