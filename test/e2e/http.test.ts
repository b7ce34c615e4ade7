/**
 * `qwen-asr-mcp --http`: the built server over Streamable HTTP, driven by the SDK's HTTP client against
 * the local fake, plus the guards (Host/Origin, bearer token beyond loopback, body cap, stateless).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { SERVER_ENTRY, stopAll, TOOL_NAMES, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const allowed = tempDir('qwen-asr-http-allowed-');
const running: ChildProcess[] = [];
beforeAll(async () => {
  await fake.start();
  copyFileSync(fixture('speech.mp3'), join(allowed, 'speech.mp3'));
});
afterAll(async () => {
  await stopAll(running);
  await fake.stop();
});

/** Starts `--http` on a free port; resolves with its URL once it listens, or with its exit. */
function startHttp(args: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [SERVER_ENTRY, '--http', '--port', '0', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...fake.env({
        HOME: home,
        OUTPUT_DIR: join(home, 'out'),
        ASR_POLL_INTERVAL_MS: '20',
        ASR_POLL_MAX_INTERVAL_MS: '50',
      }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  return new Promise<{ url?: string; code?: number | null; stderr: () => string; stdout: () => string }>(
    (resolve) => {
      child.stderr!.on('data', (d) => {
        stderr += d;
        const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (m) resolve({ url: m[1]!, stderr: () => stderr, stdout: () => stdout });
      });
      child.on('exit', (code) => resolve({ code, stderr: () => stderr, stdout: () => stdout }));
    },
  );
}

async function client(url: string, headers: Record<string, string> = {}) {
  const c = new Client({ name: 'http-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return c;
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

describe('Streamable HTTP', () => {
  let url = '';
  beforeAll(async () => {
    const started = await startHttp([], { ASR_ALLOWED_DIRS: allowed });
    url = started.url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('serves the same tools, with progress, and nothing but the protocol on stdout', async () => {
    const c = await client(url);
    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    const media = fake.addMedia('http.mp3', { durationS: 30, text: 'Over HTTP. With progress.' });
    const progress: string[] = [];
    const r = (await c.callTool(
      { name: 'asr_transcribe', arguments: { audio: media, timestamp_granularities: ['sentence'] } },
      CallToolResultSchema,
      { onprogress: (p) => void progress.push(p.message ?? '') },
    )) as ToolResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.text).toBe('Over HTTP. With progress.');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((m) => /^(checking|submitting|queued|running|fetching|saving|done)/.test(m))).toBe(
      true,
    );
    await c.close();
  });

  it('is stateless: a task started by one client is finished by another', async () => {
    const media = fake.addMedia('stateless.mp3', { durationS: 600, text: 'Any instance can answer.' });
    const a = await client(url);
    const started = (await a.callTool({
      name: 'asr_transcribe',
      arguments: { audio: media, async: true, wait: false },
    })) as ToolResult;
    const taskId = started.structuredContent!.task_id as string;
    await a.close();
    const b = await client(url);
    const done = (await b.callTool({
      name: 'asr_task_status',
      arguments: { task_id: taskId, wait: true },
    })) as ToolResult;
    expect(done.structuredContent).toMatchObject({ status: 'SUCCEEDED', text: 'Any instance can answer.' });
    await b.close();
  });

  it('reads local files only from ASR_ALLOWED_DIRS', async () => {
    const c = await client(url);
    const ok = (await c.callTool({
      name: 'asr_transcribe',
      arguments: { audio: join(allowed, 'speech.mp3') },
    })) as ToolResult;
    expect(ok.isError).toBeFalsy();
    const refused = (await c.callTool({
      name: 'asr_transcribe',
      arguments: { audio: fixture('speech.mp3') },
    })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/outside the folders this server may read \(ASR_ALLOWED_DIRS/);
    await c.close();
    const without = await startHttp();
    const c2 = await client(without.url!);
    const none = (await c2.callTool({
      name: 'asr_transcribe',
      arguments: { audio: join(allowed, 'speech.mp3') },
    })) as ToolResult;
    expect(none.content[0]!.text).toMatch(
      /over HTTP this server reads local files only from ASR_ALLOWED_DIRS, which is not set/,
    );
    await c2.close();
  });

  it('accepts a body over 9 MiB (inline audio) and the tool refuses audio over 7 MiB, naming the limit', async () => {
    const c = await client(url);
    const audio = Buffer.alloc(7 * 1024 * 1024 + 1024);
    readFileSync(fixture('speech.mp3')).copy(audio);
    const uri = `data:audio/mpeg;base64,${audio.toString('base64')}`;
    expect(uri.length).toBeGreaterThan(9 * 1024 * 1024);
    expect(uri.length).toBeLessThan(10 * 1024 * 1024);
    const r = (await c.callTool({ name: 'asr_transcribe', arguments: { audio: uri } })) as ToolResult;
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/over the inline limit of 7 MiB \(7,340,032 bytes\)/);
    const small = readFileSync(fixture('speech.mp3')).toString('base64');
    const ok = (await c.callTool({
      name: 'asr_transcribe',
      arguments: { audio: `data:audio/mpeg;base64,${small}` },
    })) as ToolResult;
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent!.source).toMatch(
      /^data:audio\/mpeg;base64,… \(\d+ bytes, sha256 [0-9a-f]{64}\)$/,
    );
    await c.close();
  });

  it('refuses other Host and Origin headers (DNS rebinding), oversized bodies, GET, and other paths', async () => {
    expect((await post(url, PING)).statusCode).toBe(200);
    expect((await post(url, PING, { host: 'evil.example' })).statusCode).toBe(403);
    expect((await post(url, PING, { origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await post(url, PING, { origin: 'http://localhost:3000' })).statusCode).toBe(200);
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
      params: { pad: 'x'.repeat(10 * 1024 * 1024) },
    });
    expect((await post(url, big)).statusCode).toBe(413);
    expect((await post(url, '{not json')).statusCode).toBe(400);
    expect((await request(url, { method: 'GET' })).statusCode).toBe(405);
    expect((await post(url.replace('/mcp', '/other'), PING)).statusCode).toBe(404);
  });
});

describe('beyond loopback', () => {
  it('refuses to listen without ASR_HTTP_TOKEN, and with one requires it on every request', async () => {
    const refused = await startHttp(['--host', '0.0.0.0']);
    expect(refused.url).toBeUndefined();
    expect(refused.code).toBe(2);
    expect(refused.stderr()).toMatch(/Refusing to listen on 0\.0\.0\.0 without a token/);

    const token = 'test-http-token-0123456789abcdef';
    const started = await startHttp(['--host', '0.0.0.0'], { ASR_HTTP_TOKEN: token });
    const url = started.url!.replace('0.0.0.0', '127.0.0.1');
    const denied = await post(url, PING);
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    expect((await post(url, PING, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    const c = await client(url, { authorization: `Bearer ${token}` });
    expect((await c.listTools()).tools).toHaveLength(6);
    await c.close();
    expect(started.stderr() + started.stdout()).not.toContain(token);
  });
});
