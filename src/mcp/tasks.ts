/**
 * MCP tasks (spec 2025-11-25, experimental): `asr_transcribe` and `asr_transcribe_batch` called with a
 * `task` parameter answer at once with a CreateTaskResult; the work runs in the background through the
 * same tool definition (run, then present) with an unlimited wait budget. `tasks/get` reports stage,
 * percent, elapsed time and the DashScope task id; `tasks/result` waits for the tool result;
 * `tasks/cancel` cancels as asr_cancel_task does; `tasks/list` pages. State lives in the durable MCP task
 * store, so a restarted server resumes polling the job it recorded. A plain call (no `task`) never comes
 * here: it keeps the tool's own handler, with its wait budget and progress.
 */
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { CallContext } from '../domain/progress.js';
import { sleep } from '../domain/waiting.js';
import { ProgressReporter } from '../format/progress.js';
import { type McpTaskRecord, McpTaskStore } from '../store/mcp-tasks.js';
import { errorMessage } from '../util/errors.js';
import { formatElapsed } from '../util/format.js';
import { scrub } from '../util/secrets.js';
import { errorResult, type ToolDefinition } from './tools/define.js';
import type { ToolDeps } from './tools/deps.js';
import { taskStatusTool } from './tools/task-status.js';

/** Tasks are kept a day unless the client asks otherwise (at most a week). */
const DEFAULT_TTL_MS = 24 * 3600 * 1000;
const MAX_TTL_MS = 7 * 24 * 3600 * 1000;
const POLL_INTERVAL_MS = 2000;
const PAGE_SIZE = 50;
const LEASE_MS = 30_000;
/** Longest wait of a task's job: as long as a DashScope task can run. */
const UNLIMITED_WAIT_S = 43_200;

// biome-ignore lint/suspicious/noExplicitAny: tool definitions are generic over their shapes
type AnyTool = ToolDefinition<any, any>;

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

const publicTask = (r: McpTaskRecord): Task => ({
  taskId: r.taskId,
  status: r.status,
  ttl: r.ttl,
  createdAt: r.createdAt,
  lastUpdatedAt: r.lastUpdatedAt,
  pollInterval: r.pollInterval,
  ...(r.statusMessage ? { statusMessage: r.statusMessage } : {}),
});

/** One per service: every session of a process sees the same tasks. */
export class McpTasks {
  private readonly store: McpTaskStore;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly deps: ToolDeps,
    private readonly tools: Map<string, AnyTool>,
  ) {
    this.store = new McpTaskStore(deps.service.outputDirs);
  }

  isTaskId(id: string): boolean {
    return /^mcp-[A-Za-z0-9-]{1,100}$/.test(id.trim());
  }

  async create(tool: AnyTool, args: Record<string, unknown>, ttl: number | undefined): Promise<Task> {
    const now = new Date().toISOString();
    const record: McpTaskRecord = {
      taskId: `mcp-${randomUUID()}`,
      status: 'working',
      ttl: Math.min(MAX_TTL_MS, Math.max(1000, ttl ?? DEFAULT_TTL_MS)),
      createdAt: now,
      lastUpdatedAt: now,
      pollInterval: POLL_INTERVAL_MS,
      statusMessage: 'starting',
      tool: tool.name,
      arguments: args,
      owner_pid: process.pid,
      owner_started_at: this.startedAt,
    };
    await this.store.put(record);
    this.start(record, (ctx) => tool.run({ ...args, wait_seconds: UNLIMITED_WAIT_S }, ctx, this.deps), tool);
    return publicTask(record);
  }

  /** The task as stored; one left `working` by a process that is gone resumes here. */
  async get(id: string): Promise<McpTaskRecord> {
    const record = await this.store.get(id.trim());
    if (!record) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${id}`);
    if (record.ttl !== null && Date.parse(record.createdAt) + record.ttl < Date.now()) {
      await this.store.remove(record.taskId).catch(() => {});
      throw new McpError(ErrorCode.InvalidParams, `Task not found: ${id} (expired)`);
    }
    if (!TERMINAL.has(record.status) && !this.running.has(record.taskId) && !this.ownedElsewhere(record))
      this.resume(record);
    return record;
  }

  async result(id: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    for (;;) {
      const record = await this.get(id);
      if (TERMINAL.has(record.status)) {
        const result = record.result ?? {
          content: [{ type: 'text', text: record.statusMessage ?? `Task ${record.status}.` }],
          isError: true,
        };
        return { ...result, _meta: { [RELATED_TASK_META_KEY]: { taskId: record.taskId } } };
      }
      const live = this.running.get(record.taskId);
      await (live
        ? Promise.race([live.done, sleep(POLL_INTERVAL_MS, signal)])
        : sleep(POLL_INTERVAL_MS, signal));
    }
  }

  async list(cursor: string | undefined): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const now = Date.now();
    const all = (await this.store.list())
      .filter((r) => r.ttl === null || Date.parse(r.createdAt) + r.ttl >= now)
      .sort((a, b) =>
        a.createdAt === b.createdAt ? a.taskId.localeCompare(b.taskId) : a.createdAt < b.createdAt ? 1 : -1,
      );
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
    const page = all.slice(start, start + PAGE_SIZE).map(publicTask);
    const next =
      start + PAGE_SIZE < all.length
        ? Buffer.from(String(start + PAGE_SIZE)).toString('base64url')
        : undefined;
    return next ? { tasks: page, nextCursor: next } : { tasks: page };
  }

  /** Stops the work (an upload, a queued task, a batch) and records why; idempotent. */
  async cancel(id: string): Promise<{ task: McpTaskRecord; message: string; billed?: boolean }> {
    const record = await this.get(id);
    if (TERMINAL.has(record.status))
      return { task: record, message: `Task ${record.taskId} is already ${record.status}.` };
    let message = 'Cancelled.';
    let billed: boolean | undefined;
    if (record.job_id) {
      try {
        const outcome = await this.deps.service.cancel(record.job_id);
        message = outcome.message;
        billed = outcome.billed;
      } catch (err) {
        message = `Cancelled here; the job ${record.job_id} could not be cancelled (${errorMessage(err)}).`;
      }
    }
    const task =
      (await this.store.update(record.taskId, { status: 'cancelled', statusMessage: message })) ?? record;
    this.running.get(record.taskId)?.controller.abort();
    return { task, message, billed };
  }

  private ownedElsewhere(record: McpTaskRecord): boolean {
    if (record.owner_pid === process.pid && record.owner_started_at === this.startedAt) return false;
    // Another process (a replica) owns it while it renews its lease (progress writes, every few seconds);
    // one that has gone quiet for LEASE_MS, or has exited (same host), is taken over.
    if (Date.now() - Date.parse(record.lastUpdatedAt) >= LEASE_MS) return false;
    if (record.owner_pid === undefined || record.owner_pid === process.pid) return false;
    try {
      process.kill(record.owner_pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private resume(record: McpTaskRecord): void {
    const jobId = record.job_id;
    const tool = this.tools.get(record.tool);
    if (!jobId || !tool) {
      void this.store.update(record.taskId, {
        status: 'failed',
        statusMessage: 'The server restarted before the job reached DashScope; call the tool again.',
      });
      return;
    }
    void this.store.update(record.taskId, { owner_pid: process.pid, owner_started_at: this.startedAt });
    this.start(
      record,
      (ctx) =>
        taskStatusTool.run({ task_id: jobId, wait: true, wait_seconds: UNLIMITED_WAIT_S }, ctx, this.deps),
      taskStatusTool as AnyTool,
    );
  }

  private start(record: McpTaskRecord, work: (ctx: CallContext) => Promise<unknown>, tool: AnyTool): void {
    const controller = new AbortController();
    const began = Date.parse(record.createdAt);
    let jobId = record.job_id;
    const reporter = new ProgressReporter(async (notice) => {
      const elapsed = formatElapsed(Date.now() - began);
      const statusMessage = `${notice.message} · ${Math.floor(notice.progress)}% · ${elapsed} elapsed`;
      await this.store
        .update(record.taskId, { statusMessage, ...(jobId ? { job_id: jobId } : {}) })
        .catch(() => {});
    }, 5000);
    const id = record.taskId;
    // A cancel written by another process (tasks/cancel or asr_cancel_task on a replica) stops the work
    // within a second, during the upload too.
    const watch = setInterval(() => {
      void this.store.get(id).then((r) => {
        if (r?.status === 'cancelled') controller.abort();
      });
    }, 1000);
    watch.unref?.();
    const done = (async () => {
      let status: McpTaskRecord['status'];
      let result: Record<string, unknown>;
      try {
        const output = await work({
          signal: controller.signal,
          onProgress: (e) => {
            if (e.taskId && e.taskId !== jobId) {
              jobId = e.taskId;
              void this.store.update(id, { job_id: jobId }).catch(() => {});
            }
            reporter.update(e);
          },
        });
        result = JSON.parse(scrub(JSON.stringify(tool.present(output, this.deps)))) as Record<
          string,
          unknown
        >;
        status = result.isError ? 'failed' : 'completed';
      } catch (err) {
        result = errorResult(err, tool.name, this.deps);
        status = 'failed';
      } finally {
        reporter.stop();
        await reporter.settle();
      }
      const current = await this.store.get(id);
      if (current?.status === 'cancelled') return;
      const text = (result.content as { text?: string }[] | undefined)?.[0]?.text ?? '';
      await this.store.update(id, { status, result, statusMessage: text.split('\n')[0]!.slice(0, 300) });
    })()
      .catch((err) => this.deps.logger.error(`MCP task ${id}: ${errorMessage(err)}`))
      .finally(() => {
        clearInterval(watch);
        this.running.delete(id);
      });
    this.running.set(id, { controller, done });
  }
}

/** Which tools take `task`, for tools/list. */
export const TASK_TOOLS = new Set(['asr_transcribe', 'asr_transcribe_batch']);

/**
 * The protocol binding: tools/call with `task` for the task tools; tasks/get, result, list, cancel.
 * Everything else of tools/call goes to the handler the SDK built.
 */
export function registerTaskHandlers(server: McpServer, tasks: McpTasks, tools: Map<string, AnyTool>): void {
  const handlers = (
    server.server as unknown as { _requestHandlers?: Map<string, (r: unknown, e: unknown) => unknown> }
  )._requestHandlers;
  const plain = handlers?.get('tools/call');
  if (!plain)
    throw new Error('the SDK keeps its request handlers elsewhere: cannot serve task-augmented calls');
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, task } = request.params;
    const tool = tools.get(name);
    if (!task || !tool || !TASK_TOOLS.has(name)) return (await plain(request, extra)) as never;
    const parsed = z.object(tool.inputShape).safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`);
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${name}: ${issues.join('; ')}`);
    }
    return { task: await tasks.create(tool, parsed.data as Record<string, unknown>, task.ttl) } as never;
  });
  server.server.setRequestHandler(
    GetTaskRequestSchema,
    async (request) => publicTask(await tasks.get(request.params.taskId)) as never,
  );
  server.server.setRequestHandler(
    GetTaskPayloadRequestSchema,
    async (request, extra) => (await tasks.result(request.params.taskId, extra.signal)) as never,
  );
  server.server.setRequestHandler(
    ListTasksRequestSchema,
    async (request) => (await tasks.list(request.params?.cursor)) as never,
  );
  server.server.setRequestHandler(CancelTaskRequestSchema, async (request) => {
    const record = await tasks.get(request.params.taskId);
    if (TERMINAL.has(record.status))
      throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task in terminal status: ${record.status}`);
    return publicTask((await tasks.cancel(request.params.taskId)).task) as never;
  });
}
