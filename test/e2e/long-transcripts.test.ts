/**
 * Long transcripts over the protocol: a 30,000-word transcript with word timings is readable whole,
 * as resources no reply of which passes 1 MiB (JSON parts each valid JSON), and page by page through
 * asr_read_transcript, never over the result budget.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { estimateTokens } from '../../src/format/tokens.js';
import { tempDir } from '../helpers/env.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
let session: Session;
const WORDS = 30_000;
const TEXT = Array.from(
  { length: WORDS / 10 },
  (_, i) => `Item ${i} of the long meeting is now being discussed.`,
).join(' ');
const MiB = 1024 * 1024;

beforeAll(async () => {
  await fake.start();
  session = await connect(
    fake.env({
      HOME: home,
      OUTPUT_DIR: join(home, 'out'),
      ASR_POLL_INTERVAL_MS: '20',
      ASR_POLL_MAX_INTERVAL_MS: '50',
    }),
  );
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
});

it('serves a 30,000-word transcript with word timings in pages and parts that all fit', async () => {
  const url = fake.addMedia('meeting.mp3', { durationS: 3 * 3600, text: TEXT });
  const result = (await session.client.callTool({
    name: 'asr_transcribe',
    arguments: { audio: url, timestamp_granularities: ['word'], wait_seconds: 30 },
  })) as ToolResult;
  expect(result.isError).toBeFalsy();
  const s = result.structuredContent!;
  const id = s.transcript_id as string;
  expect(estimateTokens(JSON.stringify(result.content))).toBeLessThanOrEqual(10_000);
  expect(estimateTokens(JSON.stringify(s))).toBeLessThanOrEqual(10_000);
  expect(s.text_truncated).toBe(true);

  // Resources: every listed part of every format reads in a reply under 1 MiB.
  const listed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await session.client.listResources(cursor ? { cursor } : {});
    listed.push(...page.resources.map((r) => r.uri).filter((u) => u.includes(id)));
    cursor = page.nextCursor;
  } while (cursor);
  const jsonParts = listed.filter((u) => u.includes('.json?part='));
  expect(jsonParts.length).toBeGreaterThan(1);
  const sentenceCount: number[] = [];
  for (const uri of listed) {
    const read = await session.client.readResource({ uri });
    const reply = JSON.stringify({ jsonrpc: '2.0', id: 99, result: read });
    expect(Buffer.byteLength(reply), uri).toBeLessThanOrEqual(MiB);
    if (uri.includes('.json')) {
      const part = JSON.parse((read.contents[0] as { text: string }).text);
      expect(part.parts).toBe(jsonParts.length);
      sentenceCount.push(part.sentences.length);
    }
  }
  expect(sentenceCount.reduce((a, b) => a + b, 0)).toBe(WORDS / 10);
  await expect(session.client.readResource({ uri: `transcript://${id}.json` })).rejects.toThrow(
    /parts of up to 1 MiB/,
  );

  // Paging: the whole text back, every page within the budget.
  let text = '';
  let offset: number | undefined = 0;
  let pages = 0;
  while (offset !== undefined) {
    const page = (await session.client.callTool({
      name: 'asr_read_transcript',
      arguments: { transcript_id: id, offset },
    })) as ToolResult;
    expect(page.isError).toBeFalsy();
    expect(estimateTokens(JSON.stringify(page.content))).toBeLessThanOrEqual(10_000);
    expect(estimateTokens(JSON.stringify(page.structuredContent))).toBeLessThanOrEqual(10_000);
    text += page.structuredContent!.text as string;
    offset = page.structuredContent!.next_offset as number | undefined;
    pages++;
  }
  expect(text).toBe(TEXT);
  expect(pages).toBeGreaterThan(3);
  const json = (await session.client.callTool({
    name: 'asr_read_transcript',
    arguments: { transcript_id: id, format: 'json', max_tokens: 2000 },
  })) as ToolResult;
  expect(estimateTokens(JSON.stringify(json.structuredContent))).toBeLessThanOrEqual(2000);
  expect(json.structuredContent!.next_offset).toBeGreaterThan(0);
  const refused = (await session.client.callTool({
    name: 'asr_read_transcript',
    arguments: { transcript_id: id, max_tokens: 50_000 },
  })) as ToolResult;
  expect(refused.isError).toBe(true);
  expect(refused.content[0]!.text).toMatch(/over this server's result budget of 10000 tokens/);
});
