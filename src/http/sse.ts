/** Server-sent events: the `data:` payloads of a `text/event-stream` body, each as soon as it is complete. */
import { ResponseTooLargeError } from '../domain/errors.js';

/**
 * Splits an SSE body into events and hands each `data:` payload on as soon as its blank line arrives.
 * Comments and other fields (`event:`, `id:`) are skipped; multi-line data is joined with newlines.
 * `stream.delivered` turns true with the first event, so the caller knows a retry would repeat text.
 */
export async function readEvents(
  body: AsyncIterable<Buffer>,
  onEvent: (data: string) => void,
  stream: { delivered: boolean },
  maxBytes: number,
  purpose: string,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  let data: string[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new ResponseTooLargeError(
        `The streamed answer to ${purpose} exceeded ${maxBytes} bytes; stopped reading.`,
      );
    }
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) {
          const payload = data.join('\n');
          data = [];
          stream.delivered = true;
          onEvent(payload);
        }
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      nl = pending.indexOf('\n');
    }
  }
  if (data.length > 0) {
    stream.delivered = true;
    onEvent(data.join('\n'));
  }
}
