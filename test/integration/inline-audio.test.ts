/** Audio sent inline as a data: URI: sniffed in memory, sent as it is, saved under its summary only. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { InputError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('inline audio (data: URI)', () => {
  it('transcribes a fixture sent inline: the fake receives the data URI, the saved source is the summary', async () => {
    const bytes = readFileSync(fixture('speech.mp3'));
    const b64 = bytes.toString('base64');
    const uri = `data:audio/mpeg;base64,${b64}`;
    const config = testConfig(fake, home);
    const { service } = makeService(config);
    const before = fake.requests.length;
    const result = await service.transcribe({ audio: uri });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.model).toMatch(/^qwen3-asr-flash/);
    const sent = fake.requests.slice(before).map((r) => JSON.stringify(r.json ?? ''));
    expect(sent.some((s) => s.includes(`data:audio/mpeg;base64,${b64}`))).toBe(true);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const summary = `data:audio/mpeg;base64,… (${bytes.length} bytes, sha256 ${sha})`;
    expect(result.source).toBe(summary);
    // Nothing of the data is written to disk: every saved file names the summary, none holds base64.
    const files = walk(config.outputDir);
    expect(files.length).toBeGreaterThan(0);
    const saved = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(saved).toContain(`sha256 ${sha}`);
    expect(saved).not.toContain(b64.slice(0, 64));
    expect(saved).not.toContain(b64.slice(-64));
    await service.close();
  });

  it('refuses 8 MiB inline, naming the 7 MiB limit, before anything is sent', async () => {
    const { service } = makeService(testConfig(fake, home));
    const big = Buffer.alloc(8 * 1024 * 1024);
    readFileSync(fixture('speech.mp3')).copy(big);
    const before = fake.requests.length;
    const err = await service
      .transcribe({ audio: `data:audio/mpeg;base64,${big.toString('base64')}` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/over the inline limit of 7 MiB \(7,340,032 bytes\)/);
    expect(fake.requests.length).toBe(before);
    await service.close();
  });

  it('uploads inline audio longer than 5 minutes from memory and runs it as a task, saved under the summary', async () => {
    const config = testConfig(fake, home, { ASR_POLL_INTERVAL_MS: '20', ASR_POLL_MAX_INTERVAL_MS: '50' });
    const { service } = makeService(config);
    const bytes = readFileSync(fixture('long-6min-cbr.mp3'));
    const b64 = bytes.toString('base64');
    const uploads = fake.count('upload');
    const result = await service.transcribe({ audio: `data:audio/mpeg;base64,${b64}` });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.model).toMatch(/^qwen3-asr-flash-filetrans/);
    expect(fake.count('upload')).toBe(uploads + 1);
    expect(result.warnings.join('\n')).toMatch(
      /lasts 6 min 01 s, over the 5 min 00 s .* uploaded from memory/,
    );
    expect(result.source).toMatch(/^data:audio\/mpeg;base64,… \(361413 bytes, sha256 [0-9a-f]{64}\)$/);
    const saved = walk(config.outputDir)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(saved).not.toContain(b64.slice(0, 64));
    expect(saved).not.toMatch(/"source": ?"oss:/);
    await service.close();
  });

  it('refuses an explicit sync model for long inline audio with the way out, and non-audio by its bytes', async () => {
    const { service } = makeService(testConfig(fake, home));
    const long = readFileSync(fixture('long-6min-cbr.mp3')).toString('base64');
    const err = await service
      .transcribe({ audio: `data:audio/mpeg;base64,${long}`, model: 'qwen3-asr-flash' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/lasts 6 min 01 s, over the 5 min 00 s/);
    expect((err as InputError).hint).toMatch(/qwen3-asr-flash-filetrans/);
    const text = Buffer.from('hello, not audio at all').toString('base64');
    await expect(service.transcribe({ audio: `data:audio/wav;base64,${text}` })).rejects.toThrow(
      /not an audio or video file/,
    );
    await expect(service.transcribe({ audio: 'data:audio/wav,raw' })).rejects.toThrow(/not a base64 one/);
    await service.close();
  });
});
