/**
 * `npm run test:live`: a short real pass against DashScope for the configured region, when
 * DASHSCOPE_API_KEY is set. Not part of `npm test` (it costs a little and needs the network): run it by
 * hand before a release. Prints a table of what passed, with timings and request ids; exits 1 when a
 * check failed. Without a key it says so and exits 0.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../src/config/config.js';
import { regionOffers, uploadTargetFor } from '../src/config/regions.js';
import { dashscopeHttp } from '../src/dashscope/http.js';
import type { TranscribeRequest } from '../src/domain/request.js';
import type { TranscriptionResult } from '../src/domain/result.js';
import { OutputDirs } from '../src/store/paths.js';
import { TaskStore } from '../src/store/tasks.js';
import { TranscriptStore } from '../src/store/transcripts.js';
import { TranscriptionService } from '../src/transcription/service.js';
import { errorMessage } from '../src/util/errors.js';
import { createLogger } from '../src/util/log.js';

/** The public sample recording from the spec page (Beijing examples in the official docs). */
const SAMPLE_URL =
  process.env.LIVE_CHECK_SAMPLE_URL || 'https://dashscope.oss-cn-beijing.aliyuncs.com/audios/welcome.mp3';
const CLIP = join(import.meta.dirname, '..', 'test', 'fixtures', 'audio', 'speech-16k-mono.wav');

interface Row {
  check: string;
  outcome: 'pass' | 'FAIL' | 'skip';
  seconds?: number;
  requestIds?: string;
  note: string;
}

function requestIds(raw: unknown): string {
  const ids = new Set<string>();
  const walk = (v: unknown, depth: number) => {
    if (!v || typeof v !== 'object' || depth > 3) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'request_id' || k === 'id') && typeof x === 'string') ids.add(x);
      else walk(x, depth + 1);
    }
  };
  walk(raw, 0);
  return [...ids].join(' ');
}

function service(config: Config): TranscriptionService {
  const logger = createLogger('error');
  const dirs = new OutputDirs(config.outputDir, config.env, config.home, logger);
  return new TranscriptionService({
    config,
    logger,
    dirs,
    tasks: new TaskStore(dirs),
    transcripts: new TranscriptStore(dirs),
    http: dashscopeHttp(config, logger),
  });
}

async function main(): Promise<number> {
  if (!process.env.DASHSCOPE_API_KEY?.trim()) {
    console.log('live check skipped: DASHSCOPE_API_KEY is not set');
    return 0;
  }
  const env = {
    ...process.env,
    OUTPUT_DIR: process.env.OUTPUT_DIR || mkdtempSync(join(tmpdir(), 'qwen-asr-live-')),
  };
  const config = loadConfig(env);
  const region = config.region;
  const rows: Row[] = [];
  let svc = service(config);

  async function check(
    name: string,
    run: () => Promise<TranscriptionResult>,
    verify: (r: TranscriptionResult) => string | undefined,
  ): Promise<TranscriptionResult | undefined> {
    const started = Date.now();
    try {
      const result = await run();
      const problem = verify(result);
      rows.push({
        check: name,
        outcome: problem ? 'FAIL' : 'pass',
        seconds: (Date.now() - started) / 1000,
        requestIds: requestIds(result.raw),
        note: problem ?? `${result.model}: "${result.text.slice(0, 40)}"`,
      });
      return result;
    } catch (err) {
      rows.push({
        check: name,
        outcome: 'FAIL',
        seconds: (Date.now() - started) / 1000,
        note: errorMessage(err),
      });
      return undefined;
    }
  }
  const skip = (name: string, note: string) => rows.push({ check: name, outcome: 'skip', note });
  const hasText = (r: TranscriptionResult) =>
    r.status === 'SUCCEEDED' && r.text ? undefined : `status ${r.status}, no text`;
  const transcribe = (req: TranscribeRequest) => svc.transcribe({ wait_seconds: 600, ...req });
  const offers = (model: string) => regionOffers(region, model);

  await check('local clip (sync default)', () => transcribe({ audio: CLIP }), hasText);
  await check('public sample URL', () => transcribe({ audio: SAMPLE_URL }), hasText);
  if (offers('qwen3-asr-flash-filetrans')) {
    await check(
      'filetrans with word timestamps',
      () =>
        transcribe({
          audio: SAMPLE_URL,
          model: 'qwen3-asr-flash-filetrans',
          timestamp_granularities: ['word'],
        }),
      (r) => hasText(r) ?? (r.sentences?.some((s) => s.words?.length) ? undefined : 'no word timestamps'),
    );
  } else skip('filetrans with word timestamps', `region ${region} offers no async model`);
  if (offers('qwen-audio-3.1-asr-flash')) {
    await check(
      'qwen-audio-3.1-asr-flash (sync)',
      () => transcribe({ audio: SAMPLE_URL, model: 'qwen-audio-3.1-asr-flash' }),
      hasText,
    );
  } else skip('qwen-audio-3.1-asr-flash (sync)', `not offered in ${region}`);
  if (offers('qwen-audio-3.0-asr-flash-filetrans')) {
    await check(
      'speaker labels (routed)',
      () => transcribe({ audio: SAMPLE_URL, diarization_enabled: true }),
      (r) =>
        hasText(r) ?? (r.sentences?.some((s) => s.speaker_id !== undefined) ? undefined : 'no speaker_id'),
    );
  } else skip('speaker labels (routed)', `region ${region} offers no speaker labels`);
  if (offers('qwen3-asr-flash-filetrans')) {
    const submitted = await check(
      'submit, then restart',
      () => transcribe({ audio: SAMPLE_URL, model: 'qwen3-asr-flash-filetrans', wait: false }),
      (r) => (r.task_id ? undefined : 'no task id'),
    );
    if (submitted?.task_id) {
      await svc.close();
      svc = service(loadConfig(env)); // a fresh instance: only the task store and the service remember it
      const taskId = submitted.task_id;
      await check(
        'status after a restart',
        () => svc.taskStatus({ task_id: taskId, wait: true, wait_seconds: 600 }),
        hasText,
      );
    }
  } else skip('status after a restart', `region ${region} offers no async model`);
  if (!process.env.ASR_BUCKET) skip('own bucket upload', 'ASR_BUCKET is not set');
  else if (uploadTargetFor(config) !== 'bucket')
    skip('own bucket upload', 'the bucket feature is not merged yet');
  else if (!offers('qwen3-asr-flash-filetrans'))
    skip('own bucket upload', `region ${region} offers no async model`);
  else await check('own bucket upload', () => transcribe({ audio: CLIP, async: true }), hasText);
  await svc.close();

  const header: Row = { check: 'check', outcome: 'pass', note: 'note' };
  const cells = (r: Row) => [
    r.check,
    r === header ? 'result' : r.outcome,
    r === header ? 'seconds' : r.seconds === undefined ? '' : r.seconds.toFixed(1),
    r === header ? 'request ids' : (r.requestIds ?? ''),
    r.note,
  ];
  const all = [header, ...rows].map(cells);
  const widths = all[0]!.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  console.log(`live check against region ${region} (${config.nativeBaseUrl})`);
  for (const c of all)
    console.log(
      c
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  const failed = rows.filter((r) => r.outcome === 'FAIL').length;
  console.log(failed ? `${failed} check(s) failed` : 'all checks passed or were skipped');
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`live check: ${errorMessage(err)}`);
    process.exitCode = 1;
  },
);
