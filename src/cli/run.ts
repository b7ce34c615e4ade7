/**
 * `qwen-asr-mcp transcribe …` and `qwen-asr-mcp status TASK_ID`: the same service as the MCP tools,
 * with the transcript on stdout (or in --output), progress and warnings on stderr, and exit codes a
 * script can branch on.
 */

import { join } from 'node:path';
import { FileAccess } from '../audio/access.js';
import { loadConfig } from '../config/config.js';
import { AsrError, CancelledError, describeError, InputError } from '../domain/errors.js';
import type { ProgressEvent } from '../domain/progress.js';
import type { TranscriptionResult } from '../domain/result.js';
import { ProgressReporter } from '../format/progress.js';
import { toSrt, toVtt } from '../format/subtitles.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { BatchView } from '../transcription/batch.js';
import { createService } from '../transcription/create.js';
import type { TranscriptionService } from '../transcription/service.js';
import { createLogger } from '../util/log.js';
import { scrub } from '../util/secrets.js';
import {
  type CommonOptions,
  parseStatus,
  parseTranscribe,
  type StatusCommand,
  type TranscribeCommand,
  UsageError,
} from './args.js';
import { ProgressBar } from './progress-bar.js';

const EXIT = { done: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const TRANSCRIBE_HELP = `Usage: qwen-asr-mcp transcribe --audio PATH_OR_URL [--audio …] [options]
       qwen-asr-mcp transcribe --folder DIR [--pattern GLOB] [--recursive] [options]

Transcribes one recording with Alibaba Cloud Qwen ASR (or paraformer / fun-asr) and prints the
transcript on stdout. Progress and warnings go to stderr. Transcripts are also saved under OUTPUT_DIR,
as the MCP server saves them.

  -a, --audio PATH_OR_URL           local file (also ~/..., file://...) or http(s)/oss:// URL
                                    (also positional); repeat it for several recordings
      --folder DIR                  every recording in DIR (default: audio and video extensions)
      --pattern GLOB                which files of --folder: * ? ** {a,b}, e.g. '*.{mp3,wav}'
      --recursive                   include the folders inside DIR
      --force                       several recordings: transcribe again even those done before
                                    (by default a file or URL already transcribed with the same
                                    options is reused; ASR_BATCH_CONCURRENCY run at once, default 4)
  -m, --model NAME                  qwen3-asr-flash (default), qwen3-asr-flash-filetrans, qwen-audio-asr,
                                    qwen-audio-3.1-asr-flash, qwen-audio-3.0-asr-flash (-filetrans too),
                                    fun-asr-flash-2026-06-15, paraformer-v2, paraformer-8k-v2, fun-asr, fun-asr-mtl
  -l, --language-hints zh,en        language codes (Qwen models use one; paraformer/fun-asr all)
      --vocabulary-id ID            hot-word vocabulary (paraformer/fun-asr)
      --disfluency-removal-enabled  drop filler words (paraformer/fun-asr)
      --diarization-enabled         label speakers (default model then qwen-audio-3.0-asr-flash-filetrans)
      --speaker-count N             expected speakers, 2-100 (implies --diarization-enabled)
      --timestamp-granularities sentence,word
                                    timed sentences/words (async models)
      --timestamp-alignment-enabled more precise timestamps (paraformer/fun-asr)
      --channel-id 0,1              audio channels to transcribe (async models)
      --context TEXT                names and terms that bias recognition (qwen3-asr-flash)
      --enable-itn                  write numbers as digits (Qwen models)
      --mask-sensitive-words true|false
                                    false: no *** masking (3.x filetrans, fun-asr, paraformer)
      --sample-rate HZ              not sent; picks the 8 kHz/16 kHz paraformer model in warnings
      --async                       run as an async task; without --wait, print the task id and exit
      --wait                        with --async: wait for the transcript
      --max-wait DURATION           longest wait for an async task (default 12h; e.g. 90s, 15m, 2h)
  -f, --format text|json|srt|vtt    output format (default text; srt/vtt ask for sentence timestamps)
  -o, --output FILE                 write the output to FILE instead of stdout
      --print-response              also print the API's raw JSON responses on stdout
  -q, --quiet                       no progress or warnings on stderr
  -h, --help                        this help

Exit codes: 0 done (or task submitted with --async), 1 API, task or configuration failure,
2 usage error (bad flag, missing or unreadable file, unsupported input), 130 interrupted (Ctrl-C
stops the upload or cancels a task that is still queued).

Needs DASHSCOPE_API_KEY (or another key source listed in the README).
`;

const STATUS_HELP = `Usage: qwen-asr-mcp status TASK_ID [--wait] [options]

Reports an async task started by transcribe (or by the MCP tool) and prints its transcript once it
has SUCCEEDED. Saved transcripts are answered from OUTPUT_DIR even after the API forgets the task.

      --wait                        wait until the task ends (up to --max-wait)
      --max-wait DURATION           default 12h
  -f, --format text|json|srt|vtt    output format (default text)
  -o, --output FILE                 write the output to FILE instead of stdout
      --print-response              also print the API's raw JSON responses on stdout
  -q, --quiet                       no progress on stderr
  -h, --help                        this help

Exit codes: 0 reported (finished, or still running without --wait), 1 task failed or API error,
2 usage error, 130 interrupted.
`;

interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let parsed: TranscribeCommand | StatusCommand | 'help';
  try {
    parsed = command === 'transcribe' ? parseTranscribe(rest) : parseStatus(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(
      `qwen-asr-mcp ${command}: ${err.message}\nRun qwen-asr-mcp ${command} --help for usage.\n`,
    );
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.stdout.write(command === 'transcribe' ? TRANSCRIBE_HELP : STATUS_HELP);
    return EXIT.done;
  }
  return execute(parsed, io);
}

async function execute(cmd: TranscribeCommand | StatusCommand, io: CliIo): Promise<number> {
  const say = (line: string) => {
    if (!cmd.quiet) io.stderr.write(`${line}\n`);
  };
  // Only warnings and errors of the service's own log reach the terminal; progress has its bar.
  const logger = createLogger(cmd.quiet ? 'error' : 'warn', (line) => void io.stderr.write(line));
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env ?? process.env);
  } catch (err) {
    io.stderr.write(`qwen-asr-mcp: ${scrub(describeError(err))}\n`);
    return EXIT.failed;
  }
  // The user typed the path, so the command line reads what they name, unless ASR_ALLOWED_DIRS says otherwise.
  const access = new FileAccess({
    home: config.home,
    cwd: config.cwd,
    allowedDirs: config.allowedDirs,
    unrestricted: true,
  });
  const { service, dirs } = createService(config, { logger, access });
  const bar = new ProgressBar(io.stderr);
  const reporter = cmd.quiet
    ? undefined
    : new ProgressReporter((n) => void bar.show(n), 5000, Date.now, { windowMs: 0, firstNoticeMs: 0 });
  const ctx = { signal: io.signal, onProgress: reporter && ((e: ProgressEvent) => reporter.update(e)) };
  try {
    let result: TranscriptionResult;
    if (cmd.command === 'transcribe' && cmd.batch) {
      const { audio: _first, ...options } = cmd.request;
      const batch = await service.transcribeBatch({ ...cmd.batch, options, wait_seconds: cmd.maxWait }, ctx);
      reporter?.stop();
      bar.finish();
      return await reportBatch(cmd, batch, service, io, say, dirs.get().batches);
    }
    if (cmd.command === 'status' && service.isBatchId(cmd.taskId)) {
      const batch = await service.batchStatus(
        { task_id: cmd.taskId, wait: cmd.wait, wait_seconds: cmd.wait ? cmd.maxWait : 0 },
        ctx,
      );
      reporter?.stop();
      bar.finish();
      return await reportBatch(cmd, batch, service, io, say, dirs.get().batches);
    }
    if (cmd.command === 'transcribe') {
      result = await service.transcribe(
        { ...cmd.request, wait: !cmd.submitOnly, wait_seconds: cmd.maxWait },
        ctx,
      );
    } else {
      result = await service.taskStatus(
        { task_id: cmd.taskId, wait: cmd.wait, wait_seconds: cmd.wait ? cmd.maxWait : 0 },
        ctx,
      );
    }
    reporter?.stop();
    bar.finish();
    for (const w of result.warnings) say(`warning: ${w}`);
    return await report(cmd, result, io, say);
  } catch (err) {
    reporter?.stop();
    bar.finish();
    if (err instanceof CancelledError || io.signal.aborted) {
      io.stderr.write(`qwen-asr-mcp: interrupted. ${err instanceof CancelledError ? err.message : ''}\n`);
      return EXIT.interrupted;
    }
    io.stderr.write(`qwen-asr-mcp: ${scrub(describeError(err))}\n`);
    if (err instanceof InputError) return EXIT.usage;
    if (!(err instanceof AsrError)) io.stderr.write('(an internal error: please report it)\n');
    return EXIT.failed;
  } finally {
    await service.close().catch(() => {});
  }
}

async function report(
  cmd: TranscribeCommand | StatusCommand,
  result: TranscriptionResult,
  io: CliIo,
  say: (line: string) => void,
): Promise<number> {
  const unfinished = result.status === 'PENDING' || result.status === 'RUNNING';
  if (unfinished) {
    const submittedOnly = cmd.command === 'transcribe' ? cmd.submitOnly : !cmd.wait;
    // The id alone on stdout, so `id=$(qwen-asr-mcp transcribe --async …)` works.
    io.stdout.write(`${result.task_id}\n`);
    if (cmd.printResponse) io.stdout.write(`${scrub(JSON.stringify(result.raw, null, 2))}\n`);
    say(
      `${result.status}${result.progress ? ` (${result.progress})` : ''}: follow it with: qwen-asr-mcp status ${result.task_id} --wait`,
    );
    if (submittedOnly) return EXIT.done;
    io.stderr.write(
      `qwen-asr-mcp: task ${result.task_id} is still ${result.status} after --max-wait ${cmd.maxWait} s.\n`,
    );
    return EXIT.failed;
  }
  const output = scrub(render(cmd, result));
  if (cmd.output) {
    await writeFileAtomic(cmd.output, output);
    say(`wrote ${cmd.output}`);
  } else {
    io.stdout.write(output);
  }
  if (cmd.printResponse) io.stdout.write(`${scrub(JSON.stringify(result.raw, null, 2))}\n`);
  if (result.files) say(`saved: ${Object.values(result.files).filter(Boolean).join(', ')}`);
  return EXIT.done;
}

/** Every file's transcript (text: under a `==> file <==` line; json: one document), then a summary. */
async function reportBatch(
  cmd: TranscribeCommand | StatusCommand,
  batch: BatchView,
  service: TranscriptionService,
  io: CliIo,
  say: (line: string) => void,
  indexDir: string,
): Promise<number> {
  const texts: (string | undefined)[] = [];
  for (const item of batch.items) {
    const saved = item.transcript_id ? await service.savedTranscript(item.transcript_id) : undefined;
    texts.push(saved?.text);
  }
  let output: string;
  if (cmd.format === 'json') {
    const items = batch.items.map((item, i) => ({ ...item, text: texts[i] ?? null }));
    output = `${JSON.stringify({ ...batch, items }, null, 2)}\n`;
  } else {
    output = batch.items
      .map((item, i) => {
        const body = texts[i] ?? `(${item.status}${item.error ? `: ${item.error}` : ''})`;
        return `==> ${item.audio} <==\n${body}\n`;
      })
      .join('\n');
  }
  output = scrub(output);
  if (cmd.output) {
    await writeFileAtomic(cmd.output, output);
    say(`wrote ${cmd.output}`);
  } else {
    io.stdout.write(output);
  }
  const count = (s: string) => batch.items.filter((i) => i.status === s).length;
  const reused = batch.items.filter((i) => i.reused).length;
  say(
    `batch ${batch.batch_id} ${batch.status}: ${count('SUCCEEDED')} of ${batch.items.length} transcribed (${reused} reused), ${count('FAILED')} failed; index: ${join(indexDir, `${batch.batch_id}.csv`)}`,
  );
  if (batch.status === 'PENDING' || batch.status === 'RUNNING') {
    io.stderr.write(
      `qwen-asr-mcp: batch ${batch.batch_id} is still ${batch.status} after --max-wait ${cmd.maxWait} s; follow it with: qwen-asr-mcp status ${batch.batch_id} --wait\n`,
    );
    return EXIT.failed;
  }
  return count('SUCCEEDED') === batch.items.length ? EXIT.done : EXIT.failed;
}

function render(cmd: CommonOptions, result: TranscriptionResult): string {
  switch (cmd.format) {
    case 'text':
      return `${result.text}\n`;
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`;
    case 'srt':
    case 'vtt': {
      const sentences = result.sentences ?? [];
      if (sentences.length === 0) {
        throw new InputError(
          `This result has no timed sentences, so there are no ${cmd.format.toUpperCase()} subtitles (model ${result.model}).`,
          { hint: 'Use --format text or json, or an async model.' },
        );
      }
      return cmd.format === 'srt' ? toSrt(sentences) : toVtt(sentences);
    }
  }
}

/** One command from the process's own argv; the first Ctrl-C cancels it cleanly, a second one exits at once. */
export async function runCommand(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\ninterrupting (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await runCli(argv, { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
