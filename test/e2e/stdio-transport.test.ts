/**
 * The stdio transport of the built server (issue #13, finding 5): one huge line no longer ends the
 * server silently; a line over the limit is answered and logged with the limit; a failed stdout ends
 * the server with a non-zero status; a stdin close with work running stops it cleanly, task records
 * kept for asr_task_status.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir } from '../helpers/env.js';
import { connect, SERVER_ENTRY, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const out = join(home, 'out');
const env = () =>
  fake.env({
    PATH: process.env.PATH ?? '',
    HOME: home,
    OUTPUT_DIR: out,
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
  });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

type Message = { id?: unknown; result?: unknown; error?: { code: number; message: string } };

/** The built server on raw pipes: we write the lines, and read its answers by id. */
function spawnServer() {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  const answers = new Map<unknown, Message>();
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) {
        const msg = JSON.parse(line) as Message;
        if (msg.id !== undefined) answers.set(msg.id, msg);
      }
      nl = pending.indexOf('\n');
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const write = (line: string) =>
    new Promise<void>((resolve, reject) =>
      child.stdin!.write(`${line}\n`, (err) => (err ? reject(err) : resolve())),
    );
  const answer = async (id: unknown, ms = 15_000): Promise<Message> => {
    const end = Date.now() + ms;
    while (!answers.has(id)) {
      if (Date.now() > end) throw new Error(`no answer to ${String(id)}; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return answers.get(id)!;
  };
  const initialize = async () => {
    await write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '0' },
        },
      }),
    );
    await answer('init');
    await write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  };
  return { child, write, answer, initialize, exited, stderr: () => stderr };
}

describe('stdio lines the SDK transport could not take', () => {
  it('answers a 12 MiB line and a 17 MiB one (over the limit, named on stderr), then tools/list', {
    timeout: 60_000,
  }, async () => {
    const s = spawnServer();
    await s.initialize();
    // 12 MiB: over the SDK's 10 MiB buffer (which ended the server, exit 0), under our 16 MiB limit.
    const big = (id: number, mib: number) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'asr_transcribe', arguments: { audio: 'x'.repeat(mib * 1024 * 1024) } },
      });
    await s.write(big(2, 12));
    const twelve = await s.answer(2);
    // The argument is refused (audio is at most 4096 characters), as an error of the call.
    expect(JSON.stringify(twelve)).toMatch(/audio|4096|too_big/i);
    await s.write(big(3, 17));
    const seventeen = await s.answer(3);
    expect(seventeen.error?.code).toBe(-32600);
    expect(seventeen.error?.message).toMatch(
      /Message too large: \d+ bytes exceeds the limit of 16777216 bytes/,
    );
    await s.write(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }));
    const list = await s.answer(4);
    expect((list.result as { tools: unknown[] }).tools).toHaveLength(6);
    expect(s.stderr()).toMatch(
      /Discarded an input line of \d+ bytes \(request id 3\): over the limit of 16777216 bytes \(16 MiB\)/,
    );
    s.child.stdin!.end();
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.stderr()).toMatch(/stdio: transport closed \(stdin closed\)/);
  });

  it('exits non-zero, saying why, when stdout fails', { timeout: 30_000 }, async () => {
    const s = spawnServer();
    await s.initialize();
    s.child.stdout!.destroy(); // the reader goes away: the server's next write meets EPIPE
    await s.write(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }));
    await s.write(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'ping' })).catch(() => {});
    const exit = await s.exited;
    expect(exit.code).toBe(1);
    expect(s.stderr()).toMatch(/stdio: stdout failed: EPIPE/);
  });
});

describe('stdin closed while work runs', () => {
  it('stops polling, exits 0, and keeps the task record for asr_task_status', {
    timeout: 30_000,
  }, async () => {
    const url = fake.addMedia('held-stdio.mp3', { durationS: 900, text: 'Finished after the restart.' });
    fake.holdAll = true;
    let taskId = '';
    try {
      const s = spawnServer();
      await s.initialize();
      const before = fake.count('task');
      await s.write(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'asr_transcribe', arguments: { audio: url, wait_seconds: 600 } },
        }),
      );
      const end = Date.now() + 10_000;
      while (fake.count('task') < before + 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      s.child.stdin!.end();
      expect(await s.exited).toEqual({ code: 0, signal: null });
      const polls = fake.count('task');
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.count('task')).toBe(polls);
      taskId = [...fake.tasks.values()].at(-1)!.id;
      const records = readdirSync(join(out, 'ai-audio-asr', 'tasks'));
      expect(records).toContain(`${taskId}.json`);
      const record = JSON.parse(readFileSync(join(out, 'ai-audio-asr', 'tasks', `${taskId}.json`), 'utf8'));
      expect(record).toMatchObject({ task_id: taskId });
    } finally {
      fake.holdAll = false;
      for (const t of fake.tasks.values()) fake.release(t.id);
    }
    const session = await connect(env());
    try {
      const done = (await session.client.callTool({
        name: 'asr_task_status',
        arguments: { task_id: taskId, wait: true },
      })) as ToolResult;
      expect(done.structuredContent).toMatchObject({
        status: 'SUCCEEDED',
        text: 'Finished after the restart.',
      });
    } finally {
      await session.close();
    }
  });
});
