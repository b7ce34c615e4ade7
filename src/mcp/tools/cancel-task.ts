import { z } from 'zod';
import { defineTool } from './define.js';
import { linesAndJson } from './payload.js';

export const cancelTaskTool = defineTool({
  name: 'asr_cancel_task',
  title: 'Cancel an ASR task',
  description:
    'Cancel a task, upload or batch. A started task still runs on DashScope and is billed; its transcript is not saved.',
  inputShape: { id: z.string().min(1).max(200).describe('task_id, local-… or batch_id.') },
  outputShape: {
    id: z.string(),
    status: z.string(),
    cancelled: z.boolean(),
    billed: z.boolean().optional(),
    message: z.string(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  run: (args, _ctx, deps) => deps.service.cancel(args.id),
  present: (outcome) =>
    linesAndJson(
      [`${outcome.status} · ${outcome.id}`, outcome.message],
      outcome as unknown as Record<string, unknown>,
    ),
});
