/**
 * The streamed compatible-mode answer: Server-Sent Events carrying chat.completion.chunk objects, the
 * text in word-sized pieces (annotations on the first), a stop chunk, optionally a usage chunk with no
 * choices, then `data: [DONE]`.
 */
import { randomUUID } from 'node:crypto';
import { delay } from './reply.js';
import type { HeardAudio, RequestContext } from './types.js';

export interface StreamPlan {
  model: string;
  language: string;
  audio: HeardAudio;
  includeUsage: boolean;
  /** Drop the connection after this many events (this request's cut-stream fault). */
  cutAfter: number | undefined;
}

export async function streamCompletion(ctx: RequestContext, plan: StreamPlan): Promise<void> {
  const { res } = ctx;
  const { audio, language } = plan;
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    choices,
    created,
    model: plan.model,
    object: 'chat.completion.chunk',
    ...extra,
  });
  const pieces = audio.text.match(/\S+\s*/g) ?? [];
  const events: unknown[] = pieces.map((piece, i) =>
    chunk([
      {
        delta: {
          content: piece,
          role: 'assistant',
          ...(i === 0 ? { annotations: [{ type: 'audio_info', language, emotion: 'neutral' }] } : {}),
        },
        finish_reason: null,
        index: 0,
      },
    ]),
  );
  events.push(chunk([{ delta: {}, finish_reason: 'stop', index: 0 }]));
  if (plan.includeUsage) {
    const audioTokens = Math.ceil(audio.durationS * 25);
    events.push(
      chunk([], {
        usage: {
          completion_tokens: pieces.length,
          prompt_tokens: audioTokens,
          prompt_tokens_details: { audio_tokens: audioTokens, text_tokens: 0 },
          seconds: Math.max(1, Math.round(audio.durationS)),
          total_tokens: audioTokens + pieces.length,
        },
      }),
    );
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, event] of events.entries()) {
    if (res.destroyed) return;
    if (plan.cutAfter !== undefined && i >= plan.cutAfter) {
      // Let the chunks already written reach the client first, as a real mid-stream drop would.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      await delay(30);
      res.socket?.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify(event)}\n\n`);
    if (ctx.state.options.streamChunkMs > 0) await delay(ctx.state.options.streamChunkMs);
  }
  res.end('data: [DONE]\n\n');
}
