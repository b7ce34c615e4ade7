import { z } from 'zod';
import { defineTool } from './define.js';
import { linesAndJson } from './payload.js';

export const cancelTaskTool = defineTool({
  name: 'asr_cancel_task',
  title: 'Cancel an ASR task',
  description:
    'Cancel a task, upload or batch. A started task still runs on DashScope and is billed; its transcript is not saved.',
  inputShape: { id: z.string().min(1).max(200).describe('task_id, local-…, batch_id or MCP task id.') },
  outputShape: {
    id: z.string(),
    status: z.string(),
    cancelled: z.boolean(),
    billed: z.boolean().optional(),
    message: z.string(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  run: async (args, _ctx, deps) => {
    if (!deps.mcpTasks?.isTaskId(args.id)) return deps.service.cancel(args.id);
    const { task, message, billed } = await deps.mcpTasks.cancel(args.id);
    return { id: task.taskId, status: task.status, cancelled: task.status === 'cancelled', billed, message };
  },
  present: (outcome) =>
    linesAndJson(
      [`${outcome.status} · ${outcome.id}`, outcome.message],
      outcome as unknown as Record<string, unknown>,
    ),
});
