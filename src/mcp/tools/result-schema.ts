/**
 * The declared shape of a transcription result (`outputSchema`, `structuredContent`). Kept lean: a
 * client reads it on every `tools/list`, so nested descriptions are left out and the top level says
 * what each field is.
 */
import { z } from 'zod';

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
/** What stands in for `sentences` or `raw` when they do not fit the result budget. */
const leftOut = z.object({ truncated: z.literal(true), bytes: z.number() });
const omitted = z.object({
  omitted: z.literal(true),
  bytes: z.number(),
  read_with: z.looseObject({}).meta({ additionalProperties: true }),
});

/** A free-form JSON object, spelled `additionalProperties: true` (clients read `{}` as "anything"). */
const freeObject = z.looseObject({}).meta({ additionalProperties: true });

export const resultShape = {
  text: z.string().describe('Transcript (maybe cut)'),
  text_truncated: z.boolean().optional().describe('true when text is cut; read on with asr_read_transcript'),
  text_total_chars: z.number().optional().describe('Length of the whole transcript in characters'),
  next_offset: z.number().optional().describe('Where to read on'),
  // anyOf rather than a type array: more portable across clients' schema dialects.
  task_id: z
    .union([z.string(), z.null()])
    .describe('Async task id (local-… while uploading); null for sync calls'),
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
  usage: freeObject.optional().describe("The service's usage report"),
  cost_estimate: z
    .object({ usd: z.number(), basis: z.enum(['per_second', 'per_token']), price_table_date: z.string() })
    .optional()
    .describe('List-price estimate from the dated price table; absent when unpriced'),
  sentences: z
    .union([z.array(sentence), leftOut])
    .optional()
    .describe('Timed sentences (async models)'),
  warnings: z.array(z.string()).describe('Routing decisions and options not sent, with reasons'),
  transcript_id: z.string().optional().describe('For asr_read_transcript'),
  storage: z
    .enum(['disk', 'memory'])
    .optional()
    .describe('memory: not saved to disk, readable until restart'),
  files: z
    .object({ json: z.string(), txt: z.string(), srt: z.string().optional(), vtt: z.string().optional() })
    .optional()
    .describe('Absolute paths of the saved files'),
  poll_after_s: z.number().optional().describe('Unfinished task: call asr_task_status after this long'),
  eta_s: z.number().optional().describe('Rough seconds until the task is done'),
  progress: z.string().optional(),
  source: z.string().optional(),
  raw: z.union([freeObject, omitted, z.null()]).describe('API responses'),
};
