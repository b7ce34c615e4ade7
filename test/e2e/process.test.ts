/**
 * The server as a process: stdout carries nothing but JSON-RPC, it shuts down cleanly on stdin close
 * and SIGTERM (task store written, no polls or uploads left behind), a stray rejection does not kill
 * it, and the client's roots confine what it reads.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, SERVER_ENTRY, type ToolResult } from '../helpers/mcp.js';
import { sparseWav } from '../helpers/wav.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const out = join(home, 'out');
const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  ...fake.env({ HOME: home, OUTPUT_DIR: out, ASR_POLL_INTERVAL_MS: '20', ASR_POLL_MAX_INTERVAL_MS: '50' }),
  ...extra,
});
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** A raw stdio session: we write JSON-RPC lines ourselves and keep every byte of stdout. */
function rawServer(args: string[] = [], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...args, SERVER_ENTRY], {
    env: env(extraEnv),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { id: number; resolve: (m: Record<string, unknown>) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      try {
        const msg = JSON.parse(line);
        const w = waiters.findIndex((x) => x.id === msg.id && !('method' in msg));
        if (w >= 0) waiters.splice(w, 1)[0]!.resolve(msg);
      } catch {
        // a partial line; the full one comes with the next chunk
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let nextId = 1;
  const send = (msg: Record<string, unknown>) => child.stdin!.write(`${JSON.stringify(msg)}\n`);
  const request = (method: string, params: Record<string, unknown> = {}) => {
    const id = nextId++;
    const answer = new Promise<Record<string, unknown>>((resolve) => waiters.push({ id, resolve }));
    send({ jsonrpc: '2.0', id, method, params });
    return answer;
  };
  const initialize = async () => {
    await request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '0' },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  };
  return { child, request, send, initialize, exited, stdout: () => stdout, stderr: () => stderr };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stdout and shutdown', () => {
  it('writes only JSON-RPC to stdout over a whole session, and exits 0 when stdin closes', async () => {
    const s = rawServer();
    await s.initialize();
    await s.request('tools/list');
    await s.request('ping');
    await s.request('resources/list');
    const ok = await s.request('tools/call', {
      name: 'asr_transcribe',
      arguments: { audio: fixture('speech-16k-mono.wav') },
      _meta: { progressToken: 'p1' },
    });
    expect((ok.result as ToolResult).isError).toBeFalsy();
    const bad = await s.request('tools/call', { name: 'asr_transcribe', arguments: { audio: 42 } });
    expect(JSON.stringify(bad)).toMatch(/audio/);
    const unknown = await s.request('tools/call', { name: 'no_such_tool', arguments: {} });
    expect(JSON.stringify(unknown)).toMatch(/no_such_tool/);
    s.child.stdin!.write('this is not json\n');
    await s.request('ping'); // still serving after a garbage line
    s.child.stdin!.end();
    expect(await s.exited).toEqual({ code: 0, signal: null });

    const lines = s
      .stdout()
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) {
      const msg = JSON.parse(line); // throws, failing the test, on anything that is not JSON
      expect(msg.jsonrpc).toBe('2.0');
    }
    expect(lines.some((l) => l.includes('notifications/progress'))).toBe(true);
    expect(s.stderr()).toMatch(/shutting down \(stdin closed\)/);
  });

  it('on SIGTERM mid-poll: exits 0, records the task, and stops polling', async () => {
    const url = fake.addMedia('held.mp3', { durationS: 900 });
    fake.holdAll = true;
    try {
      const s = rawServer();
      await s.initialize();
      void s.request('tools/call', { name: 'asr_transcribe', arguments: { audio: url, wait_seconds: 600 } });
      const before = fake.count('task');
      await until(() => fake.count('task') > before + 1, 'the server to poll');
      s.child.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      const polls = fake.count('task');
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.count('task')).toBe(polls);
      const taskId = [...fake.tasks.values()].at(-1)!.id;
      const record = JSON.parse(readFileSync(join(out, 'ai-audio-asr', 'tasks', `${taskId}.json`), 'utf8'));
      expect(record).toMatchObject({ task_id: taskId, model: 'qwen3-asr-flash-filetrans' });
    } finally {
      fake.holdAll = false;
    }
  });

  it('on SIGTERM mid-upload: exits 0, stops sending, and records the upload as cancelled', async () => {
    const big = join(home, 'big.wav');
    sparseWav(big, 40 * 60); // 77 MB: under the fake's 100 MB upload limit
    const s = rawServer([], { ASR_WAIT_BUDGET_S: '600' });
    await s.initialize();
    void s.request('tools/call', { name: 'asr_transcribe', arguments: { audio: big } });
    const uploads = fake.count('upload');
    fake.inject('upload', { kind: 'delay', ms: 5000 });
    await until(() => fake.count('upload') > uploads, 'the upload to start');
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.stderr()).toMatch(/stopping with 1 upload\(s\) unfinished: local-/);
    const localFiles = readdirSync(join(out, 'ai-audio-asr', 'tasks')).filter((f) => f.startsWith('local-'));
    const records = localFiles.map((f) =>
      JSON.parse(readFileSync(join(out, 'ai-audio-asr', 'tasks', f), 'utf8')),
    );
    expect(records.some((r) => r.source === big && r.status === 'CANCELED')).toBe(true);
  });

  it('survives an unhandled rejection and keeps serving', async () => {
    const preload = join(home, 'reject.mjs');
    writeFileSync(
      preload,
      "setTimeout(() => { Promise.reject(new Error('injected stray rejection')); }, 1500);\n",
    );
    const s = rawServer(['--import', pathToFileURL(preload).href]);
    await s.initialize();
    await until(() => s.stderr().includes('injected stray rejection'), 'the rejection to be logged');
    expect(s.stderr()).toMatch(/unhandled rejection: Error: injected stray rejection/);
    const list = await s.request('tools/list');
    expect((list.result as { tools: unknown[] }).tools).toHaveLength(6);
    s.child.stdin!.end();
    expect((await s.exited).code).toBe(0);
  });
});

describe('client roots', () => {
  it('confines local files to the roots the client offers, and follows roots/list_changed', async () => {
    const a = join(home, 'project-a');
    const b = join(home, 'project-b');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    copyFileSync(fixture('speech.mp3'), join(a, 'a.mp3'));
    copyFileSync(fixture('speech.mp3'), join(b, 'b.mp3'));
    let roots = [a];
    const session = await connect(env(), {
      capabilities: { roots: { listChanged: true } },
      beforeConnect: (client) =>
        client.setRequestHandler(ListRootsRequestSchema, async () => ({
          roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: r })),
        })),
    });
    const call = async (audio: string) =>
      (await session.client.callTool({ name: 'asr_transcribe', arguments: { audio } })) as ToolResult;
    try {
      expect((await call(join(a, 'a.mp3'))).isError).toBeFalsy();
      const refused = await call(join(b, 'b.mp3'));
      expect(refused.isError).toBe(true);
      expect(refused.content[0]!.text).toContain(
        `outside the folders this server may read (client roots: ${a})`,
      );
      roots = [b];
      await session.client.sendRootsListChanged();
      // The notification and the next call race on the wire; the server asks again once it has it.
      let allowed: ToolResult | undefined;
      for (let i = 0; i < 20 && !(allowed && !allowed.isError); i++) {
        allowed = await call(join(b, 'b.mp3'));
        if (allowed.isError) await new Promise((r) => setTimeout(r, 50));
      }
      expect(allowed!.isError).toBeFalsy();
      expect((await call(join(a, 'a.mp3'))).isError).toBe(true);
    } finally {
      await session.close();
    }
  });
});
