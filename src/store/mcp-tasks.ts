/**
 * MCP tasks (spec 2025-11-25): one JSON file per task-augmented tool call under
 * `<output>/ai-audio-asr/mcp-tasks/`, with its arguments, status, the job it started and, once over,
 * the tool result. Durable, so `tasks/get` and `tasks/result` answer after a restart; written atomically.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { scrub } from '../util/secrets.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import type { OutputDirs } from './paths.js';
import { maskUrls } from './redact.js';

type McpTaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export interface McpTaskRecord {
  taskId: string;
  status: McpTaskStatus;
  /** Milliseconds from creation the task is kept; null: until removed. */
  ttl: number | null;
  createdAt: string;
  lastUpdatedAt: string;
  pollInterval: number;
  statusMessage?: string;
  tool: string;
  /** The call's arguments (URLs masked), to resume after a restart. */
  arguments: Record<string, unknown>;
  /** The DashScope task or batch the call started, once known. */
  job_id?: string;
  /** The tool result, once the task is over. */
  result?: Record<string, unknown>;
  owner_pid?: number;
  owner_started_at?: string;
}

const SAFE_ID = /^mcp-[A-Za-z0-9-]{1,100}$/;

export class McpTaskStore {
  constructor(private readonly dirs: OutputDirs) {}

  private path(id: string): string {
    if (!SAFE_ID.test(id)) throw new Error(`not an MCP task id: ${id}`);
    return join(this.dirs.get().mcpTasks, `${id}.json`);
  }

  async get(id: string): Promise<McpTaskRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.path(id), 'utf8')) as McpTaskRecord;
    } catch {
      return undefined;
    }
  }

  async put(record: McpTaskRecord): Promise<void> {
    await writeFileAtomic(this.path(record.taskId), `${scrub(JSON.stringify(maskUrls(record)))}\n`);
  }

  async update(id: string, patch: Partial<McpTaskRecord>): Promise<McpTaskRecord | undefined> {
    return withLock(this.path(id), async () => {
      const current = await this.get(id);
      if (!current) return undefined;
      // A cancel is final: a late writer (the replica doing the work) does not undo it.
      if (current.status === 'cancelled' && patch.status && patch.status !== 'cancelled') return current;
      const next = { ...current, ...patch, lastUpdatedAt: new Date().toISOString() };
      await this.put(next);
      return next;
    });
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async list(): Promise<McpTaskRecord[]> {
    const names = await readdir(this.dirs.get().mcpTasks).catch(() => [] as string[]);
    const records = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => this.get(n.slice(0, -'.json'.length))),
    );
    return records.filter((r): r is McpTaskRecord => r !== undefined);
  }
}
