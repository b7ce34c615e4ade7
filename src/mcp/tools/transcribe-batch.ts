/**
 * `asr_transcribe_batch`: many files (a list, or a folder and a glob) with one set of options. The
 * result lists every file with a preview of its transcript; the previews share the result budget.
 */
import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import type { TranscribeOptions } from '../../domain/request.js';
import { estimateTokens } from '../../format/tokens.js';
import type { BatchView } from '../../transcription/batch.js';
import { ASR_TOOL_ANNOTATIONS } from './annotations.js';
import { defineTool } from './define.js';
import type { ToolDeps } from './deps.js';
import { cutText, type ToolPayload } from './result.js';
import { transcribeInput } from './transcribe.js';

const { audio: _audio, wait: _wait, wait_seconds: _waitSeconds, ...optionShape } = transcribeInput;
const optionsSchema = z.strictObject(optionShape);

const batchInput = {
  audio: z.array(z.string().min(1).max(4096)).min(1).max(100).optional().describe('Paths/URLs (1-100).'),
  folder: z.string().min(1).max(4096).optional().describe('Or a folder.'),
  pattern: z.string().max(200).optional().describe('Glob: * ? ** {a,b}.'),
  recursive: z.boolean().optional().describe('With sub-folders.'),
  options: optionsSchema.optional().describe('asr_transcribe options, for every file.'),
  force: z.boolean().optional().describe('Redo done files.'),
  wait_seconds: z.number().min(0).max(43_200).optional().describe('Longest wait (45 s).'),
};

/** The options object checked against asr_transcribe's own shape. */
function parseOptions(raw: Record<string, unknown> | undefined): TranscribeOptions | undefined {
  if (raw === undefined) return undefined;
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `options.${i.path.join('.') || '?'}: ${i.message}`);
    throw new InputError(`Invalid batch options: ${issues.join('; ')}.`);
  }
  return parsed.data as TranscribeOptions;
}

export interface BatchOutput {
  view: BatchView;
  /** Transcript text per item index, for previews. */
  texts: Map<number, string>;
}

export async function withTexts(view: BatchView, deps: ToolDeps): Promise<BatchOutput> {
  const texts = new Map<number, string>();
  for (const item of view.items) {
    if (!item.transcript_id) continue;
    const saved = await deps.service.savedTranscript(item.transcript_id).catch(() => undefined);
    if (saved) texts.set(item.index, saved.text);
  }
  return { view, texts };
}

const OVERHEAD_TOKENS = 120;

/** Header line, one line per file, then compact JSON; previews cut to an equal share of the budget. */
export function batchPayload({ view, texts }: BatchOutput, deps: ToolDeps): ToolPayload {
  const n = view.items.length;
  const done = view.items.filter((i) => ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(i.status)).length;
  const count = (s: string) => view.items.filter((i) => i.status === s).length;
  const reused = view.items.filter((i) => i.reused).length;
  const header = `${view.status} · batch ${view.batch_id} · ${done} of ${n} done · ${count('FAILED')} failed · ${reused} reused`;
  const rows = view.items.map(({ files: _files, ...item }) => item);
  const base = estimateTokens(JSON.stringify(rows)) + estimateTokens(header) + n * 12 + OVERHEAD_TOKENS;
  const share = Math.max(0, Math.floor((deps.config.maxResultTokens - base) / Math.max(1, n) / 2));
  const items = rows.map((item) => {
    const text = texts.get(item.index);
    let preview = '';
    if (text !== undefined && share > 0) {
      const cut = cutText(text, share, Math.min(deps.config.maxTextChars, share * 4));
      preview = cut.nextOffset === undefined ? cut.text : `${cut.text}…`;
    }
    return { ...item, preview };
  });
  const lines = [header];
  for (const item of items) {
    const what =
      item.error ?? (item.preview || (item.status === 'SUCCEEDED' ? '(no speech recognized)' : ''));
    lines.push(`#${item.index} ${item.status}${item.reused ? ' (reused)' : ''} ${item.audio}: ${what}`);
  }
  if (view.status === 'PENDING' || view.status === 'RUNNING')
    lines.push(`Not finished: call asr_task_status with task_id "${view.batch_id}" and wait: true.`);
  else if (texts.size > 0)
    lines.push(
      `Whole transcripts: asr_read_transcript {"transcript_id": "${view.batch_id}", "item": N}; files in ${view.batch_id}.csv.`,
    );
  const data = { batch_id: view.batch_id, status: view.status, items };
  return {
    content: [
      { type: 'text', text: lines.join('\n') },
      {
        type: 'text',
        text: JSON.stringify({ batch_id: view.batch_id, status: view.status, source: view.source }),
      },
    ],
    structuredContent: data,
  };
}

export const transcribeBatchTool = defineTool({
  name: 'asr_transcribe_batch',
  title: 'Transcribe many files',
  description:
    'Transcribe many files/URLs or a folder, a few at once, reusing files done before. batch_id works in ' +
    'asr_task_status, asr_read_transcript (item), asr_cancel_task.',
  inputShape: batchInput,
  outputShape: { batch_id: z.string(), status: z.string(), items: z.array(z.looseObject({})) },
  annotations: ASR_TOOL_ANNOTATIONS,
  run: async (args, ctx, deps) => {
    const { options, ...rest } = args;
    const view = await deps.service.transcribeBatch({ ...rest, options: parseOptions(options) }, ctx);
    return withTexts(view, deps);
  },
  present: batchPayload,
  finished: (out) => out.view.status !== 'PENDING' && out.view.status !== 'RUNNING',
});
