/**
 * The longest promised recording, end to end against the fake: 12 hours as a 16 kHz WAV (about
 * 1.4 GB, made on the fly, sparse) through your own bucket, and as a 32 kbit/s MP3 (about 170 MB)
 * through DashScope's temporary storage. Each is uploaded, polled, and its transcript of about 110,000
 * words with word timings fetched, normalized, saved (.txt, .json, .srt, .vtt) and read page by page
 * with asr_read_transcript. Reported: wall time, the server's own CPU time from the moment the task
 * finished to the last page, and the server's peak RSS.
 */
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { FakeDashScope } from '../dev/fake-dashscope/server.js';
import { writeWav } from '../test/helpers/wav.js';

export interface LongRun {
  path: string;
  file_mb: number;
  words: number;
  wall_s: number;
  upload_s: number;
  cpu_after_finish_s: number;
  peak_rss_mb: number;
  pages: number;
  saved: string[];
}

type Spawn = (
  env: Record<string, string>,
) => Promise<{ client: Client; pid: number; close(): Promise<void> }>;

const TICK_S = 0.01; // USER_HZ is 100 on Linux

/** User + system CPU of a process, in seconds, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_S;
}

function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(hwm) / 102.4) / 10;
}

/** A 32 kbit/s mono MPEG-1 Layer III file of `seconds`: real frame headers up front, the rest sparse. */
function sparseMp3(path: string, seconds: number): number {
  const frame = Buffer.alloc(144); // 144 * 32000 / 32000 bytes per frame at 32 kHz, 32 kbit/s
  frame.set([0xff, 0xfb, 0x18, 0xc0]);
  const bytes = Math.round((seconds * 32000) / 8);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < 64; i++) writeSync(fd, frame, 0, frame.length, i * frame.length);
    writeSync(fd, Buffer.alloc(1), 0, 1, bytes - 1);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

function transcriptText(words: number): string {
  const sentences = Math.ceil(words / 10);
  return Array.from(
    { length: sentences },
    (_, i) => `Part ${i} of the long recording is now being discussed.`,
  ).join(' ');
}

export async function longRecording(
  spawn: Spawn,
  dir: string,
  o: { hours: number; words: number },
  log: (s: string) => void,
): Promise<{ bucket: LongRun; temporary: LongRun }> {
  const text = transcriptText(o.words);
  const fake = new FakeDashScope({ runMs: 300, uploadText: text, maxUploadMb: 4096, keepUploadBytes: 4096 });
  await fake.start();
  try {
    const wav = join(dir, 'twelve-hours.wav');
    writeWav(wav, 44 + Math.round(o.hours * 3600 * 32000), { sparse: true });
    const mp3 = join(dir, 'twelve-hours.mp3');
    sparseMp3(mp3, o.hours * 3600);
    const common = {
      HOME: dir,
      ASR_WAIT_BUDGET_S: '7200',
      ASR_POLL_INTERVAL_MS: '100',
      ASR_POLL_MAX_INTERVAL_MS: '200',
    };
    const bucket = await one(
      spawn,
      fake,
      wav,
      'bucket',
      fake.s3Env({ ...common, OUTPUT_DIR: join(dir, 'out-bucket') }),
      log,
    );
    const temporary = await one(
      spawn,
      fake,
      mp3,
      'temporary storage',
      fake.env({ ...common, OUTPUT_DIR: join(dir, 'out-temp') }),
      log,
    );
    return { bucket, temporary };
  } finally {
    await fake.stop();
  }
}

async function one(
  spawn: Spawn,
  fake: FakeDashScope,
  file: string,
  path: string,
  env: Record<string, string>,
  log: (s: string) => void,
): Promise<LongRun> {
  const s = await spawn(env);
  try {
    writeFileSync(`/proc/${s.pid}/clear_refs`, '5'); // peak RSS from here on
    fake.holdAll = true;
    const started = performance.now();
    const call = s.client.callTool(
      {
        name: 'asr_transcribe',
        arguments: { audio: file, timestamp_granularities: ['word'], wait_seconds: 7200 },
      },
      undefined,
      { timeout: 3_600_000 },
    );
    // Held at the service until it exists: its end is the moment measured from.
    while (fake.tasks.size === 0) await new Promise((r) => setTimeout(r, 20));
    const uploaded = performance.now();
    const cpuAtFinish = cpuSeconds(s.pid);
    for (const id of fake.tasks.keys()) fake.release(id);
    fake.holdAll = false;
    const result = (await call) as { structuredContent?: Record<string, unknown>; isError?: boolean };
    if (result.isError) throw new Error(`the ${path} run failed: ${JSON.stringify(result).slice(0, 400)}`);
    const id = result.structuredContent!.transcript_id as string;
    let offset: number | undefined = 0;
    let pages = 0;
    let words = 0;
    while (offset !== undefined) {
      const page = await s.client.callTool({
        name: 'asr_read_transcript',
        arguments: { transcript_id: id, offset },
      });
      const sc = page.structuredContent as { text: string; next_offset?: number };
      words += sc.text.split(/\s+/).filter(Boolean).length;
      offset = sc.next_offset;
      pages++;
    }
    const r: LongRun = {
      path,
      file_mb: Math.round(statSync(file).size / 1048576),
      words,
      wall_s: Math.round(performance.now() - started) / 1000,
      upload_s: Math.round(uploaded - started) / 1000,
      cpu_after_finish_s: Math.round((cpuSeconds(s.pid) - cpuAtFinish) * 100) / 100,
      peak_rss_mb: peakRssMb(s.pid),
      pages,
      saved: Object.keys((result.structuredContent!.files as Record<string, string>) ?? {}).sort(),
    };
    fake.tasks.clear();
    log(
      `12 h via ${path}: ${r.wall_s} s wall (upload ${r.upload_s} s), CPU after the task finished ${r.cpu_after_finish_s} s, peak RSS ${r.peak_rss_mb} MB, ${r.pages} pages`,
    );
    return r;
  } finally {
    fake.holdAll = false;
    await s.close();
  }
}
