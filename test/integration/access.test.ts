import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { FileAccess, isDevicePath, isInside } from '../../src/audio/access.js';
import { resolveAudio } from '../../src/audio/source.js';
import { loadConfig } from '../../src/config/config.js';
import { InputError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

// Layout: <base>/home (with a hidden ~/.ssh), <base>/outside, <base>/tmp, <base>/work (the cwd).
const base = tempDir('qwen-asr-access-');
const home = join(base, 'home');
const outside = join(base, 'outside');
const tmp = join(base, 'tmp');
const work = join(base, 'work');
const WAV = fixture('speech-16k-mono.wav');
const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

beforeAll(() => {
  for (const d of [home, join(home, '.ssh'), join(home, 'Music'), outside, tmp, work])
    mkdirSync(d, { recursive: true });
  copyFileSync(WAV, join(home, 'Music', 'talk.wav'));
  copyFileSync(WAV, join(outside, 'talk.wav'));
  copyFileSync(WAV, join(home, '.ssh', 'disguised.wav'));
  writeFileSync(join(home, '.ssh', 'id_rsa'), KEY);
  copyFileSync(WAV, join(tmp, 'clip.wav'));
  copyFileSync(WAV, join(work, 'here.wav'));
  symlinkSync(join(outside, 'talk.wav'), join(home, 'Music', 'link-out.wav'));
  symlinkSync(join(home, '.ssh', 'id_rsa'), join(home, 'Music', 'key.wav'));
  symlinkSync(outside, join(home, 'Music', 'dir-out'));
});

const access = (extra: Partial<ConstructorParameters<typeof FileAccess>[0]> = {}) =>
  new FileAccess({ home, cwd: work, tmp, ...extra });
/** Resolves and closes at once: these tests look only at what was allowed. */
const resolve = async (audio: string, a = access()) => {
  const src = await resolveAudio(audio, { home, cwd: work, access: a });
  if (src.kind === 'file') await src.handle.release();
  return src;
};
const refusal = (audio: string, a = access()) =>
  resolve(audio, a).then(
    () => {
      throw new Error(`${audio} was allowed`);
    },
    (e: unknown) => e as InputError,
  );

describe('default roots: home, temp, working directory; no hidden folders under home', () => {
  it('reads files in home, temp and the working directory, by absolute, ~, relative and file:// paths', async () => {
    for (const audio of [
      join(home, 'Music', 'talk.wav'),
      '~/Music/talk.wav',
      'here.wav',
      pathToFileURL(join(tmp, 'clip.wav')).href,
    ]) {
      const src = await resolve(audio);
      expect(src.kind, audio).toBe('file');
    }
  });

  it('refuses a path outside every root, naming the roots and how to add one, without looking at it', async () => {
    const err = await refusal(join(outside, 'talk.wav'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain('is outside the folders this server may read (default:');
    expect(err.message).toContain(home);
    expect(err.hint).toMatch(/ASR_ALLOWED_DIRS/);
    // Outside a root, a missing file gets the same answer as an existing one: no existence oracle.
    const missing = await refusal(join(outside, 'nothing.wav'));
    expect(missing.message).toMatch(/is outside the folders/);
  });

  it('refuses ~/.ssh and other hidden folders under home, even for real audio', async () => {
    for (const audio of ['~/.ssh/id_rsa', join(home, '.ssh', 'disguised.wav')]) {
      const err = await refusal(audio);
      expect(err.message).toMatch(/hidden folder ~\/\.ssh/);
    }
  });

  it('follows symlinks before deciding: a link (or linked folder) leading out is refused', async () => {
    const a = access({ allowedDirs: [home] });
    const out = await refusal(join(home, 'Music', 'link-out.wav'), a);
    expect(out.message).toMatch(/goes through a link that leads somewhere this server may not read/);
    const dir = await refusal(join(home, 'Music', 'dir-out', 'talk.wav'), a);
    expect(dir.message).toMatch(/goes through a link/);
    const key = await refusal(join(home, 'Music', 'key.wav'));
    expect(key.message).toMatch(/goes through a link/);
    // Where the link leads is never named.
    for (const err of [out, dir, key]) {
      expect(err.message).not.toContain(outside);
      expect(err.message).not.toContain('.ssh');
    }
  });

  it('leaves the working directory out when it is / or holds home', async () => {
    expect((await new FileAccess({ home, cwd: '/', tmp }).roots()).dirs).toEqual([home, tmp]);
    expect((await new FileAccess({ home, cwd: base, tmp }).roots()).dirs).toEqual([home, tmp]);
    expect((await access().roots()).dirs).toEqual([home, tmp, work]);
  });
});

describe('ASR_ALLOWED_DIRS and client roots', () => {
  it('ASR_ALLOWED_DIRS replaces the defaults (and may name a hidden folder on purpose)', async () => {
    const a = access({ allowedDirs: [outside, join(home, '.ssh')] });
    expect((await resolve(join(outside, 'talk.wav'), a)).kind).toBe('file');
    expect((await resolve(join(home, '.ssh', 'disguised.wav'), a)).kind).toBe('file');
    const err = await refusal(join(home, 'Music', 'talk.wav'), a);
    expect(err.message).toContain('(ASR_ALLOWED_DIRS:');
  });

  it('is read from the environment, path-delimiter separated, with ~ expanded', () => {
    const config = loadConfig(
      { ASR_ALLOWED_DIRS: `~/Music${path.delimiter}${outside}${path.delimiter}` },
      { home, cwd: work },
    );
    expect(config.allowedDirs).toEqual([join(home, 'Music'), outside]);
  });

  it('client roots replace the defaults, and ASR_ALLOWED_DIRS still adds to them', async () => {
    const a = access({ clientRoots: async () => [work], allowedDirs: [outside] });
    expect(await a.roots()).toEqual({ dirs: [work, outside], source: 'client roots' });
    expect((await resolve(join(work, 'here.wav'), a)).kind).toBe('file');
    const err = await refusal(join(home, 'Music', 'talk.wav'), a);
    expect(err.message).toContain('(client roots:');
    expect(err.hint).toMatch(/as a root in your MCP client/);
  });

  it('an empty or failing roots answer falls back to the defaults', async () => {
    expect((await access({ clientRoots: async () => [] }).roots()).source).toBe('default');
    const failing = access({ clientRoots: () => Promise.reject(new Error('boom')) });
    expect((await failing.roots()).source).toBe('default');
  });

  it('the command line is unconfined unless ASR_ALLOWED_DIRS is set', async () => {
    expect((await resolve(join(outside, 'talk.wav'), access({ unrestricted: true }))).kind).toBe('file');
    const err = await refusal(join(outside, 'talk.wav'), access({ unrestricted: true, allowedDirs: [tmp] }));
    expect(err.message).toMatch(/outside the folders/);
  });
});

describe('Windows paths', () => {
  it('compares drive paths case-insensitively and refuses UNC and device paths', async () => {
    const w = path.win32;
    expect(isInside('C:\\Users\\Me\\Music\\a.wav', 'c:\\users\\me', w)).toBe(true);
    expect(isInside('D:\\Music\\a.wav', 'C:\\Users\\Me', w)).toBe(false);
    expect(isInside('C:\\Users\\Meow\\a.wav', 'C:\\Users\\Me', w)).toBe(false);
    for (const p of [
      '\\\\server\\share\\a.wav',
      '\\\\?\\C:\\a.wav',
      '\\\\.\\PhysicalDrive0',
      '//server/share/a.wav',
    ])
      expect(isDevicePath(p, w), p).toBe(true);
    expect(isDevicePath('C:\\a.wav', w)).toBe(false);
    const a = new FileAccess({ home: 'C:\\Users\\Me', cwd: 'C:\\', tmp: 'C:\\Temp', platform: 'win32' });
    await expect(a.authorize('\\\\server\\share\\a.wav', '\\\\server\\share\\a.wav')).rejects.toThrow(/UNC/);
    expect((await a.roots()).dirs).toEqual(['C:\\Users\\Me', 'C:\\Temp']);
  });
});

describe('through the service', () => {
  const fake = new FakeDashScope();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('sends nothing for a refused file: no request of any kind reaches the API', async () => {
    const { service } = makeService(testConfig(fake, home), { access: access() });
    fake.requests.length = 0;
    for (const audio of ['~/.ssh/id_rsa', join(outside, 'talk.wav'), join(home, 'Music', 'key.wav')]) {
      await expect(service.transcribe({ audio })).rejects.toBeInstanceOf(InputError);
      await expect(service.transcribe({ audio, model: 'qwen3-asr-flash-filetrans' })).rejects.toBeInstanceOf(
        InputError,
      );
    }
    expect(fake.requests).toHaveLength(0);
    const ok = await service.transcribe({ audio: '~/Music/talk.wav' });
    expect(ok.status).toBe('SUCCEEDED');
  });
});
