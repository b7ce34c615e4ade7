import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpTasks, registerTaskHandlers, TASK_TOOLS } from '../tasks.js';
import { cancelTaskTool } from './cancel-task.js';
import { registerDefinedTool } from './define.js';
import type { ToolDeps } from './deps.js';
import { listTasksTool } from './list-tasks.js';
import { readTranscriptTool } from './read-transcript.js';
import { portableInputSchema, portableOutputSchema } from './schema.js';
import { taskStatusTool } from './task-status.js';
import { transcribeTool } from './transcribe.js';
import { transcribeBatchTool } from './transcribe-batch.js';

/** The registry: every tool the server offers. */
const TOOLS = [
  transcribeTool,
  transcribeBatchTool,
  taskStatusTool,
  readTranscriptTool,
  listTasksTool,
  cancelTaskTool,
] as const;

let listed: Tool[] | undefined;

/**
 * The listing as the build computed it (scripts/build.mjs runs toolList() on these same sources), so a
 * started server answers `tools/list` without turning zod into JSON Schema. Absent when run from source.
 */
declare const __QWEN_ASR_TOOL_LIST__: Tool[] | undefined;

/** One set of MCP tasks per service: every session of a process sees the same tasks. */
const tasksOf = new WeakMap<ToolDeps['service'], McpTasks>();

/** The tools as `tools/list` shows them: portable schemas, computed once per process (or by the build). */
export function toolList(): Tool[] {
  if (typeof __QWEN_ASR_TOOL_LIST__ !== 'undefined') return __QWEN_ASR_TOOL_LIST__;
  listed ??= TOOLS.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: portableInputSchema(t.inputShape) as Tool['inputSchema'],
    outputSchema: portableOutputSchema(t.outputShape) as Tool['outputSchema'],
    annotations: t.annotations,
    ...(t._meta ? { _meta: t._meta } : {}),
    ...(TASK_TOOLS.has(t.name) ? { execution: { taskSupport: 'optional' as const } } : {}),
  }));
  return listed;
}

export function registerTools(server: McpServer, toolDeps: ToolDeps): void {
  const byName = new Map(TOOLS.map((t) => [t.name as string, t as never]));
  let mcpTasks = tasksOf.get(toolDeps.service);
  const deps: ToolDeps = { ...toolDeps };
  if (!mcpTasks) {
    mcpTasks = new McpTasks(deps, byName);
    tasksOf.set(toolDeps.service, mcpTasks);
  }
  deps.mcpTasks = mcpTasks;
  for (const tool of TOOLS) registerDefinedTool(server, tool as never, deps);
  registerTaskHandlers(server, mcpTasks, byName);
  // Replaces the SDK's listing (which publishes every zod bound and a `$schema`) with the portable one.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList() }));
}
