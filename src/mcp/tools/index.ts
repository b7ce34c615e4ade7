import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerDefinedTool } from './define.js';
import type { ToolDeps } from './deps.js';
import { taskStatusTool } from './task-status.js';
import { transcribeTool } from './transcribe.js';

/** The registry: every tool the server offers. */
const TOOLS = [transcribeTool, taskStatusTool] as const;

export function registerTools(server: McpServer, deps: ToolDeps): void {
  for (const tool of TOOLS) registerDefinedTool(server, tool as never, deps);
}
