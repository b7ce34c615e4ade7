/**
 * The command line end to end: the built binary, spawned as a user or script would run it, against
 * the local fake. Checks stdout/stderr separation, output files and every documented exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { SERVER_ENTRY } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
const out = join(home, 'out');
beforeAll(() => fake.start());
afterAll(() => fake.stop());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [SERVER_ENTRY, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...fake.env({
        HOME: home,
        OUTPUT_DIR: out,
        ASR_POLL_INTERVAL_MS: '20',
        ASR_POLL_MAX_INTERVAL_MS: '50',
      }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const run = (args: string[], env?: Record<string, string>) => start(args, env).done;

describe('qwen-asr-mcp transcribe / status', () => {
  it('documents every flag in --help, and the top-level help lists the subcommands', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/transcribe --audio FILE/);
    expect(top.stdout).toMatch(/status TASK_ID/);
    const help = await run(['transcribe', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--audio',
      '--model',
      '--language-hints',
      '--vocabulary-id',
      '--disfluency-removal-enabled',
      '--timestamp-granularities',
      '--async',
      '--wait',
      '--max-wait',
      '--output',
      '--format',
      '--print-response',
      '--diarization-enabled',
      '--speaker-count',
      '--mask-sensitive-words',
    ])
      expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/130 interrupted/);
    const status = await run(['status', '--help']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/--wait/);
  });

  it('exits 2 on usage errors, naming what was wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['transcribe', '--bogus'], /Unknown option '--bogus'/],
      [['transcribe'], /Pass --audio/],
      [['transcribe', '--audio', 'a.wav', '--format', 'docx'], /--format must be text, json, srt or vtt/],
      [
        ['transcribe', '--audio', 'a.wav', '--speaker-count', '1'],
        /--speaker-count must be a whole number from 2/,
      ],
      [['transcribe', '--audio', 'a.wav', '--max-wait', 'soon'], /--max-wait takes seconds/],
      [
        ['transcribe', '--audio', 'a.wav', '--mask-sensitive-words', 'no'],
        /--mask-sensitive-words takes true or false/,
      ],
      [['transcribe', '--audio', join(home, 'missing.wav')], /No file at .*missing\.wav/],
      [['status'], /exactly one TASK_ID/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('prints the transcript of a local file on stdout, progress on stderr, and saves it to OUTPUT_DIR', async () => {
    const r = await run(['transcribe', fixture('speech-16k-mono.wav')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Welcome to Alibaba Cloud. This is a short test recording for speech recognition.\n',
    );
    expect(r.stderr).toMatch(/checking the audio/);
    const saved = /saved: (\S+\.json)/.exec(r.stderr)![1]!;
    expect(saved.startsWith(join(out, 'ai-audio-asr', 'transcripts'))).toBe(true);
    expect(JSON.parse(readFileSync(saved, 'utf8')).text).toBe(r.stdout.trim());
  });

  it('writes --output in the chosen format: JSON, and SRT (which asks for timestamps)', async () => {
    const json = join(home, 'result.json');
    const r = await run(['transcribe', '--audio', fixture('speech.mp3'), '-f', 'json', '-o', json, '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({
      status: 'SUCCEEDED',
      model: 'qwen3-asr-flash',
    });

    const url = fake.addMedia('lecture.mp3', { durationS: 30, text: 'First part. Second part.' });
    const srt = join(home, 'lecture.srt');
    const s = await run(['transcribe', '--audio', url, '--format', 'srt', '--output', srt]);
    expect(s.code).toBe(0);
    expect(readFileSync(srt, 'utf8')).toMatch(/^1\n00:00:00,000 --> 00:00:\d\d,\d{3}\nFirst part\.\n\n2\n/);
    expect(s.stderr).toMatch(/ran on qwen3-asr-flash-filetrans/);
  });

  it('speaker labels in VTT with fun-asr', async () => {
    const url = fake.addMedia('panel.wav', { durationS: 10, text: 'Hi there. Hello. How are you?' });
    const r = await run([
      'transcribe',
      '--audio',
      url,
      '--model',
      'fun-asr',
      '--speaker-count',
      '2',
      '-f',
      'vtt',
      '-q',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WEBVTT\n\n00:00:00\.000 --> /);
    expect(r.stdout).toContain('[speaker 1] Hello.');
  });

  it('--async prints the task id and exits 0; status --wait prints the transcript', async () => {
    const url = fake.addMedia('async.mp3', { durationS: 600, text: 'Async transcript.' });
    const submitted = await run(['transcribe', '--audio', url, '--async']);
    expect(submitted.code).toBe(0);
    const taskId = submitted.stdout.trim();
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(submitted.stderr).toContain(`qwen-asr-mcp status ${taskId} --wait`);
    const status = await run(['status', taskId, '--wait', '--print-response']);
    expect(status.code).toBe(0);
    const [text, ...rawLines] = status.stdout.split('\n');
    expect(text).toBe('Async transcript.');
    expect(JSON.parse(rawLines.join('\n'))).toHaveProperty('transcription.transcripts');
  });

  it('exits 1 when the task fails or no key is configured', async () => {
    const failed = await run(['transcribe', '--audio', `${fake.url}/media/gone.mp3`, '--async', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/FILE_DOWNLOAD_FAILED/);
    const nokey = await run(['transcribe', '--audio', fixture('speech.mp3')], { DASHSCOPE_API_KEY: '' });
    expect(nokey.code).toBe(1);
    expect(nokey.stderr).toMatch(/No DashScope API key/);
  });

  it('exits 1 with the task id when --max-wait runs out', async () => {
    const url = fake.addMedia('slow.mp3', { durationS: 900 });
    fake.holdAll = true;
    try {
      const r = await run(['transcribe', '--audio', url, '--async', '--wait', '--max-wait', '1s']);
      expect(r.code).toBe(1);
      expect(r.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.stderr).toMatch(/still (RUNNING|PENDING) after --max-wait 1 s/);
    } finally {
      fake.holdAll = false;
    }
  });

  it('Ctrl-C cancels a queued task on the service and exits 130', async () => {
    const queued = new FakeDashScope({ queueMs: 60_000 });
    await queued.start();
    try {
      const url = queued.addMedia('queued.mp3', { durationS: 100 });
      const { child, done } = start(
        ['transcribe', '--audio', url, '--async', '--wait'],
        queued.env({ HOME: home, OUTPUT_DIR: out }),
      );
      // Wait until the task is submitted and being polled, then interrupt.
      const deadline = Date.now() + 10_000;
      while (queued.count('task') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(queued.count('cancel')).toBe(1);
      expect(r.stderr).toMatch(/has been cancelled on DashScope/);
      expect([...queued.tasks.values()][0]!.status).toBe('CANCELED');
    } finally {
      await queued.stop();
    }
  });

  it('transcribes every --audio given, with one progress line for the batch, and resumes', async () => {
    const url = fake.addMedia('cli-batch.mp3', { durationS: 20, text: 'Linked talk.' });
    const args = ['transcribe', '--audio', fixture('speech.mp3'), '--audio', url, '-l', 'en'];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`==> ${fixture('speech.mp3')} <==\nWelcome to Alibaba Cloud.`);
    expect(r.stdout).toContain(`==> ${url} <==\nLinked talk.`);
    expect(r.stderr).toMatch(/^ *\d+% batch \d+s \(\d of 2 files done\)$/m);
    expect(r.stderr).toMatch(
      /batch batch-[0-9a-f-]+ SUCCEEDED: 2 of 2 transcribed \(0 reused\), 0 failed; index: .*\.csv/,
    );
    const again = await run([...args, '-f', 'json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.items.map((i: { reused: boolean }) => i.reused)).toEqual([true, true]);
    expect(json.items[1].text).toBe('Linked talk.');
    const status = await run(['status', json.batch_id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Linked talk.');
  });

  it('takes --folder with --pattern and --recursive; a file that is not audio fails its row only', async () => {
    const dir = join(home, 'cli-folder');
    mkdirSync(join(dir, 'more'), { recursive: true });
    copyFileSync(fixture('speech.mp3'), join(dir, 'a.mp3'));
    copyFileSync(fixture('speech.flac'), join(dir, 'more', 'b.flac'));
    writeFileSync(join(dir, 'more', 'c.mp3'), 'not really audio');
    const r = await run(['transcribe', '--folder', dir, '--pattern', '**/*.{mp3,flac}', '--recursive']);
    expect(r.code).toBe(1);
    expect(r.stdout.match(/^==> /gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/c\.mp3 <==\n\(FAILED: .*not an audio or video file/);
    expect(r.stderr).toMatch(/2 of 3 transcribed/);
    const usage = await run(['transcribe', '--audio', fixture('speech.mp3'), '--folder', dir]);
    expect(usage.code).toBe(2);
  });

  it('keeps the API key out of everything it prints', async () => {
    const r = await run(['transcribe', '--audio', fixture('speech.mp3'), '--print-response', '-f', 'json']);
    expect(r.code).toBe(0);
    const key = fake.env().DASHSCOPE_API_KEY!;
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(existsSync(out) && readdirSync(join(out, 'ai-audio-asr', 'transcripts')).length).toBeGreaterThan(
      0,
    );
  });
});
