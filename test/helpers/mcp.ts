import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

/** Every tool the server lists, sorted by name. */
export const TOOL_NAMES = [
  'asr_cancel_task',
  'asr_list_tasks',
  'asr_read_transcript',
  'asr_task_status',
  'asr_transcribe',
  'asr_transcribe_batch',
];

export const SERVER_ENTRY = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

export interface Session {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
  pid: number | null;
}

/** Spawns the built server over stdio, as an MCP client would, with exactly this environment. */
export async function connect(
  env: Record<string, string>,
  opts: { capabilities?: ClientCapabilities; beforeConnect?: (client: Client) => void; cwd?: string } = {},
): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_ENTRY],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
    cwd: opts.cwd,
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client(
    { name: 'qwen-asr-mcp-tests', version: '1.0.0' },
    { capabilities: opts.capabilities ?? {} },
  );
  opts.beforeConnect?.(client);
  await client.connect(transport);
  return {
    client,
    stderr: () => err,
    pid: transport.pid,
    close: async () => {
      await client.close();
    },
  };
}

export type ToolResult = {
  content: Array<{ type: string; text?: string; uri?: string; mimeType?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/**
 * Stops spawned servers and waits for them to exit: a server writes its code cache into HOME as it
 * goes, and HOME (a temp folder) is removed after.
 */
export async function stopAll(children: ChildProcess[]): Promise<void> {
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(exits);
}
