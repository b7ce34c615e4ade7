/**
 * How the fake answers, in the three dialects the client meets: native DashScope JSON errors,
 * OpenAI-compatible JSON errors, and the XML errors of the storage host (OSS).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from './types.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** `{code, message, request_id}`, as every native endpoint answers an error. */
export function nativeError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message, request_id: rid() });
}

/** The OpenAI shape: the detail under `error`, whose `type` is always invalid_request_error here. */
export function compatError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, {
    error: { message, type: 'invalid_request_error', param: null, code },
    request_id: rid(),
  });
}

export function ossError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${rid()}</RequestId></Error>`,
  );
}

export function authorized(ctx: RequestContext): boolean {
  return ctx.req.headers.authorization === `Bearer ${ctx.state.options.apiKey}`;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function rid(): string {
  return randomUUID();
}

/** The service's timestamp format: local-looking, milliseconds, no zone letter. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
