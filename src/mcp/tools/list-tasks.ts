import { z } from 'zod';
import { defineTool } from './define.js';
import { linesAndJson } from './payload.js';

const STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;

export const listTasksTool = defineTool({
  name: 'asr_list_tasks',
  title: 'List ASR tasks',
  description: 'List saved transcription tasks and batches, newest first, with status and transcript_id.',
  inputShape: {
    status: z.array(z.enum(STATUSES)).max(5).optional().describe('Only these.'),
    limit: z.number().int().min(1).max(100).optional().describe('Page size (20).'),
    cursor: z.string().max(500).optional().describe('From next_cursor.'),
  },
  outputShape: { tasks: z.array(z.looseObject({})), next_cursor: z.string().optional() },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (args, _ctx, deps) => deps.service.listTasks(args),
  present: (page) => {
    const header = `${page.tasks.length} task(s)${page.next_cursor ? ' · more: pass next_cursor' : ''}`;
    const rows = page.tasks.map(
      (t) =>
        `${t.id} · ${t.kind} · ${t.status} · ${t.model} · ${t.created_at}${t.transcript_id ? ` · transcript ${t.transcript_id}` : ''}`,
    );
    return linesAndJson([header, ...rows], page as unknown as Record<string, unknown>);
  },
});
