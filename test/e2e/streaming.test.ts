/**
 * Partial transcripts over the protocol: a call with a progress token streams, and its progress
 * messages carry the words recognized so far before the final result arrives.
 */
import { join } from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir } from '../helpers/env.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

// The service pauses between words; so does the fake, so partials arrive well before the answer.
const fake = new FakeDashScope({ streamChunkMs: 15 });
const home = tempDir();
let session: Session;

beforeAll(async () => {
  await fake.start();
  session = await connect(fake.env({ HOME: home, OUTPUT_DIR: join(home, 'out') }));
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
});

// 120 words at 15 ms each: about 1.8 s of streaming, so several coalesced notices.
const TEXT = Array.from(
  { length: 12 },
  (_, i) => `Good morning and welcome to the weekly planning call number ${i} now.`,
).join(' ');

it('sends partial text as calm progress messages, then the same result as a plain call', async () => {
  const url = fake.addMedia('call.mp3', { durationS: 40, text: TEXT });
  const notices: { at: number; message: string }[] = [];
  const started = Date.now();
  const streamed = (await session.client.callTool(
    { name: 'asr_transcribe', arguments: { audio: url } },
    CallToolResultSchema,
    { onprogress: (p) => void notices.push({ at: Date.now(), message: p.message ?? '' }) },
  )) as ToolResult;
  const elapsedS = (Date.now() - started) / 1000;
  const plain = (await session.client.callTool({
    name: 'asr_transcribe',
    arguments: { audio: url },
  })) as ToolResult;

  expect(streamed.isError).toBeFalsy();
  expect(streamed.structuredContent!.text).toBe(TEXT);
  expect(plain.structuredContent!.text).toBe(TEXT);
  const partials = notices
    .map((n) => n.message)
    .filter((m) => /^transcribing \S+: /.test(m))
    .map((m) => m.replace(/^[^:]+: /, ''));
  // Coalesced, not one per chunk: at most two notices a second (plus the final one).
  expect(partials.length).toBeGreaterThanOrEqual(1);
  expect(notices.length).toBeLessThanOrEqual(Math.ceil(elapsedS * 2) + 2);
  // Each is the newest words so far (its last 500 characters).
  for (const partial of partials) expect(TEXT).toContain(partial.replace(/^…/, ''));
  // The same result with or without a progress token: same fields, same raw shape (ids and times aside).
  const shape = (r: ToolResult) => {
    const s = { ...r.structuredContent! } as Record<string, unknown>;
    const raw = { ...(s.raw as Record<string, unknown>), id: 'x', created: 0, usage: 'x' };
    return { ...s, raw, transcript_id: 'x', files: 'x', usage: 'x' };
  };
  expect(shape(streamed)).toEqual(shape(plain));
  const bodies = fake.requests
    .filter((r) => r.route === 'compatible')
    .map((r) => (r.json as { stream: boolean }).stream);
  expect(bodies).toEqual([true, false]);
});
