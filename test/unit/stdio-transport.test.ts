import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_MAX_LINE_BYTES, recoverRequestId, StdioTransport } from '../../src/mcp/stdio-transport.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A transport on PassThrough streams, with everything it delivers, reports and writes recorded. */
async function harness(options: { maxLineBytes?: number; nullIdForUnknown?: boolean } = {}) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const logs: string[] = [];
  const transport = new StdioTransport({ stdin, stdout, log: (m) => logs.push(m), ...options });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  let closes = 0;
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = (e) => errors.push(e);
  transport.onclose = () => closes++;
  let written = '';
  stdout.on('data', (c: Buffer) => {
    written += c.toString('utf8');
  });
  await transport.start();
  const replies = () =>
    written
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stdin, stdout, transport, messages, errors, logs, replies, closes: () => closes };
}

const request = (id: number | string, method = 'ping') => ({ jsonrpc: '2.0' as const, id, method });
const line = (m: unknown) => `${JSON.stringify(m)}\n`;

describe('StdioTransport reading', () => {
  it('delivers newline-delimited messages and sends replies as single lines', async () => {
    const h = await harness();
    h.stdin.write(line(request(1)) + line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await tick();
    expect(h.messages).toEqual([request(1), { jsonrpc: '2.0', method: 'notifications/initialized' }]);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    await tick();
    expect(h.replies()).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
  });

  it('reassembles lines split across chunks, including a split UTF-8 character', async () => {
    const h = await harness();
    const bytes = Buffer.from(
      line({ ...request(2, 'tools/call'), params: { name: 'é€😀' } }) + line(request(3)),
    );
    for (let i = 0; i < bytes.length; i++) h.stdin.write(bytes.subarray(i, i + 1));
    await tick();
    expect(h.messages).toEqual([{ ...request(2, 'tools/call'), params: { name: 'é€😀' } }, request(3)]);
  });

  it('accepts CRLF line ends and skips blank lines', async () => {
    const h = await harness();
    h.stdin.write(`\r\n\n${JSON.stringify(request(4))}\r\n  \n`);
    await tick();
    expect(h.messages).toEqual([request(4)]);
    expect(h.errors).toEqual([]);
  });

  it('reports unparsable JSON, answers Parse error without an id, and keeps reading', async () => {
    const h = await harness();
    h.stdin.write(`{not json}\n${line(request(5))}`);
    await tick();
    expect(h.errors[0]?.message).toMatch(/not JSON/);
    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/Parse error/) } },
    ]);
    expect(h.messages).toEqual([request(5)]);
  });

  it('can answer with "id": null instead, as plain JSON-RPC 2.0 does', async () => {
    const h = await harness({ nullIdForUnknown: true });
    h.stdin.write('[1,\n');
    await tick();
    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } },
    ]);
  });

  it('reports invalid JSON-RPC, answering only request-like messages', async () => {
    const h = await harness();
    h.stdin.write(
      line({ jsonrpc: '2.0', id: 6, method: 3 }) +
        line({ jsonrpc: '1.0', method: 'notifications/x' }) +
        line({ jsonrpc: '2.0', id: 7, result: 'not an object' }) +
        line([request(8)]) +
        line(request(9)),
    );
    await tick();
    expect(h.errors).toHaveLength(4);
    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', id: 6, error: { code: -32600, message: expect.any(String) } },
    ]);
    expect(h.messages).toEqual([request(9)]);
  });
});

describe('StdioTransport line limit', () => {
  /** Writes `total` bytes of filler inside a JSON string, in 64 KiB chunks, honouring back-pressure. */
  async function writeLong(stdin: PassThrough, prefix: string, total: number, suffix: string) {
    stdin.write(prefix);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let left = total; left > 0; left -= chunk.length) {
      if (!stdin.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(stdin, 'drain');
    }
    stdin.write(suffix);
  }

  it('drops a 17 MiB line without holding it, answers with its id, then serves the next request', async () => {
    const h = await harness();
    let peak = 0;
    h.stdin.on('data', () => {
      peak = Math.max(peak, h.transport.bufferedBytes);
    });
    const prefix =
      '{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"t","arguments":{"b":"';
    await writeLong(h.stdin, prefix, 17 * 1024 * 1024, '"}}}\n');
    h.stdin.write(line(request(10)));
    await tick();
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
    expect(h.transport.bufferedBytes).toBe(0);
    expect(h.messages).toEqual([request(10)]);
    const [reply] = h.replies() as [{ id: unknown; error: { code: number; message: string } }];
    expect(reply.id).toBe('big-1');
    expect(reply.error.code).toBe(-32600);
    const size = Buffer.byteLength(prefix) + 17 * 1024 * 1024 + '"}}}'.length;
    expect(reply.error.message).toContain(`Message too large: ${size} bytes`);
    expect(reply.error.message).toMatch(/exceeds the limit of 16777216 bytes \(16 MiB\).*file path or URL/);
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatch(/Discarded an input line of \d+ bytes \(request id "big-1"\)/);
    expect(h.errors).toEqual([]);
  }, 60_000);

  it('never buffers more than the limit, whatever the chunking', async () => {
    const h = await harness({ maxLineBytes: 1000 });
    let peak = 0;
    h.stdin.on('data', () => {
      peak = Math.max(peak, h.transport.bufferedBytes);
    });
    for (let i = 0; i < 50; i++) h.stdin.write('y'.repeat(333));
    h.stdin.write(`\n${line(request(11))}`);
    await tick();
    expect(peak).toBeLessThanOrEqual(1000);
    expect(h.messages).toEqual([request(11)]);
    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', error: { code: -32600, message: expect.stringMatching(/16650 bytes/) } },
    ]);
  });

  it('recovers the id the SDK writes last, but not one nested in params or from a response', async () => {
    const h = await harness({ maxLineBytes: 2048 });
    const big = 'z'.repeat(4096);
    h.stdin.write(
      line({ method: 'tools/call', params: { arguments: { id: 99, big } }, jsonrpc: '2.0', id: 12 }),
    );
    h.stdin.write(line({ jsonrpc: '2.0', method: 'tools/call', params: { id: 98, big } }));
    h.stdin.write(line({ result: { big }, jsonrpc: '2.0', id: 13 }));
    await tick();
    expect(h.replies().map((r) => r.id)).toEqual([12, undefined, undefined]);
  });

  it('a line exactly at the limit is accepted', async () => {
    const text = JSON.stringify({ ...request(14), params: { pad: '' } });
    const padded = JSON.stringify({ ...request(14), params: { pad: 'p'.repeat(500 - text.length) } });
    const h = await harness({ maxLineBytes: 500 });
    h.stdin.write(`${padded}\n${padded}p\n`);
    await tick();
    expect(Buffer.byteLength(padded)).toBe(500);
    expect(h.messages).toHaveLength(1);
    expect(h.replies()).toHaveLength(1);
  });

  it('recoverRequestId reads numbers and strings, and skips keys inside strings', () => {
    const id = (head: string, tail = '') => recoverRequestId(Buffer.from(head), Buffer.from(tail));
    expect(id('{"jsonrpc":"2.0","id":-3,"method":"x","params":{"a":"')).toBe(-3);
    expect(id('{"method":"x","params":{"s":"\\"id\\":5, \\"}"},"id":"a\\"b"')).toBe('a"b');
    expect(id('{"method":"x","params":{"a":"', 'aaa"},"jsonrpc":"2.0","id":"r-1"}\r')).toBe('r-1');
    expect(id('{"method":"x","params":{"a":"', 'aaa"}},"x":{"id":4}}')).toBeUndefined();
    expect(id('{"params":{"a":"', 'a"},"jsonrpc":"2.0","id":4}')).toBeUndefined();
    expect(id('{"name":"method","id":1}')).toBeUndefined();
    expect(id('\u0000\u00ff{{{"')).toBeUndefined();
  });
});

describe('StdioTransport writing', () => {
  it('keeps at most one drain listener under a 10,000-message burst to a slow stream, in order', async () => {
    const received: string[] = [];
    let maxDrainListeners = 0;
    const stdout: Writable = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _enc, done) {
        maxDrainListeners = Math.max(maxDrainListeners, stdout.listenerCount('drain'));
        received.push(chunk.toString('utf8'));
        setImmediate(done);
      },
    });
    const transport = new StdioTransport({ stdin: new PassThrough(), stdout });
    await transport.start();
    const sends = Array.from({ length: 10_000 }, (_, i) =>
      transport.send({ jsonrpc: '2.0', id: i, result: {} }),
    );
    expect(stdout.listenerCount('drain')).toBeLessThanOrEqual(1);
    await Promise.all(sends);
    stdout.end();
    await once(stdout, 'finish');
    expect(maxDrainListeners).toBe(1); // the stream really was full, and one listener sufficed
    expect(stdout.listenerCount('drain')).toBe(0);
    const ids = received
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toEqual([...Array(10_000).keys()]);
    await transport.close();
  });
});

describe('StdioTransport closing', () => {
  it('close() detaches listeners, fires onclose once and refuses later sends', async () => {
    const h = await harness();
    await h.transport.close();
    await h.transport.close();
    expect(h.closes()).toBe(1);
    for (const event of ['data', 'end', 'close', 'error']) expect(h.stdin.listenerCount(event)).toBe(0);
    expect(h.stdout.listenerCount('error')).toBe(0);
    await expect(h.transport.send(request(1))).rejects.toThrow(/closed/);
    h.stdin.write(line(request(2)));
    await tick();
    expect(h.messages).toEqual([]);
    await expect(h.transport.start()).rejects.toThrow();
  });

  it('closes when stdin ends, noting an unterminated last line', async () => {
    const h = await harness({ maxLineBytes: 100 });
    h.stdin.write(`${'x'.repeat(150)}\n`);
    h.stdin.end('{"jsonrpc":"2.0"');
    await once(h.stdin, 'end');
    await tick();
    expect(h.closes()).toBe(1);
    expect(h.logs.join()).toMatch(/unterminated line; 16 bytes dropped/);
  });

  it('reports a broken stdout and closes on EPIPE; other errors only reported', async () => {
    const h = await harness();
    h.stdout.emit('error', Object.assign(new Error('other'), { code: 'EIO' }));
    expect(h.closes()).toBe(0);
    h.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await tick();
    expect(h.errors.map((e) => e.message)).toEqual(['other', 'write EPIPE']);
    expect(h.closes()).toBe(1);
  });

  it('close() still hands queued messages to the stream', async () => {
    const received: string[] = [];
    const stdout = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, done) {
        received.push(chunk.toString('utf8'));
        setImmediate(done);
      },
    });
    const transport = new StdioTransport({ stdin: new PassThrough(), stdout });
    await transport.start();
    const sends = [1, 2, 3].map((id) => transport.send({ jsonrpc: '2.0', id, result: {} }));
    await transport.close();
    await Promise.all(sends);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.join('').trim().split('\n')).toHaveLength(3);
  });
});

/** The client side, framed by the SDK's own ReadBuffer/serializeMessage, to prove wire compatibility. */
class PipeClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();
  constructor(
    private readonly toServer: PassThrough,
    private readonly fromServer: PassThrough,
  ) {}
  async start() {
    this.fromServer.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        try {
          const message = this.buffer.readMessage();
          if (message === null) break;
          this.onmessage?.(message);
        } catch (error) {
          this.onerror?.(error as Error);
        }
      }
    });
  }
  async send(message: JSONRPCMessage) {
    this.toServer.write(serializeMessage(message));
  }
  async close() {
    this.toServer.end();
    this.onclose?.();
  }
}

describe('StdioTransport with the SDK', () => {
  it('serves an McpServer to an SDK Client, and fails an oversized call fast with the limit named', async () => {
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const server = new McpServer({ name: 'test', version: '1.0.0' });
    server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    const serverTransport = new StdioTransport({
      stdin: toServer,
      stdout: fromServer,
      maxLineBytes: 64 * 1024,
    });
    let serverClosed = false;
    serverTransport.onclose = () => {
      serverClosed = true;
    };
    await server.connect(serverTransport);
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new PipeClientTransport(toServer, fromServer));

    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })).toMatchObject({
      content: [{ type: 'text', text: 'héllo' }],
    });
    // The SDK puts the id last; the transport still finds it, so the call fails at once, not on timeout.
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x'.repeat(100_000) } })).rejects.toThrow(
      /Message too large: \d+ bytes exceeds the limit of 65536 bytes/,
    );
    expect(await client.callTool({ name: 'echo', arguments: { text: 'still here' } })).toMatchObject({
      content: [{ text: 'still here' }],
    });
    await client.close();
    await tick();
    expect(serverClosed).toBe(true);
  });
});
