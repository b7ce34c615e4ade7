import { z } from 'zod';
import { VIEWER_TOOL_META } from '../resources/viewer.js';
import { ASR_TOOL_ANNOTATIONS } from './annotations.js';
import { defineTool } from './define.js';
import { toToolPayload } from './result.js';
import { resultShape } from './result-schema.js';

// Descriptions are short on purpose: every client sends them to its model with every request.
export const transcribeInput = {
  audio: z
    .string()
    .min(1)
    .max(16 * 1024 * 1024)
    // Paths and URLs stay short; only inline audio (a data: URI, ≤ 7 MiB decoded) is long.
    .refine((a) => a.length <= 4096 || /^\s*data:/i.test(a), '`audio` path or URL is over 4096 characters')
    .describe('Local path or http(s) URL (any length), or a data: URI (≤7 MiB).'),
  model: z
    .string()
    .max(100)
    .optional()
    .describe('Unset: routed. Or e.g. qwen3-asr-flash(-filetrans), qwen-audio-3.1-asr-flash, fun-asr.'),
  language_hints: z
    .array(z.string().min(2).max(10))
    .max(10)
    .optional()
    .describe('Language codes, e.g. ["en"]; only when sure.'),
  sample_rate: z
    .number()
    .int()
    .min(8000)
    .max(48000)
    .optional()
    .describe('Not sent; hints paraformer 8k vs 16k.'),
  vocabulary_id: z
    .string()
    .max(200)
    .regex(/^[\w.-]+$/, 'vocabulary_id has letters, digits, -, _ and . only')
    .optional()
    .describe('Hot-word vocabulary id (paraformer/fun-asr).'),
  disfluency_removal_enabled: z.boolean().optional().describe('Drop filler words (fun-asr family).'),
  timestamp_granularities: z
    .array(z.enum(['sentence', 'word']))
    .max(2)
    .optional()
    .describe('Timed sentences/words; saves .srt/.vtt.'),
  async: z.boolean().optional().describe('Run as an async task.'),
  context: z.string().max(40_000).optional().describe('Names and terms to bias recognition.'),
  enable_itn: z.boolean().optional().describe('Inverse text normalization.'),
  channel_id: z
    .array(z.number().int().min(0).max(31))
    .min(1)
    .max(32)
    .optional()
    .describe('Channels to transcribe (each billed).'),
  diarization_enabled: z.boolean().optional().describe('Label speakers.'),
  speaker_count: z
    .number()
    .int()
    .min(2)
    .max(100)
    .optional()
    .describe('Expected speakers (implies diarization).'),
  timestamp_alignment_enabled: z.boolean().optional().describe('Finer timestamps (fun-asr family).'),
  mask_sensitive_words: z.boolean().optional().describe('false: no *** masking (file models).'),
  wait: z.boolean().optional().describe('false: return the task id at once.'),
  wait_seconds: z.number().min(0).max(43_200).optional().describe('Longest wait (45 s).'),
};

export const transcribeTool = defineTool({
  name: 'asr_transcribe',
  title: 'Transcribe audio (Qwen ASR)',
  description:
    'Transcribe speech in an audio/video file (path or URL, up to 12 h). Long audio may return RUNNING and a ' +
    'task_id: then call asr_task_status with wait: true. Read a cut transcript with asr_read_transcript.',
  inputShape: transcribeInput,
  outputShape: resultShape,
  annotations: ASR_TOOL_ANNOTATIONS,
  _meta: VIEWER_TOOL_META,
  run: (args, ctx, deps) => deps.service.transcribe(args, ctx),
  present: (result, deps) => toToolPayload(result, deps.config),
  finished: (result) => result.status === 'SUCCEEDED',
});
