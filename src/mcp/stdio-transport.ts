/**
 * Newline-delimited JSON-RPC over stdin/stdout, replacing the SDK's StdioServerTransport (issue #13).
 *
 * The SDK's transport closes itself when a line outgrows its buffer, after which the server exits
 * with status 0 and the client never learns why. Here an overlong line is dropped as it streams in
 * (never held whole), answered with a JSON-RPC error that names the limit, and reading goes on.
 * Input is kept as a list of chunks and only new bytes are scanned for newlines (no O(n²)
 * re-concatenation), and output goes through one queue with at most one 'drain' listener.
 *
 * Over 300 lines on purpose: reading, the oversized-line recovery and the write queue are one small
 * state machine over the two streams.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
/** How much of an overlong line's start and end is kept to recover its request id. */
const PEEK_BYTES = 1024;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
const BROKEN_PIPE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export interface StdioTransportOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Longest accepted line in bytes, newline excluded (default 16 MiB). */
  maxLineBytes?: number;
  /** Operator-facing notes (a discarded line, unterminated input at end of stream). */
  log?: (msg: string) => void;
  /** Appended to the "too large" error sent to the client: how to avoid the limit. */
  oversizeHint?: string;
  /**
   * JSON-RPC 2.0 answers an error whose request id is unknown with `"id": null`, but MCP's schema
   * (and so the SDK's client, which drops such a message as invalid) wants the id left out.
   * Default false: leave it out, so SDK clients surface the error text.
   */
  nullIdForUnknown?: boolean;
}

interface Pending {
  data: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly opts: Required<Omit<StdioTransportOptions, 'stdin' | 'stdout'>>;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set once the current line passed the limit: its bytes are counted and dropped until the newline. */
  private discarding = false;
  private discarded = 0;
  private head: Buffer = EMPTY;
  private tail: Buffer = EMPTY;

  private queue: Pending[] = [];
  private queueStart = 0;
  private blocked = false;
  private started = false;
  private closed = false;

  constructor(options: StdioTransportOptions = {}) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.opts = {
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      log: options.log ?? (() => {}),
      oversizeHint: options.oversizeHint ?? 'Pass large content by file path or URL instead of inline.',
      nullIdForUnknown: options.nullIdForUnknown ?? false,
    };
  }

  /** Bytes of the current, unfinished line held in memory; never more than maxLineBytes. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioTransport already started');
    if (this.closed) throw new Error('StdioTransport is closed');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('close', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    this.stdout.on('error', this.onStdoutError);
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error('StdioTransport is closed'));
    const data = `${JSON.stringify(message)}\n`;
    return new Promise((resolve, reject) => {
      // While the stream is full, later messages wait in order behind the earlier ones.
      if (this.blocked) this.queue.push({ data, resolve, reject });
      else {
        this.write(data);
        resolve();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('close', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdout.off('error', this.onStdoutError);
    this.stdout.off('drain', this.onDrain);
    // Pause only if nobody else reads stdin, as the SDK does.
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.chunks = [];
    this.buffered = 0;
    this.discarding = false;
    this.head = this.tail = EMPTY;
    // Messages already accepted are handed to the stream (which buffers past its high-water mark)
    // rather than lost; if the stream is broken they fail instead.
    const pending = this.queue.slice(this.queueStart);
    this.queue = [];
    this.queueStart = 0;
    for (const item of pending) {
      if (this.stdout.writable) {
        this.stdout.write(item.data);
        item.resolve();
      } else item.reject(new Error('StdioTransport closed before the message was written'));
    }
    this.onclose?.();
  }

  private write(data: string): void {
    if (!this.stdout.write(data) && !this.blocked) {
      this.blocked = true;
      this.stdout.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.blocked = false;
    while (!this.blocked && !this.closed && this.queueStart < this.queue.length) {
      const item = this.queue[this.queueStart++]!;
      this.write(item.data);
      item.resolve();
    }
    if (this.queueStart === this.queue.length) {
      this.queue = [];
      this.queueStart = 0;
    }
  };

  private readonly onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (!this.closed) {
      const nl = buf.indexOf(NEWLINE, start);
      const piece = buf.subarray(start, nl === -1 ? buf.length : nl);
      if (this.discarding) {
        this.discarded += piece.length;
        this.tail = lastBytes([this.tail, piece], PEEK_BYTES);
      } else if (this.buffered + piece.length > this.opts.maxLineBytes) {
        this.beginDiscard(piece);
      } else if (piece.length > 0) {
        this.chunks.push(piece);
        this.buffered += piece.length;
      }
      if (nl === -1) return;
      start = nl + 1;
      this.endLine();
    }
  };

  private beginDiscard(piece: Buffer): void {
    const all = [...this.chunks, piece];
    this.head = firstBytes(all, PEEK_BYTES);
    this.tail = lastBytes(all, PEEK_BYTES);
    this.discarded = this.buffered + piece.length;
    this.discarding = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private endLine(): void {
    if (this.discarding) {
      const { discarded, head, tail } = this;
      this.discarding = false;
      this.discarded = 0;
      this.head = this.tail = EMPTY;
      this.rejectOversized(discarded, head, tail);
      return;
    }
    const line = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    // Decode only whole lines, so a UTF-8 character split across chunks survives.
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return; // blank lines separate nothing; ignore them
    this.handleLine(text);
  }

  private handleLine(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.onerror?.(
        new Error(`Ignored a line that is not JSON: ${(error as Error).message}`, { cause: error }),
      );
      this.reply(undefined, -32700, 'Parse error: the line is not valid JSON.');
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.onerror?.(
        new Error(`Ignored an invalid JSON-RPC message: ${parsed.error.message}`, { cause: parsed.error }),
      );
      // Answer only what looks like a request: replying to a malformed response or notification
      // would hand the client an error for a message it never sent.
      if (isObject(value) && 'method' in value && 'id' in value) {
        const id = isRequestId(value.id) ? value.id : undefined;
        this.reply(id, -32600, 'Invalid Request: not a valid JSON-RPC 2.0 request.');
      }
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private rejectOversized(bytes: number, head: Buffer, tail: Buffer): void {
    const id = recoverRequestId(head, tail);
    const max = this.opts.maxLineBytes;
    const limit = `the limit of ${max} bytes (${+(max / 1024 / 1024).toFixed(2)} MiB) per message`;
    const seen = id === undefined ? '' : ` (request id ${JSON.stringify(id)})`;
    this.opts.log(`Discarded an input line of ${bytes} bytes${seen}: over ${limit}.`);
    this.reply(id, -32600, `Message too large: ${bytes} bytes exceeds ${limit}. ${this.opts.oversizeHint}`);
  }

  private reply(id: RequestId | undefined, code: number, message: string): void {
    const withId = id !== undefined ? { id } : this.opts.nullIdForUnknown ? { id: null } : {};
    const error = { jsonrpc: '2.0', ...withId, error: { code, message } } as JSONRPCMessage;
    this.send(error).catch(() => {}); // closed meanwhile: nobody left to tell
  }

  private readonly onEnd = (): void => {
    if (this.buffered > 0 || this.discarding) {
      this.opts.log(
        `Input ended inside an unterminated line; ${this.discarding ? this.discarded : this.buffered} bytes dropped.`,
      );
    }
    void this.close();
  };

  private readonly onStdinError = (error: Error): void => this.onerror?.(error);

  private readonly onStdoutError = (error: Error): void => {
    this.onerror?.(error);
    // The reader went away: nothing sent from now on can arrive.
    if (BROKEN_PIPE.has((error as NodeJS.ErrnoException).code ?? '')) void this.close();
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function firstBytes(list: Buffer[], n: number): Buffer {
  const total = list.reduce((sum, b) => sum + b.length, 0);
  return Buffer.concat(list, Math.min(n, total));
}

/** A copy, so a kept tail never pins a large chunk in memory. */
function lastBytes(list: Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let need = n;
  for (let i = list.length - 1; i >= 0 && need > 0; i--) {
    const b = list[i]!;
    out.unshift(b.subarray(Math.max(0, b.length - need)));
    need -= out[0]!.length;
  }
  return Buffer.concat(out);
}

const JSON_STRING = /"(?:[^"\\]|\\.)*"/y;
const ID = String.raw`(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*")`;
const ID_VALUE = new RegExp(String.raw`\s*:\s*${ID}`, 'y');
/** The top-level object's last member, right before the closing brace that ends the line. */
const TRAILING_ID = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);

/**
 * The id of an overlong line, if it is a request: a top-level "method" must be in the first KiB
 * (the id of a response must not be echoed back), and the top-level "id" in the first KiB or as the
 * last member (the SDK writes requests as method, params, jsonrpc, id). Nested "id" keys inside
 * params are skipped by tracking depth outside strings.
 */
export function recoverRequestId(head: Buffer, tail: Buffer): RequestId | undefined {
  try {
    const text = head.toString('utf8');
    let depth = 0;
    let method = false;
    let id: RequestId | undefined;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      else if (c === '"') {
        JSON_STRING.lastIndex = i;
        const key = JSON_STRING.exec(text)?.[0];
        if (key === undefined) break; // cut off inside a string
        i += key.length - 1;
        ID_VALUE.lastIndex = i + 1;
        if (depth !== 1) continue;
        if (key === '"method"' && /^\s*:/.test(text.slice(i + 1, i + 64))) method = true;
        else if (key === '"id"' && id === undefined) {
          const value = ID_VALUE.exec(text)?.[1];
          if (value !== undefined) id = JSON.parse(value) as RequestId;
        }
      }
    }
    if (!method) return undefined;
    if (id === undefined) {
      const value = TRAILING_ID.exec(tail.toString('utf8'))?.[1];
      if (value !== undefined) id = JSON.parse(value) as RequestId;
    }
    return isRequestId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
