import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';

/**
 * Both tools send audio to a cloud API (open world), write transcripts (not read-only) but never
 * delete or overwrite anything (not destructive), and each call may start a new billed job
 * (not idempotent).
 */
export const ASR_TOOL_ANNOTATIONS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};
