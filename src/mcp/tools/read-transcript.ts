import { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { page } from '../../format/pages.js';
import type { Format } from '../renderings.js';
import { VIEWER_TOOL_META } from '../resources/viewer.js';
import { defineTool } from './define.js';

const readTranscriptInput = {
  transcript_id: z.string().min(1).max(200).describe('transcript_id, task_id or batch_id.'),
  offset: z.number().int().min(0).optional().describe('Start, in characters (0; then next_offset).'),
  max_tokens: z.number().int().min(100).optional().describe('Page size in tokens (max: result budget).'),
  format: z.enum(['text', 'srt', 'vtt', 'json']).optional().describe('text (default), srt, vtt or json.'),
  item: z.number().int().min(0).max(99).optional().describe('File index in a batch.'),
};

const pageShape = {
  transcript_id: z.string(),
  format: z.enum(['text', 'srt', 'vtt', 'json']),
  offset: z.number(),
  next_offset: z.number().optional().describe('Next page; absent at the end'),
  total_chars: z.number(),
  total_tokens: z.number(),
  text: z.string().describe('This page'),
};

/** Room for the page's own JSON around the text, and for JSON text escaped once more. */
const PAGE_OVERHEAD_TOKENS = 80;

export const readTranscriptTool = defineTool({
  name: 'asr_read_transcript',
  title: 'Read a saved transcript page by page',
  description:
    'Read a saved transcript in pages (text, SRT, VTT or JSON): start at 0 or a next_offset, and pass each ' +
    'next_offset back until it is absent.',
  inputShape: readTranscriptInput,
  outputShape: pageShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  _meta: VIEWER_TOOL_META,
  run: async (args, _ctx, deps) => {
    const budget = deps.config.maxResultTokens;
    const maxTokens = args.max_tokens ?? budget;
    if (maxTokens > budget) {
      throw new InputError(
        `max_tokens ${maxTokens} is over this server's result budget of ${budget} tokens.`,
        {
          hint: `Pass at most ${budget} (or leave it out); ASR_MAX_RESULT_TOKENS sets the budget.`,
        },
      );
    }
    const format: Format = args.format ?? 'text';
    const id =
      args.item === undefined
        ? args.transcript_id.trim()
        : await deps.service.batchItemTranscript(args.transcript_id, args.item);
    const rendering = await deps.renderings.get(id, format);
    const offset = args.offset ?? 0;
    if (offset > rendering.measured.chars) {
      throw new InputError(
        `offset ${offset} is past the end of this transcript's ${format} (${rendering.measured.chars} characters).`,
        { hint: 'Start at 0, or at a next_offset a previous page returned.' },
      );
    }
    // JSON text is escaped once more inside the result: give it the room that takes.
    const room = maxTokens - PAGE_OVERHEAD_TOKENS;
    const pageTokens = Math.max(20, format === 'json' ? Math.floor(room * 0.75) : room);
    const p = page(rendering.text, rendering.boundaries, offset, pageTokens, rendering.measured);
    return { transcript_id: rendering.transcriptId, format, ...p };
  },
  present: (p) => {
    const { text, ...facts } = p;
    return {
      // The page itself, then where it sits (clients that ignore structuredContent still can read on).
      content: [
        { type: 'text', text: text || '(end of transcript)' },
        { type: 'text', text: JSON.stringify(facts) },
      ],
      structuredContent: { ...facts, text },
    };
  },
});
