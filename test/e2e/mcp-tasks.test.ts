/**
 * MCP tasks (spec 2025-11-25) over stdio with the SDK client's task API: a task-augmented
 * asr_transcribe answers at once and its result equals a plain call's; plain calls are unchanged;
 * tasks/get after a restart resumes polling; tasks/cancel and asr_cancel_task; tasks/list.
 */
import { join } from 'node:path';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const queued = new FakeDashScope({ queueMs: 60_000 });
const home = tempDir();
const env = (f: FakeDashScope) =>
  f.env({
    HOME: home,
    OUTPUT_DIR: join(home, 'out'),
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
    ASR_PROGRESS_INTERVAL_S: '0.05',
  });
let session: Session;

beforeAll(async () => {
  await fake.start();
  await queued.start();
  session = await connect(env(fake));
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
  await queued.stop();
});

const startTask = async (s: Session, name: string, args: Record<string, unknown>) =>
  (
    await s.client.request(
      { method: 'tools/call', params: { name, arguments: args, task: { ttl: 600_000 } } },
      CreateTaskResultSchema,
    )
  ).task;

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A result without what differs from run to run (ids, paths, timings, raw answers). */
function shape(r: ToolResult) {
  const s = r.structuredContent!;
  return {
    isError: r.isError ?? false,
    blocks: r.content.length,
    header: r.content[0]!.text!.split('\n')[0]!
      .replace(/task \S+/, 'task X')
      .replace(/transcript \S+/, 'transcript Y'),
    text: s.text,
    keys: Object.keys(s).sort(),
    status: s.status,
    model: s.model,
  };
}

describe('MCP tasks', () => {
  it('declares the tasks capability and optional task support on the two transcription tools', async () => {
    expect(session.client.getServerCapabilities()?.tasks).toMatchObject({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await session.client.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    expect(support).toMatchObject({ asr_transcribe: 'optional', asr_transcribe_batch: 'optional' });
    expect(support.asr_task_status).toBeUndefined();
    process.stderr.write(`tools/list: ${Buffer.byteLength(JSON.stringify(tools))} bytes\n`);
  });

  it('answers a task-augmented call at once; tasks/result equals a plain call, and plain calls are unchanged', async () => {
    const url = fake.addMedia('task.mp3', { durationS: 30, text: 'Same either way. Twice.' });
    const args = { audio: url, async: true };
    const plainBefore = (await session.client.callTool({
      name: 'asr_transcribe',
      arguments: args,
    })) as ToolResult;
    expect(plainBefore.isError).toBeFalsy();
    const task = await startTask(session, 'asr_transcribe', args);
    expect(task.taskId).toMatch(/^mcp-/);
    expect(task.status).toBe('working');
    expect(task.pollInterval).toBeGreaterThan(0);
    const done = await until(
      () => session.client.experimental.tasks.getTask(task.taskId),
      (t) => t.status !== 'working',
    );
    expect(done.status).toBe('completed');
    const viaTask = (await session.client.experimental.tasks.getTaskResult(
      task.taskId,
      CallToolResultSchema,
    )) as ToolResult;
    expect(shape(viaTask)).toEqual(shape(plainBefore));
    const plainAfter = (await session.client.callTool({
      name: 'asr_transcribe',
      arguments: args,
    })) as ToolResult;
    expect(shape(plainAfter)).toEqual(shape(plainBefore));
    // A local file (sync model) the same way, and a batch.
    const local = { audio: fixture('speech.mp3') };
    const batchTask = await startTask(session, 'asr_transcribe_batch', {
      audio: [fixture('speech.flac'), url],
    });
    const localTask = await startTask(session, 'asr_transcribe', local);
    const localResult = (await session.client.experimental.tasks.getTaskResult(
      localTask.taskId,
      CallToolResultSchema,
    )) as ToolResult;
    expect(shape(localResult)).toEqual(
      shape((await session.client.callTool({ name: 'asr_transcribe', arguments: local })) as ToolResult),
    );
    const batch = (await session.client.experimental.tasks.getTaskResult(
      batchTask.taskId,
      CallToolResultSchema,
    )) as ToolResult;
    expect(batch.structuredContent).toMatchObject({ status: 'SUCCEEDED' });
    const { tasks } = await session.client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).toEqual(
      expect.arrayContaining([task.taskId, localTask.taskId, batchTask.taskId]),
    );
  });

  it('forgets a task once its ttl has passed', async () => {
    const { task } = await session.client.request(
      {
        method: 'tools/call',
        params: { name: 'asr_transcribe', arguments: { audio: fixture('speech.mp3') }, task: { ttl: 1000 } },
      },
      CreateTaskResultSchema,
    );
    expect(task.ttl).toBe(1000);
    await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    await new Promise((r) => setTimeout(r, 1200));
    await expect(session.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/);
    const { tasks } = await session.client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).not.toContain(task.taskId);
  });

  it('refuses bad arguments of a task-augmented call before creating a task', async () => {
    await expect(startTask(session, 'asr_transcribe', { audio: '' })).rejects.toThrow(/audio/);
  });

  it('reports progress with the DashScope task id, and resumes polling after a restart', async () => {
    const url = fake.addMedia('restart.mp3', { durationS: 300, text: 'Finished after a restart.' });
    fake.holdAll = true;
    let first: Session | undefined = await connect(env(fake));
    try {
      const task = await startTask(first, 'asr_transcribe', { audio: url, async: true });
      const running = await until(
        () => first!.client.experimental.tasks.getTask(task.taskId),
        (t) => /running .*task [0-9a-f-]{36}/.test(t.statusMessage ?? ''),
      );
      expect(running.status).toBe('working');
      expect(running.statusMessage).toMatch(/^running \d+s · task [0-9a-f-]{36} · \d+% · \d+s elapsed$/);
      const pid = first.pid!;
      await first.close();
      first = undefined;
      await until(
        async () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        (gone) => gone,
      );
      const second = await connect(env(fake));
      try {
        expect((await second.client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
        for (const id of fake.tasks.keys()) fake.release(id);
        const result = (await second.client.experimental.tasks.getTaskResult(
          task.taskId,
          CallToolResultSchema,
        )) as ToolResult;
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent!.text).toBe('Finished after a restart.');
        expect((await second.client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
      } finally {
        await second.close();
      }
    } finally {
      fake.holdAll = false;
      await first?.close();
    }
  });

  it('tasks/cancel cancels a queued DashScope task; asr_cancel_task takes the MCP task id too', async () => {
    const s = await connect(env(queued));
    try {
      const url = queued.addMedia('q.mp3', { durationS: 100 });
      const task = await startTask(s, 'asr_transcribe', { audio: url, async: true });
      await until(
        () => s.client.experimental.tasks.getTask(task.taskId),
        (t) => /task [0-9a-f-]{36}/.test(t.statusMessage ?? ''),
      );
      const cancelled = await s.client.experimental.tasks.cancelTask(task.taskId);
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.statusMessage).toMatch(/cancelled on DashScope/);
      expect([...queued.tasks.values()][0]!.status).toBe('CANCELED');
      const again = (await s.client.callTool({
        name: 'asr_cancel_task',
        arguments: { id: task.taskId },
      })) as ToolResult;
      expect(again.structuredContent).toMatchObject({ status: 'cancelled', cancelled: true });
      expect(again.content[0]!.text).toMatch(/already cancelled/);
      await expect(s.client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/terminal/);
    } finally {
      await s.close();
    }
  });
});
