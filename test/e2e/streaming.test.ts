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

const TEXT = 'Good morning and welcome to the weekly planning call for the speech team.';

it('sends partial text as progress messages, then the same text as a plain call', async () => {
  const url = fake.addMedia('call.mp3', { durationS: 40, text: TEXT });
  const messages: string[] = [];
  const streamed = (await session.client.callTool(
    { name: 'asr_transcribe', arguments: { audio: url } },
    CallToolResultSchema,
    { onprogress: (p) => void messages.push(p.message ?? '') },
  )) as ToolResult;
  const plain = (await session.client.callTool({
    name: 'asr_transcribe',
    arguments: { audio: url },
  })) as ToolResult;

  expect(streamed.isError).toBeFalsy();
  expect(streamed.structuredContent!.text).toBe(TEXT);
  expect(plain.structuredContent!.text).toBe(TEXT);
  const partials = messages
    .filter((m) => /^transcribing \S+: /.test(m))
    .map((m) => m.replace(/^[^:]+: /, ''));
  expect(partials.length).toBeGreaterThan(5);
  expect(partials[0]).toBe('Good ');
  for (let i = 1; i < partials.length; i++) expect(partials[i]!.startsWith(partials[i - 1]!)).toBe(true);
  const bodies = fake.requests
    .filter((r) => r.route === 'compatible')
    .map((r) => (r.json as { stream: boolean }).stream);
  expect(bodies).toEqual([true, false]);
});
