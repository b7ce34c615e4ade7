/**
 * The normalized result as MCP tool content: the transcript first (what an agent reads), then the JSON,
 * then links to the saved files. Everything inline is kept within a character budget so an hour-long
 * transcript with word timings does not flood the agent's context; the files hold everything.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { TranscriptionResult } from '../../domain/result.js';

const word = z.object({
  begin_ms: z.number(),
  end_ms: z.number(),
  text: z.string(),
  punctuation: z.string(),
});
const sentence = z.object({
  begin_ms: z.number(),
  end_ms: z.number(),
  text: z.string(),
  language: z.string().optional(),
  emotion: z.string().optional(),
  speaker_id: z.number().optional(),
  channel_id: z.number().optional(),
  words: z.array(word).optional(),
});
const truncated = z.object({
  truncated: z.literal(true),
  bytes: z.number().describe('Size of the left-out JSON'),
  file: z.string().optional().describe('Where the whole is saved'),
});

/** A free-form JSON object, spelled `additionalProperties: true` (clients read `{}` as "anything"). */
const freeObject = z.looseObject({}).meta({ additionalProperties: true });

export const resultShape = {
  text: z
    .string()
    .describe('The transcript (trimmed to ASR_MAX_TEXT_CHARS inline; the .txt file has it all)'),
  text_truncated: z.boolean().optional(),
  // anyOf rather than a type array: more portable across clients' schema dialects.
  task_id: z
    .union([
      z.string().describe('DashScope task id, or local-… while the file uploads'),
      z.null().describe('sync calls have no task'),
    ])
    .describe('Async task id (or local-… while uploading); null for sync calls'),
  status: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']),
  model: z.string().describe('The model that actually ran'),
  language: z.string().optional(),
  emotion: z.string().optional(),
  duration_s: z.number().optional(),
  audio_info: z
    .object({
      format: z.string().optional(),
      sample_rate: z.number().optional(),
      channels: z.array(z.number()).optional(),
    })
    .optional()
    .describe('What the service read from the file'),
  speakers: z.number().optional().describe('Distinct speakers found (diarization)'),
  usage: freeObject.optional().describe("The service's usage report (seconds, tokens)"),
  sentences: z
    .union([z.array(sentence), truncated])
    .optional()
    .describe('Timed sentences (async models)'),
  warnings: z.array(z.string()).describe('Routing decisions and options that were not sent, with reasons'),
  transcript_id: z.string().optional().describe('Names the saved transcript; readable as transcript://<id>'),
  files: z
    .object({ json: z.string(), txt: z.string(), srt: z.string().optional(), vtt: z.string().optional() })
    .optional()
    .describe('Absolute paths of the saved files'),
  poll_after_s: z
    .number()
    .optional()
    .describe('For unfinished tasks: call asr_task_status again after this long'),
  eta_s: z.number().optional().describe('Rough seconds until the task is done'),
  progress: z.string().optional(),
  source: z.string().optional(),
  raw: z
    .union([freeObject, z.null().describe('nothing was received yet')])
    .describe('The API responses, unmodified (or a truncation marker when large)'),
};

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType: string; description?: string };

export interface ToolPayload {
  [key: string]: unknown;
  content: ContentBlock[];
  structuredContent: Record<string, unknown>;
}

const MIME: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain',
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
};

export function toToolPayload(result: TranscriptionResult, maxChars: number): ToolPayload {
  const structured: Record<string, unknown> = { ...result };
  const wholeText = result.text;
  let text = wholeText;
  if (text.length > maxChars) {
    text = text.slice(0, maxChars);
    structured.text = text;
    structured.text_truncated = true;
  }
  // raw and sentences ride along only while they fit the same budget.
  for (const key of ['sentences', 'raw'] as const) {
    const value = result[key];
    if (value === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
    if (bytes > maxChars) structured[key] = { truncated: true, bytes, file: result.files?.json };
  }

  const content: ContentBlock[] = [{ type: 'text', text: headline(result, text, wholeText.length) }];
  content.push({ type: 'text', text: JSON.stringify(structured, null, 2) });
  if (result.files) {
    for (const [kind, path] of Object.entries(result.files)) {
      if (!path) continue;
      content.push({
        type: 'resource_link',
        uri: pathToFileURL(path).href,
        name: path.split(/[\\/]/).pop() ?? path,
        mimeType: MIME[kind] ?? 'application/octet-stream',
        description: `Saved transcript (${kind})`,
      });
    }
  }
  return { content, structuredContent: structured };
}

function headline(result: TranscriptionResult, text: string, wholeLength: number): string {
  if (result.status === 'PENDING' || result.status === 'RUNNING') {
    const eta = result.eta_s !== undefined ? ` Rough ETA: ${result.eta_s} s.` : '';
    return (
      `Not finished yet (${result.status}${result.progress ? `, ${result.progress}` : ''}). ` +
      `Call asr_task_status with task_id "${result.task_id}" and wait: true in about ${result.poll_after_s ?? 10} s to get the transcript.${eta}`
    );
  }
  if (text.length < wholeLength) {
    const where = [
      result.files?.txt,
      result.transcript_id ? `transcript://${result.transcript_id}` : undefined,
    ]
      .filter(Boolean)
      .join(' or ');
    return `${text}\n\n[Trimmed: ${text.length} of ${wholeLength} characters shown. The whole transcript is in ${where || 'the saved files'}.]`;
  }
  return text || '(no speech recognized)';
}
