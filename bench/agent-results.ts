/**
 * What an agent's model is handed: content bytes of a short and of a long transcript, progress notices
 * per streamed call, the largest resources/read reply of a long transcript with word timings, and the
 * size of tools/list. Measured through the built server over stdio, against the fake.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { FakeDashScope } from '../dev/fake-dashscope/server.js';

export interface AgentResults {
  short_content_bytes: number;
  short_words: number;
  long_text_chars: number;
  long_shown_chars: number;
  long_content_bytes: number;
  streamed_notices: number;
  streamed_seconds: number;
  /** Most notices in any one-second window [t, t + 1 s), the final one aside. */
  max_notices_in_1s: number;
  resource_words: number;
  largest_resource_reply_bytes: number;
  tools_list_bytes: number;
  /** asr_transcribe, asr_task_status and asr_read_transcript: the tools issue #11 held to 8,000 bytes. */
  core_tools_bytes: number;
  largest_tool_bytes: number;
}

type Spawn = (fake: FakeDashScope) => Promise<{ client: Client; close(): Promise<void> }>;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

export async function agentResults(
  spawn: Spawn,
  o: { longChars: number; resourceWords: number; streamWords: number },
  log: (s: string) => void,
): Promise<AgentResults> {
  const fake = new FakeDashScope({ runMs: 10, streamChunkMs: 15 });
  await fake.start();
  const s = await spawn(fake);
  try {
    const listed = await s.client.listTools();
    const short = fake.addMedia('short.mp3', { durationS: 2, text: 'Hello there friends.' });
    const shortResult = await s.client.callTool({ name: 'asr_transcribe', arguments: { audio: short } });

    const sentence = 'This is one sentence of a long recording, spoken clearly. ';
    const longText = sentence.repeat(Math.ceil(o.longChars / sentence.length)).trim();
    const long = fake.addMedia('long.mp3', { durationS: 120, text: longText });
    const longResult = await s.client.callTool({ name: 'asr_transcribe', arguments: { audio: long } });
    const shown = String((longResult.structuredContent as { text: string }).text).length;

    const streamText = Array.from({ length: o.streamWords }, (_, i) => `word${i}`).join(' ');
    const streamed = fake.addMedia('stream.mp3', { durationS: 60, text: streamText });
    const at: number[] = [];
    const t = performance.now();
    await s.client.callTool(
      { name: 'asr_transcribe', arguments: { audio: streamed } },
      CallToolResultSchema,
      {
        onprogress: (p) => {
          if (p.progress < 100) at.push(performance.now());
        },
      },
    );
    const notices = at.length;
    const maxIn1s = Math.max(
      0,
      ...at.map((start) => at.filter((x) => x >= start && x < start + 1000).length),
    );
    const seconds = (performance.now() - t) / 1000;

    const words = Array.from(
      { length: o.resourceWords / 10 },
      (_, i) => `Item ${i} of the meeting is now being discussed.`,
    );
    const meeting = fake.addMedia('meeting.mp3', { durationS: 3600, text: words.join(' ') });
    const timed = await s.client.callTool({
      name: 'asr_transcribe',
      arguments: { audio: meeting, timestamp_granularities: ['word'], wait_seconds: 60 },
    });
    const id = (timed.structuredContent as { transcript_id: string }).transcript_id;
    let largest = 0;
    let cursor: string | undefined;
    do {
      const page = await s.client.listResources(cursor ? { cursor } : {});
      for (const r of page.resources.filter((r) => r.uri.includes(id))) {
        const read = await s.client.readResource({ uri: r.uri });
        largest = Math.max(largest, bytes({ jsonrpc: '2.0', id: 1, result: read }));
      }
      cursor = page.nextCursor;
    } while (cursor);

    const r: AgentResults = {
      short_content_bytes: bytes(shortResult.content),
      short_words: 3,
      long_text_chars: longText.length,
      long_shown_chars: shown,
      long_content_bytes: bytes(longResult.content),
      streamed_notices: notices,
      streamed_seconds: round(seconds, 2),
      max_notices_in_1s: maxIn1s,
      resource_words: o.resourceWords,
      largest_resource_reply_bytes: largest,
      tools_list_bytes: bytes(listed),
      core_tools_bytes: bytes(
        listed.tools.filter((t) =>
          ['asr_transcribe', 'asr_task_status', 'asr_read_transcript'].includes(t.name),
        ),
      ),
      largest_tool_bytes: Math.max(...listed.tools.map((tool) => bytes(tool))),
    };
    log(
      `agent results: short ${r.short_content_bytes} B, long ${r.long_content_bytes} B for ${r.long_shown_chars} chars shown, ` +
        `${r.streamed_notices} notices in ${r.streamed_seconds} s, largest resource reply ${r.largest_resource_reply_bytes} B, tools/list ${r.tools_list_bytes} B`,
    );
    return r;
  } finally {
    await s.close();
    await fake.stop();
  }
}
