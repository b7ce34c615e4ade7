/**
 * Injected faults: a queue per route that tests fill, and what each kind of fault does to the one
 * request that meets it. The queue is read once per request, on arrival (see server.ts); everything here
 * acts on that request's response only.
 */
import type { ServerResponse } from 'node:http';
import { delay, rid, sendJson } from './reply.js';
import type { Fault, Route } from './types.js';

export class FaultQueue {
  private readonly queues = new Map<Route, Fault[]>();

  add(route: Route, fault: Fault, times: number): void {
    const list = this.queues.get(route) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.queues.set(route, list);
  }

  /** The fault the next request to `route` meets, removed from the queue. */
  take(route: Route): Fault | undefined {
    return this.queues.get(route)?.shift();
  }

  clear(): void {
    this.queues.clear();
  }
}

/** How many chunks a streamed answer may send before its connection drops, if this fault says so. */
export function cutAfter(fault: Fault | undefined): number | undefined {
  return fault?.kind === 'cut-stream' ? fault.afterChunks : undefined;
}

/**
 * Meets an API request's fault before its handler runs. Returns true when the fault took over the
 * response; false when the handler should still answer (after a delay, or for a cut-stream that only
 * the streamed answer can apply).
 */
export async function applyFault(fault: Fault, res: ServerResponse): Promise<boolean> {
  switch (fault.kind) {
    case 'status':
      sendJson(
        res,
        fault.status,
        fault.body ?? { code: 'InternalError', message: 'injected', request_id: rid() },
        fault.headers,
      );
      return true;
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'truncate': {
      // A complete HTTP answer whose JSON stops half-way (what a broken proxy or gateway produces).
      const text = '{"request_id":"trunc","output":{"task_id":"abc","task_sta';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.end(text);
      return true;
    }
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return true;
    case 'delay':
      await delay(fault.ms);
      return false;
    case 'oversized':
      await sendOversized(res, fault.bytes);
      return true;
    case 'wrong-type':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      return true;
    case 'cut-stream':
      return false;
    case 'trickle': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => {
        if (res.destroyed || res.writableEnded) return clearInterval(timer);
        res.write(' ');
      }, fault.intervalMs);
      res.on('close', () => clearInterval(timer));
      return true;
    }
  }
}

/** `{` then spaces: JSON that looks valid and never ends, written with backpressure so the fake stays small. */
async function sendOversized(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) });
  const piece = Buffer.alloc(1024 * 1024, 0x20);
  piece[0] = 0x7b;
  let left = bytes;
  while (left > 0 && !res.destroyed) {
    const n = Math.min(left, piece.length);
    if (!res.write(n === piece.length ? piece : piece.subarray(0, n)))
      await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    left -= n;
    piece[0] = 0x20;
  }
  res.end();
}
