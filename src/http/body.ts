/** Request bodies out, response bodies in: streamed pieces, size caps, and the headers we read. */
import { ResponseTooLargeError } from '../domain/errors.js';
import type { ByteStream } from '../util/byte-stream.js';

/** Body pieces in order, streams opened afresh for each attempt. */
export async function* pieces(parts: (Buffer | ByteStream)[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) yield part;
    else yield* part.open(signal);
  }
}

/**
 * The whole body as text, refusing (and discarding) one that grows past `max` bytes. Decoded as it
 * arrives, so a 20 MB transcript is held once as text, not also as chunks and their concatenation.
 */
export async function readCapped(
  body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void },
  max: number,
  purpose: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) {
      body.destroy?.();
      throw new ResponseTooLargeError(
        `The answer to the request to ${purpose} was larger than ${Math.round(max / 1048576)} MiB and was not read.`,
      );
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/** A `request_id` field of a JSON answer, when it has one. */
export function pickRequestId(data: unknown): string | undefined {
  if (data && typeof data === 'object') {
    const id = (data as { request_id?: unknown }).request_id;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

/** A short description of a body for an error message: its type, size and first words. */
export function describeBody(text: string, contentType: string | string[] | undefined): string {
  const type = headerValue(contentType) ?? 'no content type';
  const preview = text.slice(0, 80).replace(/\s+/g, ' ');
  return `${type}, ${text.length} bytes${preview ? `: "${preview}${text.length > 80 ? '…' : ''}"` : ''}`;
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After in milliseconds: seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
