/**
 * Issue #13, finding 6: URL credentials (user:password@) and presigned signatures are sent to the
 * service as given, but every saved or listed copy masks them: the task record, the transcript JSON
 * (its `source` and the service's echoed `file_url`s), and what the store hands to readers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope({ runMs: 20 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const SECRETS = ['s3cr3t-pw', 'amzsig0123456789', 'osssig9876543210', 'LTAIaccesskey42', 'sts-token-abc'];

describe('URL credentials in saved copies', () => {
  it('are masked in the task record, the transcript JSON and the store, but sent unmasked', async () => {
    const home = tempDir();
    const { service, transcripts, dirs } = makeService(testConfig(fake, home));
    fake.addMedia('private-call.mp3', { durationS: 120, text: 'A private call. Nothing to see.' });
    const host = fake.url.replace('http://', '');
    const url =
      `http://alice:s3cr3t-pw@${host}/media/private-call.mp3?X-Amz-Date=20240101T000000Z` +
      '&X-Amz-Signature=amzsig0123456789&Signature=osssig9876543210&OSSAccessKeyId=LTAIaccesskey42' +
      '&security-token=sts-token-abc';

    // The fake serves media only at its bare address, so the task it creates for this URL would fail to
    // download; hold it, let it "download" the media, then let it finish.
    fake.holdAll = true;
    const pending = service.transcribe({ audio: url, model: 'qwen3-asr-flash-filetrans' });
    let task: ReturnType<typeof fake.tasks.get>;
    for (let i = 0; i < 200 && !task; i++) {
      await new Promise((r) => setTimeout(r, 10));
      task = [...fake.tasks.values()].find((t) => t.fileUrl.includes('private-call'));
    }
    fake.holdAll = false;
    expect(task).toBeDefined();
    task!.failure = undefined;
    task!.text = 'A private call. Nothing to see.';
    fake.release(task!.id);
    const result = await pending;
    expect(result.status).toBe('SUCCEEDED');

    // The live request carried the real URL.
    const submit = fake.requests.find((r) => r.route === 'submit')!;
    expect((submit.json as { input: { file_url: string } }).input.file_url).toBe(url);

    // Saved copies do not.
    const record = readFileSync(join(dirs.get().tasks, `${result.task_id}.json`), 'utf8');
    const json = readFileSync(result.files!.json, 'utf8');
    const loaded = await transcripts.load(result.transcript_id!);
    const listed = JSON.stringify({
      list: await transcripts.list(),
      text: await transcripts.loadText(result.transcript_id!),
      loaded,
    });
    for (const copy of [record, json, listed, JSON.stringify(result)]) {
      for (const secret of SECRETS) expect(copy).not.toContain(secret);
    }
    const masked =
      `http://***@${host}/media/private-call.mp3?X-Amz-Date=20240101T000000Z` +
      '&X-Amz-Signature=***&Signature=***&OSSAccessKeyId=***&security-token=***';
    expect(JSON.parse(record).source).toBe(masked);
    expect(loaded?.source).toBe(masked);
    // The service echoes file_url in its answers; the saved raw answer has it masked too.
    expect(json).toContain(`"file_url":"${masked}"`);
    // Still exactly one of each file: nothing else was written with the URL in it.
    expect(readdirSync(dirs.get().tasks)).toEqual([`${result.task_id}.json`]);
  });
});
