/**
 * Job tools over stdio against the fake: listing tasks and batches, cancelling (queued, started,
 * uploads, batches), and batches of files that resume.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 30 });
const queued = new FakeDashScope({ queueMs: 60_000 });
const home = tempDir();
const out = join(home, 'out');
const env = (f: FakeDashScope) =>
  f.env({
    HOME: home,
    OUTPUT_DIR: out,
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
    ASR_PROGRESS_INTERVAL_S: '0.05',
  });
let session: Session;
let queuedSession: Session;

beforeAll(async () => {
  await fake.start();
  await queued.start();
  session = await connect(env(fake));
  queuedSession = await connect(env(queued));
});
afterAll(async () => {
  await session?.close();
  await queuedSession?.close();
  await fake.stop();
  await queued.stop();
});

const call = async (name: string, args: Record<string, unknown>, s = session) =>
  (await s.client.callTool({ name, arguments: args })) as ToolResult;

interface Listed {
  id: string;
  kind: string;
  status: string;
  source: string;
  transcript_id?: string;
}
const list = async (args: Record<string, unknown> = {}, s = session) => {
  const r = await call('asr_list_tasks', args, s);
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  return r.structuredContent as { tasks: Listed[]; next_cursor?: string };
};

describe('asr_list_tasks', () => {
  it('lists tasks newest first, masked, in pages, filtered by status', async () => {
    const ids: string[] = [];
    for (const name of ['a.mp3', 'b.mp3', 'c.mp3']) {
      const url = `${fake.addMedia(name, { durationS: 30, text: `Talk ${name}.` })}?Expires=1&Signature=s3cr3t`;
      const r = await call('asr_transcribe', { audio: url, async: true });
      expect(r.isError, r.content[0]?.text).toBeFalsy();
      ids.push(r.structuredContent!.task_id as string);
    }
    const first = await list({ limit: 2 });
    expect(first.tasks).toHaveLength(2);
    expect(first.next_cursor).toBeTruthy();
    const second = await list({ limit: 2, cursor: first.next_cursor });
    const seen = [...first.tasks, ...second.tasks].map((t) => t.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    const mine = [...first.tasks, ...second.tasks].filter((t) => ids.includes(t.id));
    for (const t of mine) {
      expect(t.kind).toBe('task');
      expect(t.status).toBe('SUCCEEDED');
      expect(t.transcript_id).toBeTruthy();
      expect(t.source).not.toContain('s3cr3t');
    }
    expect(JSON.stringify(await list({ limit: 100 }))).not.toContain('s3cr3t');
    const failed = await list({ status: ['FAILED'] });
    expect(failed.tasks.every((t) => t.status === 'FAILED')).toBe(true);
    const bad = await call('asr_list_tasks', { cursor: 'nonsense' });
    expect(bad.isError).toBe(true);
  });
});

describe('asr_cancel_task', () => {
  it('cancels a queued task on DashScope, idempotently; its status then says cancelled', async () => {
    const url = queued.addMedia('queued.mp3', { durationS: 100 });
    const started = await call('asr_transcribe', { audio: url, async: true, wait: false }, queuedSession);
    const taskId = started.structuredContent!.task_id as string;
    expect(started.structuredContent!.status).toBe('PENDING');
    const r = await call('asr_cancel_task', { id: taskId }, queuedSession);
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true, billed: false });
    expect(queued.tasks.get(taskId)!.status).toBe('CANCELED');
    const again = await call('asr_cancel_task', { id: taskId }, queuedSession);
    expect(again.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: false });
    expect(queued.count('cancel')).toBe(1);
    const status = await call('asr_task_status', { task_id: taskId }, queuedSession);
    expect(status.isError).toBe(true);
    expect(status.content[0]!.text).toMatch(/cancelled/);
    const listed = await list({ status: ['CANCELED'] }, queuedSession);
    expect(listed.tasks.map((t) => t.id)).toContain(taskId);
  });

  it('marks a started task cancelled here: it is billed, and no transcript is saved when it ends', async () => {
    const url = fake.addMedia('started.mp3', { durationS: 100, text: 'Never saved.' });
    fake.holdAll = true;
    try {
      const started = await call('asr_transcribe', { audio: url, async: true, wait_seconds: 0.2 });
      const taskId = started.structuredContent!.task_id as string;
      expect(started.structuredContent!.status).toBe('RUNNING');
      const r = await call('asr_cancel_task', { id: taskId });
      expect(r.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true, billed: true });
      expect(r.content[0]!.text).toMatch(/will finish and be billed/);
      fake.release(taskId);
      const status = await call('asr_task_status', { task_id: taskId, wait: true });
      expect(status.isError).toBe(true);
      expect(status.content[0]!.text).toMatch(/cancelled with asr_cancel_task/);
      const t = (await list({ limit: 100 })).tasks.find((x) => x.id === taskId)!;
      expect(t.status).toBe('CANCELED');
      expect(t.transcript_id).toBeUndefined();
    } finally {
      fake.holdAll = false;
    }
  });

  it('refuses ids it does not know', async () => {
    const r = await call('asr_cancel_task', { id: 'local-00000000-0000-0000-0000-000000000000' });
    expect(r.isError).toBe(true);
  });
});

interface Item {
  index: number;
  audio: string;
  status: string;
  task_id: string | null;
  transcript_id: string | null;
  preview: string;
  error?: string;
  reused: boolean;
}
type BatchOut = { batch_id: string; status: string; items: Item[] };

describe('asr_transcribe_batch', () => {
  it('transcribes a list (a non-audio file is a failed row), saves its index, and resumes', async () => {
    const notAudio = join(home, 'notes.txt');
    writeFileSync(notAudio, 'just some notes, not audio\n');
    const url = fake.addMedia('batch.mp3', { durationS: 30, text: 'From a link.' });
    const audio = [fixture('speech.mp3'), notAudio, url, fixture('speech.flac')];
    const r = await call('asr_transcribe_batch', { audio, options: { language_hints: ['en'] } });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const b = r.structuredContent as BatchOut;
    expect(b.batch_id).toMatch(/^batch-/);
    expect(b.status).toBe('SUCCEEDED');
    expect(b.items.map((i) => i.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(b.items[1]!.error).toMatch(/not an audio or video file/);
    expect(b.items[0]!.preview).toMatch(/Welcome to Alibaba Cloud/);
    expect(b.items[2]!.preview).toBe('From a link.');
    expect(b.items.every((i) => !i.reused)).toBe(true);
    const [header] = r.content[0]!.text!.split('\n');
    expect(header).toBe(`SUCCEEDED · batch ${b.batch_id} · 4 of 4 done · 1 failed · 0 reused`);
    const dir = join(out, 'ai-audio-asr', 'batches');
    const saved = JSON.parse(readFileSync(join(dir, `${b.batch_id}.json`), 'utf8'));
    expect(saved.items).toHaveLength(4);
    const csv = readFileSync(join(dir, `${b.batch_id}.csv`), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('index,audio,status,task_id,transcript_id,reused,txt,json,srt,vtt,error');
    expect(csv).toHaveLength(5);

    // The batch id answers asr_task_status and (with an item) asr_read_transcript.
    const status = await call('asr_task_status', { task_id: b.batch_id });
    expect(status.isError, status.content[0]?.text).toBeFalsy();
    expect(status.structuredContent).toMatchObject({ task_id: b.batch_id, status: 'SUCCEEDED' });
    const page = await call('asr_read_transcript', { transcript_id: b.batch_id, item: 2 });
    expect(page.structuredContent!.text).toBe('From a link.');
    const none = await call('asr_read_transcript', { transcript_id: b.batch_id, item: 1 });
    expect(none.isError).toBe(true);

    // Run again: nothing is sent for what is done; force sends it again.
    const sent = fake.count('compatible') + fake.count('submit');
    const again = (await call('asr_transcribe_batch', { audio, options: { language_hints: ['en'] } }))
      .structuredContent as BatchOut;
    expect(again.items.map((i) => i.reused)).toEqual([true, false, true, true]);
    expect(again.items[0]!.transcript_id).toBe(b.items[0]!.transcript_id);
    expect(fake.count('compatible') + fake.count('submit')).toBe(sent);
    const otherOptions = (await call('asr_transcribe_batch', { audio: [url] })).structuredContent as BatchOut;
    expect(otherOptions.items[0]!.reused).toBe(false);
    const forced = (
      await call('asr_transcribe_batch', { audio: [url], force: true, options: { language_hints: ['en'] } })
    ).structuredContent as BatchOut;
    expect(forced.items[0]!.reused).toBe(false);

    const listed = await list({ limit: 100 });
    expect(listed.tasks.find((t) => t.id === b.batch_id)).toMatchObject({
      kind: 'batch',
      status: 'SUCCEEDED',
    });
  });

  it('takes a folder with a glob, recursively', async () => {
    const dir = join(home, 'recordings');
    mkdirSync(join(dir, 'day2'), { recursive: true });
    copyFileSync(fixture('speech.mp3'), join(dir, 'one.mp3'));
    copyFileSync(fixture('speech.flac'), join(dir, 'day2', 'two.flac'));
    copyFileSync(fixture('speech.ogg'), join(dir, 'day2', 'three.ogg'));
    writeFileSync(join(dir, 'readme.md'), 'not audio');
    const flat = (await call('asr_transcribe_batch', { folder: dir })).structuredContent as BatchOut;
    expect(flat.items.map((i) => i.audio)).toEqual([join(dir, 'one.mp3')]);
    const deep = (
      await call('asr_transcribe_batch', { folder: dir, pattern: '**/*.{mp3,flac}', recursive: true })
    ).structuredContent as BatchOut;
    expect(deep.items.map((i) => i.audio)).toEqual([join(dir, 'day2', 'two.flac'), join(dir, 'one.mp3')]);
    expect(deep.items.every((i) => i.status === 'SUCCEEDED')).toBe(true);
    const nothing = await call('asr_transcribe_batch', { folder: dir, pattern: '*.wav' });
    expect(nothing.isError).toBe(true);
    const badOption = await call('asr_transcribe_batch', { folder: dir, options: { speaker_count: 1 } });
    expect(badOption.isError).toBe(true);
    expect(badOption.content[0]!.text).toMatch(/options\.speaker_count/);
  });

  it('returns within its budget while files run, and a batch cancel stops them', async () => {
    fake.holdAll = true;
    try {
      const urls = ['x.mp3', 'y.mp3'].map((n) => fake.addMedia(n, { durationS: 200, text: 'Held.' }));
      const r = await call('asr_transcribe_batch', {
        audio: urls,
        options: { async: true },
        wait_seconds: 0.5,
      });
      const b = r.structuredContent as BatchOut;
      expect(b.status).toBe('RUNNING');
      expect(r.content[0]!.text).toMatch(/call asr_task_status/);
      const cancel = await call('asr_cancel_task', { id: b.batch_id });
      expect(cancel.isError, cancel.content[0]?.text).toBeFalsy();
      expect(cancel.structuredContent).toMatchObject({ status: 'CANCELED', cancelled: true });
      const status = await call('asr_task_status', { task_id: b.batch_id });
      expect(status.structuredContent!.status).toBe('CANCELED');
      const saved = JSON.parse(
        readFileSync(join(out, 'ai-audio-asr', 'batches', `${b.batch_id}.json`), 'utf8'),
      );
      expect(saved.items.every((i: Item) => i.status === 'CANCELED')).toBe(true);
      expect(existsSync(join(out, 'ai-audio-asr', 'batches', `${b.batch_id}.csv`))).toBe(true);
    } finally {
      fake.holdAll = false;
      for (const id of fake.tasks.keys()) fake.release(id);
    }
  });
});
