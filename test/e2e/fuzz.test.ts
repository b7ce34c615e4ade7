/**
 * Property-based: generated and adversarial arguments thrown at both tools through the real protocol.
 * Every call must end, within the test's time limit, in a well-formed tool result (validated against
 * the tool's output schema by the SDK client) or a well-formed JSON-RPC error, and the server must stay
 * up. `ASR_FUZZ_RUNS` raises the number of runs (default 200 in `npm test`).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

const RUNS = Number(process.env.ASR_FUZZ_RUNS) || 200;
const fake = new FakeDashScope({ runMs: 10 });
const home = tempDir();
let session: Session;
let mediaUrl = '';

beforeAll(async () => {
  await fake.start();
  mediaUrl = fake.addMedia('fuzz.mp3', { durationS: 30, text: 'Fuzzed.' });
  copyFileSync(fixture('speech.mp3'), join(home, 'speech.mp3'));
  session = await connect(
    fake.env({
      HOME: home,
      OUTPUT_DIR: join(home, 'out'),
      ASR_POLL_INTERVAL_MS: '10',
      ASR_POLL_MAX_INTERVAL_MS: '20',
      ASR_WAIT_BUDGET_S: '5',
    }),
  );
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
});

const adversarialAudio = () =>
  fc.constantFrom(
    '',
    ' ',
    '~/.ssh/id_rsa',
    '../../../../../../etc/passwd',
    '/etc/shadow',
    'file:///etc/passwd',
    'file://server/share/a.wav',
    'data:audio/wav;base64,UklGRg==',
    'ftp://example.invalid/a.mp3',
    'javascript:alert(1)',
    'oss://',
    'http://',
    'https://[::1',
    'a\u0000b.wav',
    '\\\\server\\share\\a.wav',
    'C:\\Windows\\win.ini',
    '/dev/zero',
    '/proc/self/environ',
    '.',
    '~',
    join(home, 'speech.mp3'),
    `${'x/'.repeat(2000)}a.wav`,
    mediaUrl,
    `${mediaUrl}?%00%ff`,
  );

const anything = () => fc.jsonValue({ maxDepth: 2 });
/** Mostly a valid value (so calls get through), sometimes an edge value, sometimes anything at all. */
const field = <T, E>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<E>) =>
  fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 1, arbitrary: edge },
    { weight: 1, arbitrary: anything() },
  );

const transcribeArgs = () =>
  fc.record(
    {
      audio: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(join(home, 'speech.mp3'), mediaUrl) },
        { weight: 3, arbitrary: adversarialAudio() },
        { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
        { weight: 1, arbitrary: anything() },
      ),
      model: field(
        fc.constantFrom(
          'qwen3-asr-flash',
          'qwen3-asr-flash-filetrans',
          'qwen-audio-asr',
          'fun-asr',
          'paraformer-8k-v2',
        ),
        fc.constantFrom('gpt-4o', '', ' ', 'qwen3-asr-flash-2099-99-99', 'x'.repeat(101)),
      ),
      language_hints: field(
        fc.array(fc.constantFrom('en', 'zh', 'ja', 'yue', 'xx'), { maxLength: 3 }),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 12 }),
      ),
      sample_rate: field(fc.constantFrom(8000, 16000, 44100, 48000), fc.integer({ min: -1e5, max: 2e5 })),
      vocabulary_id: field(fc.constant('vocab-fake-001'), fc.string({ maxLength: 250 })),
      disfluency_removal_enabled: field(fc.boolean(), fc.constant(null)),
      timestamp_granularities: field(
        fc.subarray(['sentence', 'word'] as const),
        fc.array(fc.constantFrom('sentence', 'word', 'char'), { maxLength: 3 }),
      ),
      async: field(fc.boolean(), fc.constant('yes')),
      context: field(fc.string({ maxLength: 100 }), fc.string({ minLength: 40_001, maxLength: 40_002 })),
      enable_itn: field(fc.boolean(), fc.constant(0)),
      channel_id: field(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 40 }),
      ),
      diarization_enabled: field(fc.boolean(), fc.constant('true')),
      speaker_count: field(fc.integer({ min: 2, max: 10 }), fc.integer({ min: -5, max: 200 })),
      wait: field(fc.boolean(), fc.constant(1)),
      wait_seconds: field(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: -10, max: 0, noNaN: true }),
      ),
      unexpected_key: anything(),
    },
    { requiredKeys: ['audio'] },
  );

const statusArgs = () =>
  fc.record(
    {
      task_id: fc.oneof(
        fc.string({ maxLength: 150 }),
        fc.uuid(),
        fc.constant('local-00000000-0000-0000-0000-000000000000'),
        anything(),
      ),
      wait: field(fc.boolean(), fc.constant('no')),
      wait_seconds: field(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: -10, max: 0, noNaN: true }),
      ),
    },
    { requiredKeys: [] },
  );

const outcomes = { results: 0, toolErrors: 0, protocolErrors: 0 };

async function callChecked(name: string, args: unknown): Promise<void> {
  try {
    const result = (await session.client.callTool({
      name,
      arguments: args as Record<string, unknown>,
    })) as ToolResult;
    expect(Array.isArray(result.content)).toBe(true);
    expect(result.content.length).toBeGreaterThan(0);
    if (result.isError) {
      outcomes.toolErrors++;
      if (process.env.FUZZ_DEBUG)
        process.stderr.write(
          `${JSON.stringify(args).slice(0, 200)} -> ${result.content[0]!.text!.slice(0, 200)}\n`,
        );
      expect(result.content[0]!.text!.length).toBeGreaterThan(10);
      expect(result.content[0]!.text).not.toMatch(/^Internal error/);
    } else {
      outcomes.results++;
      expect(['PENDING', 'RUNNING', 'SUCCEEDED']).toContain(result.structuredContent!.status);
    }
  } catch (err) {
    // A JSON-RPC error is well-formed too (e.g. arguments that are not an object at all).
    if (!(err instanceof McpError)) throw err;
    outcomes.protocolErrors++;
  }
}

it(`answers ${RUNS} generated calls with well-formed results or errors, and stays up`, async () => {
  const transcribeRuns = Math.ceil(RUNS * 0.75);
  await fc.assert(
    fc.asyncProperty(transcribeArgs(), (args) => callChecked('asr_transcribe', args)),
    { numRuns: transcribeRuns },
  );
  await fc.assert(
    fc.asyncProperty(statusArgs(), (args) => callChecked('asr_task_status', args)),
    { numRuns: RUNS - transcribeRuns },
  );
  await session.client.ping();
  const { tools } = await session.client.listTools();
  expect(tools).toHaveLength(6);
  process.stderr.write(`fuzz outcomes: ${JSON.stringify(outcomes)}\n`);
  expect(outcomes.results + outcomes.toolErrors + outcomes.protocolErrors).toBe(RUNS);
  // Some calls must get through and some must be refused, or the generators are not doing their job.
  expect(outcomes.results).toBeGreaterThan(0);
  expect(outcomes.toolErrors).toBeGreaterThan(0);
}, 180_000);
