/**
 * Two `--http` servers sharing one OUTPUT_DIR, as replicas behind a load balancer: a task or batch
 * started through one is reported, cancelled and finished through the other; their listings agree; a
 * cancel written by one stops the other's waiting within a second or two; records stay whole.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { SERVER_ENTRY, stopAll, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const out = join(home, 'out');
const running: ChildProcess[] = [];

function startHttp(): Promise<string> {
  const child = spawn(process.execPath, [SERVER_ENTRY, '--http', '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...fake.env({
        HOME: home,
        OUTPUT_DIR: out,
        ASR_ALLOWED_DIRS: home,
        ASR_POLL_INTERVAL_MS: '20',
        ASR_POLL_MAX_INTERVAL_MS: '200',
      }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

let a: Client;
let b: Client;
async function client(url: string) {
  const c = new Client({ name: 'replica-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}

beforeAll(async () => {
  await fake.start();
  const [urlA, urlB] = await Promise.all([startHttp(), startHttp()]);
  a = await client(urlA);
  b = await client(urlB);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await stopAll(running);
  await fake.stop();
});

const call = async (c: Client, name: string, args: Record<string, unknown>) =>
  (await c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as ToolResult;
const listing = async (c: Client) =>
  (await call(c, 'asr_list_tasks', { limit: 100 })).structuredContent as {
    tasks: { id: string; status: string }[];
  };

describe('replicas on one OUTPUT_DIR', () => {
  it('a task started on one is reported and finished on the other; listings agree', async () => {
    fake.holdAll = true;
    try {
      const url = fake.addMedia('shared.mp3', { durationS: 60, text: 'Finished by the other replica.' });
      const started = await call(a, 'asr_transcribe', { audio: url, async: true, wait: false });
      const taskId = started.structuredContent!.task_id as string;
      const seen = await call(b, 'asr_task_status', { task_id: taskId });
      expect(seen.structuredContent!.status).toBe('RUNNING');
      expect(await listing(a)).toEqual(await listing(b));
      fake.release(taskId);
      const done = await call(b, 'asr_task_status', { task_id: taskId, wait: true });
      expect(done.structuredContent).toMatchObject({
        status: 'SUCCEEDED',
        text: 'Finished by the other replica.',
      });
      const again = await call(a, 'asr_task_status', { task_id: taskId });
      expect(again.structuredContent!.transcript_id).toBe(done.structuredContent!.transcript_id);
      expect(await listing(a)).toEqual(await listing(b));
    } finally {
      fake.holdAll = false;
    }
  });

  it('a cancel through one stops the other within a second or two, and no transcript is saved', async () => {
    fake.holdAll = true;
    try {
      const url = fake.addMedia('cancelled.mp3', { durationS: 60, text: 'Never kept.' });
      const started = await call(a, 'asr_transcribe', { audio: url, async: true, wait: false });
      const taskId = started.structuredContent!.task_id as string;
      const waiting = call(a, 'asr_task_status', { task_id: taskId, wait: true, wait_seconds: 30 });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      const cancel = await call(b, 'asr_cancel_task', { id: taskId });
      expect(cancel.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true, billed: true });
      const stopped = await waiting;
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(stopped.isError).toBe(true);
      expect(stopped.content[0]!.text).toMatch(/cancelled with asr_cancel_task/);
      fake.release(taskId);
      const status = await call(a, 'asr_task_status', { task_id: taskId, wait: true });
      expect(status.isError).toBe(true);
      const listed = (await listing(b)).tasks.find((t) => t.id === taskId)!;
      expect(listed.status).toBe('CANCELED');
      expect(await listing(a)).toEqual(await listing(b));
    } finally {
      fake.holdAll = false;
    }
  });

  it('a batch run by one is reported (not taken over) and cancelled through the other', async () => {
    fake.holdAll = true;
    try {
      const urls = ['r1.mp3', 'r2.mp3'].map((n) => fake.addMedia(n, { durationS: 60, text: 'Batch.' }));
      const started = await call(a, 'asr_transcribe_batch', {
        audio: urls,
        options: { async: true },
        wait_seconds: 0.5,
      });
      const batchId = started.structuredContent!.batch_id as string;
      expect(started.structuredContent!.status).toBe('RUNNING');
      const seen = await call(b, 'asr_task_status', { task_id: batchId });
      expect(seen.structuredContent!.status).toBe('RUNNING');
      const items = (seen.structuredContent!.batch as { items: { status: string }[] }).items;
      expect(items.map((i) => i.status)).not.toContain('FAILED');
      const cancel = await call(b, 'asr_cancel_task', { id: batchId });
      expect(cancel.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true });
      const deadline = Date.now() + 10_000;
      let status = '';
      while (Date.now() < deadline) {
        status = (await call(a, 'asr_task_status', { task_id: batchId })).structuredContent!.status as string;
        if (status === 'CANCELED') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe('CANCELED');
      expect((await call(b, 'asr_task_status', { task_id: batchId })).structuredContent!.status).toBe(
        'CANCELED',
      );
    } finally {
      fake.holdAll = false;
      for (const id of fake.tasks.keys()) fake.release(id);
    }
  });

  it('an upload running on one is reported by the other, and its cancel stops the upload', async () => {
    const file = join(home, 'upload.mp3');
    copyFileSync(fixture('speech.mp3'), file);
    fake.inject('upload', { kind: 'delay', ms: 8000 });
    try {
      const started = await call(a, 'asr_transcribe', {
        audio: file,
        model: 'qwen3-asr-flash-filetrans',
        wait: false,
        wait_seconds: 0,
      });
      const localId = started.structuredContent!.task_id as string;
      expect(localId).toMatch(/^local-/);
      const seen = await call(b, 'asr_task_status', { task_id: localId });
      expect(seen.isError, seen.content[0]?.text).toBeFalsy();
      expect(seen.structuredContent).toMatchObject({
        status: 'PENDING',
        progress: 'uploading (another server process)',
      });
      const submits = fake.count('submit');
      const cancel = await call(b, 'asr_cancel_task', { id: localId });
      expect(cancel.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true });
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline) {
        const r = await call(a, 'asr_task_status', { task_id: localId });
        text = r.content[0]!.text ?? '';
        if (r.isError) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(text).toMatch(/cancel/i);
      expect(fake.count('submit')).toBe(submits);
    } finally {
      fake.clearFaults();
    }
  });

  it('concurrent writers from both replicas leave every record whole', async () => {
    const url = fake.addMedia('busy.mp3', { durationS: 30, text: 'Busy.' });
    const started = await call(a, 'asr_transcribe', { audio: url, async: true, wait: false });
    const taskId = started.structuredContent!.task_id as string;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(i % 2 ? a : b, 'asr_task_status', { task_id: taskId, wait: true }),
      ),
    );
    const dir = join(out, 'ai-audio-asr', 'tasks');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')))
      expect(() => JSON.parse(readFileSync(join(dir, name), 'utf8'))).not.toThrow();
    expect(readdirSync(dir).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
    const record = JSON.parse(readFileSync(join(dir, `${taskId}.json`), 'utf8'));
    expect(record.status).toBe('SUCCEEDED');
  });

  it('an MCP task started on one is reported, finished and cancelled through the other', async () => {
    fake.holdAll = true;
    try {
      const url = fake.addMedia('mcp-task.mp3', { durationS: 60, text: 'Task over HTTP.' });
      const start = async () =>
        (
          await a.request(
            {
              method: 'tools/call',
              params: {
                name: 'asr_transcribe',
                arguments: { audio: url, async: true },
                task: { ttl: 600_000 },
              },
            },
            CreateTaskResultSchema,
          )
        ).task;
      const task = await start();
      const deadline = Date.now() + 10_000;
      let message = '';
      while (Date.now() < deadline && !/task [0-9a-f-]{36}/.test(message)) {
        message = (await b.experimental.tasks.getTask(task.taskId)).statusMessage ?? '';
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(message).toMatch(/running .* · task [0-9a-f-]{36}/);
      for (const id of fake.tasks.keys()) fake.release(id);
      const result = (await b.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, {
        timeout: 30_000,
      })) as ToolResult;
      expect(result.structuredContent!.text).toBe('Task over HTTP.');
      const listedA = (await a.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
      const listedB = (await b.experimental.tasks.listTasks()).tasks.map((t) => t.taskId);
      expect(listedA).toEqual(listedB);
      expect(listedA).toContain(task.taskId);

      const second = await start();
      await new Promise((r) => setTimeout(r, 500));
      const cancelled = await b.experimental.tasks.cancelTask(second.taskId);
      expect(cancelled.status).toBe('cancelled');
      expect((await a.experimental.tasks.getTask(second.taskId)).status).toBe('cancelled');
    } finally {
      fake.holdAll = false;
      for (const id of fake.tasks.keys()) fake.release(id);
    }
  });

  it('an MCP task uploading on one is stopped by tasks/cancel through the other', async () => {
    const file = join(home, 'task-upload.mp3');
    copyFileSync(fixture('speech.mp3'), file);
    fake.inject('upload', { kind: 'delay', ms: 8000 });
    try {
      const { task } = await a.request(
        {
          method: 'tools/call',
          params: {
            name: 'asr_transcribe',
            arguments: { audio: file, model: 'qwen3-asr-flash-filetrans' },
            task: { ttl: 600_000 },
          },
        },
        CreateTaskResultSchema,
      );
      await new Promise((r) => setTimeout(r, 500));
      const submits = fake.count('submit');
      const cancelled = await b.experimental.tasks.cancelTask(task.taskId);
      expect(cancelled.status).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 2000));
      expect((await a.experimental.tasks.getTask(task.taskId)).status).toBe('cancelled');
      const local = readdirSync(join(out, 'ai-audio-asr', 'tasks'))
        .filter((n) => n.endsWith('.json'))
        .map((n) => JSON.parse(readFileSync(join(out, 'ai-audio-asr', 'tasks', n), 'utf8')))
        .find((r) => r.source === file);
      expect(local?.status).toBe('CANCELED');
      expect(fake.count('submit')).toBe(submits);
    } finally {
      fake.clearFaults();
    }
  });
});
