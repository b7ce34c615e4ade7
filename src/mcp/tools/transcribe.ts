import { z } from 'zod';
import { ASR_TOOL_ANNOTATIONS } from './annotations.js';
import { defineTool } from './define.js';
import { resultShape } from './result.js';

export const transcribeInput = {
  audio: z
    .string()
    .min(1)
    .max(4096)
    .describe(
      'The recording: an absolute local path (also ~/…, relative, or file://…) or a public http(s) URL. ' +
        'Formats: aac, amr, avi, aiff, flac, flv, m4a, mkv, mov, mp3, mp4, mpeg, ogg, opus, wav, webm, wma, wmv. ' +
        'Local files of any length work: long or large ones are uploaded and transcribed asynchronously.',
    ),
  model: z
    .string()
    .max(100)
    .optional()
    .describe(
      'qwen3-asr-flash (default: fast, ≤5 min; longer/larger audio is routed to the filetrans model automatically), ' +
        'qwen3-asr-flash-filetrans (async, ≤12 h, timestamps), qwen-audio-asr (legacy), or the file-transcription ' +
        'family paraformer-v2, paraformer-8k-v2 (8 kHz phone audio), fun-asr, fun-asr-mtl (async; hot words, ' +
        'disfluency removal, speaker labels). Leave unset unless the user asks.',
    ),
  language_hints: z
    .array(z.string().min(2).max(10))
    .max(10)
    .optional()
    .describe(
      'Language codes such as ["en"] or ["zh"]. Qwen models take ONE code (give it only when the language is known ' +
        'for sure; otherwise they detect it); paraformer/fun-asr take the whole list.',
    ),
  sample_rate: z
    .number()
    .int()
    .min(8000)
    .max(48000)
    .optional()
    .describe(
      'Never sent (every model reads the rate from the file); with paraformer it picks the 8 kHz or 16 kHz model in warnings.',
    ),
  vocabulary_id: z
    .string()
    .max(200)
    .regex(/^[\w.-]+$/, 'vocabulary_id has letters, digits, -, _ and . only')
    .optional()
    .describe(
      'Hot-word vocabulary id (paraformer/fun-asr only; Qwen models report it in warnings and take `context` instead).',
    ),
  disfluency_removal_enabled: z
    .boolean()
    .optional()
    .describe('Remove filler words (paraformer/fun-asr only; Qwen models report it in warnings).'),
  timestamp_granularities: z
    .array(z.enum(['sentence', 'word']))
    .max(2)
    .optional()
    .describe(
      'Ask for timed sentences and/or words (runs on the filetrans model; SRT/VTT files are written).',
    ),
  async: z
    .boolean()
    .optional()
    .describe('Run as an async task (default: false for sync models, true for filetrans).'),
  context: z
    .string()
    .max(40_000)
    .optional()
    .describe(
      'Names, jargon and terms that appear in the audio, to bias recognition (qwen3-asr-flash only).',
    ),
  enable_itn: z
    .boolean()
    .optional()
    .describe('Inverse text normalization: "twenty five" → "25". Default false.'),
  channel_id: z
    .array(z.number().int().min(0).max(31))
    .min(1)
    .max(32)
    .optional()
    .describe('Which audio channels to transcribe (filetrans; each channel is billed). Default [0].'),
  diarization_enabled: z
    .boolean()
    .optional()
    .describe(
      'Label who speaks each sentence (paraformer/fun-asr; with no model named it runs on fun-asr). Text, JSON and subtitles carry [speaker N] labels.',
    ),
  speaker_count: z
    .number()
    .int()
    .min(2)
    .max(100)
    .optional()
    .describe('Expected number of speakers, a hint for diarization (implies diarization_enabled).'),
  timestamp_alignment_enabled: z
    .boolean()
    .optional()
    .describe('More precise timestamps (paraformer/fun-asr only).'),
  wait: z
    .boolean()
    .optional()
    .describe(
      'For async tasks: wait for the transcript (default true) or return the task id right after submission.',
    ),
  wait_seconds: z
    .number()
    .min(0)
    .max(43_200)
    .optional()
    .describe(
      'Longest time this call waits for an async task before returning its task_id (default 45 s, inside client time limits).',
    ),
};

export const transcribeTool = defineTool({
  name: 'asr_transcribe',
  title: 'Transcribe audio (Qwen ASR)',
  description:
    'Transcribe speech in an audio or video recording to text with Alibaba Cloud Qwen ASR. Works with local files ' +
    'and URLs, short clips or hours-long recordings. Short audio returns the transcript directly. Long audio runs ' +
    'as a task: if it is not done within the wait budget the result has status RUNNING and a task_id; then call ' +
    'asr_task_status with that task_id and wait: true. Transcripts are saved as .txt/.json (and .srt/.vtt with ' +
    'timestamps); their paths are in the result.',
  inputShape: transcribeInput,
  outputShape: resultShape,
  annotations: ASR_TOOL_ANNOTATIONS,
  run: (args, ctx, deps) => deps.service.transcribe(args, ctx),
});
