import { z } from 'zod';
import type { TranscriptionResult } from '../../domain/result.js';
import { VIEWER_TOOL_META } from '../resources/viewer.js';
import { ASR_TOOL_ANNOTATIONS } from './annotations.js';
import { defineTool } from './define.js';
import type { ToolDeps } from './deps.js';
import { type ToolPayload, toToolPayload } from './result.js';
import { resultShape } from './result-schema.js';
import { type BatchOutput, batchPayload, withTexts } from './transcribe-batch.js';

export const taskStatusInput = {
  task_id: z
    .string()
    .min(1)
    .max(100)
    .describe('A task_id from asr_transcribe (or local-… while uploading), or a batch_id.'),
  wait: z.boolean().optional().describe('Wait within the budget (default false).'),
  wait_seconds: z.number().min(0).max(43_200).optional().describe('Longest wait (45 s).'),
};

export const taskStatusTool = defineTool({
  name: 'asr_task_status',
  title: 'Get an ASR task status or transcript',
  description:
    'Check a task or batch: status and progress, or the transcript once SUCCEEDED (saved). wait: true waits ' +
    "within the budget. Works after restarts and after the API's 24 h expiry.",
  inputShape: taskStatusInput,
  outputShape: resultShape,
  annotations: ASR_TOOL_ANNOTATIONS,
  _meta: VIEWER_TOOL_META,
  run: async (args, ctx, deps): Promise<TranscriptionResult | BatchOutput> =>
    deps.service.isBatchId(args.task_id)
      ? withTexts(await deps.service.batchStatus(args, ctx), deps)
      : deps.service.taskStatus(args, ctx),
  present: (out, deps) => ('view' in out ? batchAsResult(out, deps) : toToolPayload(out, deps.config)),
  finished: (out) =>
    'view' in out ? !['PENDING', 'RUNNING'].includes(out.view.status) : out.status === 'SUCCEEDED',
});

/** A batch's progress in this tool's result shape: the rows as text, the batch id as task_id. */
function batchAsResult(out: BatchOutput, deps: ToolDeps): ToolPayload {
  const payload = batchPayload(out, deps);
  const { view } = out;
  const done = view.items.filter((i) => !['PENDING', 'RUNNING'].includes(i.status)).length;
  const models = [...new Set(view.items.map((i) => i.model).filter(Boolean))].join(',');
  return {
    content: payload.content,
    structuredContent: {
      text: (payload.content[0] as { text: string }).text,
      task_id: view.batch_id,
      status: view.status,
      model: models || 'batch',
      warnings: [],
      progress: `${done} of ${view.items.length} files done`,
      raw: null,
      batch: payload.structuredContent,
    },
  };
}
