/**
 * `--http` exposure (issue #13, finding 7): a short token is refused beyond loopback, a bracketed IPv6
 * host is listened on, an address that is not ours is a clear start-up error, and stalled sockets can
 * neither pile up past ASR_HTTP_MAX_CONNECTIONS nor stay open: they are closed within 15 s and the
 * server goes on answering authenticated calls.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect as connectSocket, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir } from '../helpers/env.js';
import { SERVER_ENTRY, stopAll } from '../helpers/mcp.js';

const fake = new FakeDashScope();
const home = tempDir();
const running: ChildProcess[] = [];
const TOKEN = 'exposure-test-token-0123456789abcdef';
beforeAll(() => fake.start());
afterAll(async () => {
  await stopAll(running);
  await fake.stop();
});

function startHttp(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [SERVER_ENTRY, '--http', '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...fake.env({ HOME: home, OUTPUT_DIR: join(home, 'out') }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  return new Promise<{ url?: string; code?: number | null; stderr: () => string }>((resolve) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve({ url: m[1]!, stderr: () => stderr });
    });
    child.on('exit', (code) => resolve({ code, stderr: () => stderr }));
  });
}

function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
const ping = (url: string, headers: Record<string, string> = {}) =>
  request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: PING,
  });

describe('start-up checks', () => {
  it('refuses a token shorter than 16 characters beyond loopback, naming the length', async () => {
    for (const token of ['x', 'fifteen-chars-x']) {
      const refused = await startHttp(['--host', '0.0.0.0'], { ASR_HTTP_TOKEN: token });
      expect(refused.url).toBeUndefined();
      expect(refused.code).toBe(2);
      expect(refused.stderr()).toContain(`ASR_HTTP_TOKEN of ${token.length} characters`);
      expect(refused.stderr()).toMatch(/at least 16 \(32 or more recommended\)/);
      expect(refused.stderr()).not.toContain(token === 'x' ? 'Bearer x' : token);
    }
    const sixteen = await startHttp(['--host', '0.0.0.0'], { ASR_HTTP_TOKEN: 'sixteen-chars-ok' });
    expect(sixteen.url).toBeDefined();
  });

  it('listens on a bracketed IPv6 host, [::1], and answers there', async (t) => {
    if (!(await ipv6Loopback())) t.skip(); // a machine without IPv6 has no ::1 to listen on
    for (const host of ['[::1]', '::1']) {
      const started = await startHttp(['--host', host]);
      expect(started.stderr()).not.toMatch(/ENOTFOUND/);
      expect(started.url).toMatch(/^http:\/\/\[::1\]:\d+\/mcp$/);
      const res = await ping(started.url!);
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toMatch(/"id":1\b/);
    }
  });

  it('explains an address that is not this machine, and a malformed bracketed host', async () => {
    const foreign = await startHttp(['--host', '192.0.2.1'], { ASR_HTTP_TOKEN: TOKEN });
    // (A machine set to bind non-local addresses, net.ipv4.ip_nonlocal_bind, would listen: nothing to explain.)
    if (foreign.url === undefined) {
      expect(foreign.code).toBe(2);
      expect(foreign.stderr()).toMatch(
        /Cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine/,
      );
    }
    const bad = await startHttp(['--host', '[not-ipv6]']);
    expect(bad.code).toBe(2);
    expect(bad.stderr()).toMatch(/--host must be a host name or an IP address/);
  });
});

describe('stalled sockets', () => {
  it('past ASR_HTTP_MAX_CONNECTIONS are closed at once, the rest within 15 s; the server keeps serving', {
    timeout: 45_000,
  }, async () => {
    const started = await startHttp([], { ASR_HTTP_MAX_CONNECTIONS: '20', ASR_HTTP_TOKEN: TOKEN });
    const url = new URL(started.url!);
    const opened = Date.now();
    const closedAfter: number[] = [];
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 60; i++) {
        const s = connectSocket(Number(url.port), url.hostname);
        s.on('error', () => {});
        s.on('connect', () => s.write(`POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: appl`));
        s.on('close', () => closedAfter.push(Date.now() - opened));
        s.resume(); // read what the server sends (a 408), so its close is seen
        sockets.push(s);
      }
      const waitFor = async (n: number, ms: number) => {
        const end = Date.now() + ms;
        while (closedAfter.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      };
      // The 40 beyond the cap are closed as they arrive.
      await waitFor(40, 3000);
      expect(closedAfter.length).toBeGreaterThanOrEqual(40);
      // The 20 admitted ones never finish their headers: closed within 15 s of opening.
      await waitFor(60, 15_000);
      expect(closedAfter).toHaveLength(60);
      expect(Math.max(...closedAfter)).toBeLessThan(15_000);
      expect(started.stderr()).toMatch(/20 connections open \(ASR_HTTP_MAX_CONNECTIONS\); refusing new ones/);

      const client = new Client({ name: 'exposure-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      expect((await client.listTools()).tools).toHaveLength(6);
      await client.close();
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
