/**
 * End to end: the built server, spawned over stdio as a client would, driven by the SDK's Client
 * against the local fake. Nothing here reaches a real host.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { toolList } from '../../src/mcp/tools/index.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, type Session, TOOL_NAMES, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const baseEnv = () =>
  fake.env({
    HOME: home,
    OUTPUT_DIR: join(home, 'out'),
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
    ASR_PROGRESS_INTERVAL_S: '0.05',
  });
let session: Session;

beforeAll(async () => {
  await fake.start();
  session = await connect(baseEnv());
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
});

/** Every keyword used in a JSON schema (property names themselves are not keywords). */
function schemaKeywords(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(schemaKeywords);
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'properties'
      ? Object.values(value as object).flatMap(schemaKeywords)
      : [key, ...schemaKeywords(value)],
  );
}

const call = async (name: string, args: Record<string, unknown>, s = session) =>
  (await s.client.callTool({ name, arguments: args })) as ToolResult;

describe('tools over stdio', () => {
  it('lists six tools with portable, described inputs, an output schema and safety annotations', async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    // Only the JSON Schema subset every client library takes: no $schema, pattern, format or size bounds.
    expect(tools.flatMap((t) => schemaKeywords(t.inputSchema))).not.toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^(\$schema|pattern|format|minLength|maxLength|minItems|maxItems)$/),
      ]),
    );
    // The three tools of issue #11 together within 8,000 bytes; from then on every tool within 3,000.
    const core = tools.filter((t) =>
      ['asr_transcribe', 'asr_task_status', 'asr_read_transcript'].includes(t.name),
    );
    expect(Buffer.byteLength(JSON.stringify(core))).toBeLessThanOrEqual(8000);
    for (const tool of tools) {
      expect(Buffer.byteLength(JSON.stringify(tool)), tool.name).toBeLessThanOrEqual(3000);
      expect(tool.inputSchema.additionalProperties).toBe(false);
      expect(tool.annotations).toEqual(
        tool.name === 'asr_read_transcript' || tool.name === 'asr_list_tasks'
          ? { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
          : tool.name === 'asr_cancel_task'
            ? { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true }
            : { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      );
      expect(Object.keys(tool.outputSchema?.properties ?? {}).length).toBeGreaterThan(0);
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
    const transcribe = tools.find((t) => t.name === 'asr_transcribe')!;
    expect(transcribe.inputSchema.required).toEqual(['audio']);
    // The built server answers with the listing the build computed; it is what the sources compute.
    expect(tools).toEqual(JSON.parse(JSON.stringify(toolList())));
    expect(Object.keys(transcribe.inputSchema.properties!)).toEqual(
      expect.arrayContaining([
        'audio',
        'model',
        'language_hints',
        'sample_rate',
        'vocabulary_id',
        'disfluency_removal_enabled',
        'timestamp_granularities',
        'async',
      ]),
    );
  });

  it('still enforces the bounds it no longer publishes, with clear messages', async () => {
    const tooLong = await call('asr_transcribe', { audio: 'x'.repeat(5000) });
    expect(tooLong.isError).toBe(true);
    expect(tooLong.content[0]!.text).toMatch(/audio/);
    const badVocabulary = await call('asr_transcribe', {
      audio: fixture('speech.mp3'),
      vocabulary_id: 'a b',
    });
    expect(badVocabulary.isError).toBe(true);
    expect(badVocabulary.content[0]!.text).toMatch(/vocabulary_id has letters, digits/);
  });

  it('transcribes a short local file: a header and the transcript once, compact JSON, no links', async () => {
    const result = await call('asr_transcribe', { audio: fixture('speech.flac'), language_hints: ['en'] });
    expect(result.isError).toBeFalsy();
    const transcript = 'Welcome to Alibaba Cloud. This is a short test recording for speech recognition.';
    const [first, second, ...others] = result.content;
    expect(others).toEqual([]);
    const [header, ...body] = first!.text!.split('\n');
    expect(header).toMatch(
      /^SUCCEEDED · qwen3-asr-flash · en · 5\.7 s · task – · transcript \d{8}-\d{6}-speech-[0-9a-f]{6}$/,
    );
    expect(body.join('\n')).toBe(transcript);
    // Block 2: compact JSON, no text, no sentences; the service's short answer unmodified.
    expect(second!.text).not.toContain('\n');
    const json = JSON.parse(second!.text!);
    expect(json).not.toHaveProperty('text');
    expect(json).not.toHaveProperty('sentences');
    expect(json).toMatchObject({
      status: 'SUCCEEDED',
      model: 'qwen3-asr-flash',
      task_id: null,
      language: 'en',
    });
    expect(json.raw.object).toBe('chat.completion');
    // Outside raw, the transcript appears once in the whole content.
    const all = JSON.stringify(result.content);
    expect(all.split(transcript).length - 1).toBe(2);
    expect(JSON.stringify(json.raw).split(transcript).length - 1).toBe(1);
    expect(Buffer.byteLength(JSON.stringify(result.content))).toBeLessThanOrEqual(1500);
    expect(result.structuredContent).toMatchObject({ text: transcript, status: 'SUCCEEDED' });
    expect(existsSync(json.files.txt)).toBe(true);
  });

  it('adds transcript:// links only when ASR_RESOURCE_LINKS is on, and each link reads', async () => {
    const linked = await connect({ ...baseEnv(), ASR_RESOURCE_LINKS: 'true' });
    try {
      const result = await call('asr_transcribe', { audio: fixture('speech.flac') }, linked);
      const links = result.content.filter((c) => c.type === 'resource_link');
      expect(links.map((l) => l.mimeType).sort()).toEqual(['application/json', 'text/plain']);
      for (const link of links) {
        expect(link.uri).toMatch(/^transcript:\/\//);
        const read = await linked.client.readResource({ uri: link.uri! });
        expect((read.contents[0] as { text: string }).text).toContain('Welcome to Alibaba Cloud.');
      }
    } finally {
      await linked.close();
    }
  });

  it('runs a URL on filetrans with timestamps, sending ordered progress notifications', async () => {
    const url = fake.addMedia('talk.mp3', { durationS: 42, text: 'First sentence. Second sentence.' });
    const progress: { progress: number; message?: string }[] = [];
    fake.holdAll = true;
    const result = (await session.client.callTool(
      { name: 'asr_transcribe', arguments: { audio: url, timestamp_granularities: ['sentence'] } },
      CallToolResultSchema,
      {
        onprogress: (p) => {
          progress.push(p);
          // Held until the server reports it running, so the run stage is seen whatever the machine's load.
          if (/^running/.test(p.message ?? '')) for (const id of fake.tasks.keys()) fake.release(id);
        },
      },
    )) as ToolResult;
    fake.holdAll = false;
    expect(result.isError).toBeFalsy();
    const s = result.structuredContent!;
    expect(s.model).toBe('qwen3-asr-flash-filetrans');
    expect((s.sentences as unknown[]).length).toBe(2);
    const files = s.files as { srt: string; vtt: string };
    expect(readFileSync(files.srt, 'utf8').split('\n').slice(0, 3)).toEqual([
      '1',
      '00:00:00,000 --> 00:00:20,323',
      'First sentence.',
    ]);
    expect(
      readFileSync(files.vtt, 'utf8').startsWith(
        'WEBVTT\n\n00:00:00.000 --> 00:00:20.323\nFirst sentence.\n',
      ),
    ).toBe(true);
    // Order and content, not the clock. Notices are coalesced (at most one every 0.5 s), so quick
    // stages may be folded into the next; what is sent must come in stage order, and the running task
    // is named. The SDK client may drop the last one or two (they share a read with the response).
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    const messages = progress.map((p) => p.message ?? '');
    const stages = ['checking', 'submitting', 'queued', 'running', 'fetching', 'saving', 'done'];
    const ranks = messages.map((m) => stages.findIndex((st) => m.startsWith(st)));
    expect(
      ranks.every((r) => r >= 0),
      JSON.stringify(messages),
    ).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    const taskId = s.task_id as string;
    expect(
      messages.some((m) => new RegExp(`^running \\d+s · task ${taskId}$`).test(m)),
      JSON.stringify(messages),
    ).toBe(true);
    expect(progress.every((p) => p.progress >= 0 && p.progress <= 100)).toBe(true);
  });

  it('hands back a task id when the budget runs out, then asr_task_status completes it', async () => {
    fake.holdAll = true;
    const url = fake.addMedia('all-hands.mp3', { durationS: 3000, text: 'All hands.' });
    const first = await call('asr_transcribe', {
      audio: url,
      model: 'qwen3-asr-flash-filetrans',
      wait_seconds: 0.2,
    });
    fake.holdAll = false;
    expect(first.isError).toBeFalsy();
    const taskId = first.structuredContent!.task_id as string;
    expect(first.structuredContent).toMatchObject({ status: 'RUNNING', poll_after_s: 10 });
    expect(first.content[0]!.text).toMatch(
      new RegExp(`Call asr_task_status with task_id "${taskId}" and wait: true`),
    );
    fake.release(taskId);
    const done = await call('asr_task_status', { task_id: taskId, wait: true, wait_seconds: 10 });
    expect(done.structuredContent).toMatchObject({
      status: 'SUCCEEDED',
      text: 'All hands.',
      task_id: taskId,
    });
  });

  it('answers every bad input with a clear error and keeps serving', async () => {
    const notAudio = join(home, 'id_rsa');
    writeFileSync(notAudio, '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ audio: notAudio }, /is a PEM key or certificate, not an audio or video file\. Nothing was sent/],
      [{ audio: join(home, 'missing.wav') }, /No file at .*missing\.wav/],
      [{ audio: fixture('speech.mp3'), model: 'nova-2' }, /Unknown model "nova-2"/],
      [
        { audio: fixture('long-6min-vbr.mp3'), model: 'qwen3-asr-flash' },
        /over the qwen3-asr-flash limit of 5 min/,
      ],
      [{ audio: 42 }, /audio/],
      [{ audio: fixture('speech.mp3'), timestamp_granularities: ['paragraph'] }, /timestamp_granularities/],
    ];
    for (const [args, pattern] of cases) {
      const result = await call('asr_transcribe', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.content[0]!.text).toMatch(pattern);
    }
    expect(fake.requests.some((r) => JSON.stringify(r.json ?? '').includes('OPENSSH'))).toBe(false);
    const ok = await call('asr_transcribe', { audio: fixture('speech.ogg') });
    expect(ok.isError).toBeFalsy();
  });

  it('reports API failures as tool errors: 401 with the region hint, 5xx after retries', async () => {
    const wrongKey = await connect({ ...baseEnv(), DASHSCOPE_API_KEY: 'sk-not-the-right-key-000' });
    try {
      const result = await call('asr_transcribe', { audio: fixture('speech.mp3') }, wrongKey);
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/rejected the API key.*region-specific/s);
      expect(result.content[0]!.text).not.toContain('sk-not-the-right-key');
      expect(wrongKey.stderr()).not.toContain('sk-not-the-right-key');
    } finally {
      await wrongKey.close();
    }
    fake.inject(
      'compatible',
      { kind: 'status', status: 500, body: { code: 'InternalError', message: 'boom' } },
      10,
    );
    const failed = await call('asr_transcribe', { audio: fixture('speech.mp3') });
    fake.clearFaults();
    expect(failed.isError).toBe(true);
    expect(failed.content[0]!.text).toMatch(/internal error.*HTTP 500, code InternalError/s);
  });

  it('cancels a queued task on the service when the client cancels the call', async () => {
    const queued = new FakeDashScope({ queueMs: 60_000 });
    await queued.start();
    const s = await connect({ ...baseEnv(), ...queued.env() });
    try {
      const url = queued.addMedia('q.mp3', { durationS: 100 });
      const controller = new AbortController();
      const call = s.client.callTool(
        { name: 'asr_transcribe', arguments: { audio: url, model: 'qwen3-asr-flash-filetrans' } },
        CallToolResultSchema,
        {
          signal: controller.signal,
          onprogress: (p) => p.message?.startsWith('queued') && controller.abort(),
        },
      );
      await expect(call).rejects.toThrow();
      await expect.poll(() => queued.count('cancel'), { timeout: 5000 }).toBe(1);
      expect([...queued.tasks.values()][0]!.status).toBe('CANCELED');
      // The server is still there for the next call.
      expect((await s.client.listTools()).tools).toHaveLength(6);
    } finally {
      await s.close();
      await queued.stop();
    }
  });

  it('serves saved transcripts as resources (text, JSON, subtitles), and after a restart through asr_task_status', async () => {
    const url = fake.addMedia('standup.mp3', { durationS: 60, text: 'Standup notes. Second point.' });
    const done = await call('asr_transcribe', { audio: url, model: 'qwen3-asr-flash-filetrans' });
    const id = done.structuredContent!.transcript_id as string;
    const { resources } = await session.client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const suffix of ['', '.json', '.srt', '.vtt']) expect(uris).toContain(`transcript://${id}${suffix}`);
    const read = await session.client.readResource({ uri: `transcript://${id}` });
    expect(read.contents[0]).toMatchObject({ mimeType: 'text/plain', text: 'Standup notes. Second point.' });
    const json = await session.client.readResource({ uri: `transcript://${id}.json` });
    const parsed = JSON.parse((json.contents[0] as { text: string }).text);
    expect(parsed).toMatchObject({ transcript_id: id, text: 'Standup notes. Second point.' });
    expect(parsed).not.toHaveProperty('raw');
    const srt = await session.client.readResource({ uri: `transcript://${id}.srt` });
    expect((srt.contents[0] as { text: string }).text).toMatch(/^1\n00:00:00,000 --> /);
    await expect(
      session.client.readResource({ uri: 'transcript://20990101-000000-nothing-abcdef' }),
    ).rejects.toThrow(/No saved transcript/);

    const restarted = await connect(baseEnv());
    try {
      fake.tasks.delete(done.structuredContent!.task_id as string);
      const again = await call('asr_task_status', { task_id: done.structuredContent!.task_id }, restarted);
      expect(again.structuredContent).toMatchObject({
        status: 'SUCCEEDED',
        text: 'Standup notes. Second point.',
        transcript_id: id,
      });
    } finally {
      await restarted.close();
    }
  });

  it('cuts what does not fit the budget at a sentence and reads on with asr_read_transcript', async () => {
    const small = await connect({ ...baseEnv(), ASR_MAX_TEXT_CHARS: '200' });
    try {
      const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i}.`).join(' ');
      const url = fake.addMedia('long.mp3', { durationS: 400, text: long });
      const result = await call('asr_transcribe', { audio: url, timestamp_granularities: ['word'] }, small);
      const s = result.structuredContent!;
      const id = s.transcript_id as string;
      expect(s.text_truncated).toBe(true);
      expect((s.text as string).length).toBeLessThanOrEqual(200);
      expect(s.text as string).toMatch(/\.\s*$/);
      expect(s.text_total_chars).toBe(long.length);
      expect(result.content[0]!.text).toContain(
        `[Cut at character ${s.next_offset} of ${long.length}. Read on with asr_read_transcript {"transcript_id": "${id}", "offset": ${s.next_offset}}.]`,
      );
      // Page through the rest: the pages put back together are the whole transcript.
      let text = s.text as string;
      let offset = s.next_offset as number | undefined;
      while (offset !== undefined) {
        const next = await call('asr_read_transcript', { transcript_id: id, offset, max_tokens: 100 }, small);
        expect(next.isError).toBeFalsy();
        text += next.structuredContent!.text as string;
        offset = next.structuredContent!.next_offset as number | undefined;
      }
      expect(text).toBe(long);
      const byTask = await call('asr_read_transcript', { transcript_id: s.task_id, format: 'srt' }, small);
      expect(byTask.content[0]!.text).toMatch(/^1\n/);
      expect(readFileSync((s.files as { txt: string }).txt, 'utf8').trim()).toBe(long);
    } finally {
      await small.close();
    }
  });
});

describe('start-up', () => {
  it('starts with no key, lists tools, and each call explains how to set the key', async () => {
    const bare = await connect({ HOME: join(home, 'nobody'), OUTPUT_DIR: join(home, 'out2') });
    try {
      expect((await bare.client.listTools()).tools).toHaveLength(6);
      const result = await call('asr_transcribe', { audio: fixture('speech.mp3') }, bare);
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/No DashScope API key is configured.*DASHSCOPE_API_KEY/s);
      const status = await call('asr_task_status', { task_id: 'abc' }, bare);
      expect(status.content[0]!.text).toMatch(/No DashScope API key/);
    } finally {
      await bare.close();
    }
  });
});
