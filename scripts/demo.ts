/**
 * `npm run demo`: the whole path with no key and no network. Starts the local fake DashScope, spawns
 * the real stdio server against it, and prints what an agent sees for one sync and one async call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { FakeDashScope } from '../dev/fake-dashscope/server.js';
import { connect, type ToolResult } from '../test/helpers/mcp.js';

const home = mkdtempSync(join(tmpdir(), 'qwen-asr-demo-'));
const fake = await new FakeDashScope({ queueMs: 300, runMs: 1500 }).start();
const session = await connect(
  fake.env({
    HOME: home,
    OUTPUT_DIR: join(home, 'output'),
    ASR_PROGRESS_INTERVAL_S: '0.5',
    ASR_POLL_INTERVAL_MS: '250',
  }),
);

function show(title: string, result: ToolResult) {
  console.log(`\n=== ${title} ===`);
  console.log(result.isError ? `ERROR: ${result.content[0]?.text}` : result.content[0]?.text);
  const s = result.structuredContent ?? {};
  console.log(`model=${s.model} status=${s.status} task_id=${s.task_id} duration_s=${s.duration_s}`);
  for (const w of (s.warnings as string[] | undefined) ?? []) console.log(`warning: ${w}`);
  for (const [kind, path] of Object.entries((s.files as Record<string, string>) ?? {}))
    console.log(`${kind}: ${path}`);
}

try {
  const { tools } = await session.client.listTools();
  console.log(`tools: ${tools.map((t) => t.name).join(', ')}`);
  const sample = join(import.meta.dirname, '..', 'test', 'fixtures', 'audio', 'speech.flac');
  show(
    'sync: a local FLAC with qwen3-asr-flash',
    (await session.client.callTool({ name: 'asr_transcribe', arguments: { audio: sample } })) as ToolResult,
  );

  const url = fake.addMedia('keynote.mp3', {
    durationS: 2700,
    text: 'Good morning everyone. Today we launch three new speech models. Questions are welcome at the end.',
  });
  console.log('\n=== async: a 45-minute recording by URL, with word timestamps ===');
  const result = (await session.client.callTool(
    { name: 'asr_transcribe', arguments: { audio: url, timestamp_granularities: ['word'] } },
    CallToolResultSchema,
    { onprogress: (p) => console.log(`  progress ${p.progress.toFixed(1)}%: ${p.message}`) },
  )) as ToolResult;
  show('async result', result);
} finally {
  await session.close();
  await fake.stop();
  rmSync(home, { recursive: true, force: true });
}
