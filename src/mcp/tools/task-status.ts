import { z } from 'zod';
import { VIEWER_TOOL_META } from '../resources/viewer.js';
import { ASR_TOOL_ANNOTATIONS } from './annotations.js';
import { defineTool } from './define.js';
import { toToolPayload } from './result.js';
import { resultShape } from './result-schema.js';

export const taskStatusInput = {
  task_id: z
    .string()
    .min(1)
    .max(100)
    .describe(
      'The task_id returned by asr_transcribe (a DashScope task id, or local-… while the file uploads).',
    ),
  wait: z
    .boolean()
    .optional()
    .describe('Wait for the task to finish, within the wait budget (default false: report the status once).'),
  wait_seconds: z
    .number()
    .min(0)
    .max(43_200)
    .optional()
    .describe('Longest time to wait when wait is true (default 45 s).'),
};

export const taskStatusTool = defineTool({
  name: 'asr_task_status',
  title: 'Get an ASR task status or transcript',
  description:
    'Check an async transcription started by asr_transcribe. When the task has SUCCEEDED this returns the transcript ' +
    '(and saves it); while it runs it returns the status, progress and when to ask again. Use wait: true to wait ' +
    'for it within the budget. Works after a server restart, and returns saved transcripts after the API forgets them (24 h).',
  inputShape: taskStatusInput,
  outputShape: resultShape,
  annotations: ASR_TOOL_ANNOTATIONS,
  _meta: VIEWER_TOOL_META,
  run: (args, ctx, deps) => deps.service.taskStatus(args, ctx),
  present: (result, deps) => toToolPayload(result, deps.config),
  finished: (result) => result.status === 'SUCCEEDED',
});
