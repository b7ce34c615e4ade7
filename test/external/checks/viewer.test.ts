/**
 * The transcript viewer in a real browser: headless Chromium (Debian's, driven by playwright-core)
 * opens a test host page (test/viewer-host/host.ts) that embeds the viewer through the ext-apps
 * AppBridge and talks to the real built server (`dist/index.js --http --port 0`) against the fake
 * DashScope. The host page is served on the server's own origin by Playwright request routing, so its
 * MCP requests are same-origin (no CORS needed); the view is served by routing too, on localhost:<port>
 * (another origin, as a host's sandbox); every other request of the browser is aborted.
 *
 * Covered: a saved transcript (sentences, speaker colours, search hits, copy, keyboard, exports), a
 * running task turning into a transcript, a long transcript paged in while scrolling, and a recording
 * from Chromium's fake microphone arriving at the fake DashScope as inline audio. Screenshots of each
 * state go to test/artifacts/ (git-ignored).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../../dev/fake-dashscope/server.js';
import { tempDir } from '../../helpers/env.js';
import { stopAll } from '../../helpers/mcp.js';
import { REPO, SERVER_ENTRY } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test', 'artifacts');
const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let origin = '';
let hostHtml = '';

/** A 3-second 440 Hz tone, 16 kHz mono WAV: what Chromium's fake microphone plays. */
function toneWav(path: string): void {
  const rate = 16000;
  const n = rate * 3;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12000), 44 + i * 2);
  writeFileSync(path, buf);
}

function startServer(): Promise<string> {
  const child = spawn(process.execPath, [SERVER_ENTRY, '--http', '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      ...fake.env({
        HOME: home,
        OUTPUT_DIR: join(home, 'out'),
        ASR_POLL_INTERVAL_MS: '20',
        ASR_POLL_MAX_INTERVAL_MS: '50',
        ASR_VIEWER_MEDIA_ORIGINS: new URL(fake.url).origin,
      }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server = child;
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)\/mcp/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it).`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  await fake.start();
  origin = await startServer();
  const bundled = await build({
    entryPoints: [join(REPO, 'test', 'viewer-host', 'host.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  const js = bundled.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
  hostHtml = `<!doctype html><html><head><meta charset="utf-8"><title>viewer test host</title><style>
body { margin: 0; background: #fff; } body[data-theme="dark"] { background: #111318; }
iframe { border: 0; width: 100%; height: 640px; display: block; }
</style></head><body><script type="module">${js}</script></body></html>`;
  const wav = join(home, 'tone.wav');
  toneWav(wav);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  if (server) await stopAll([server]);
  await fake.stop();
});

/** A page showing the host, with only the host page and the server's /mcp reachable. */
async function hostPage(): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 900, height: 680 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await context.grantPermissions(['microphone', 'clipboard-read', 'clipboard-write'], {
    origin: origin.replace('//127.0.0.1:', '//localhost:'),
  });
  await context.route('**/*', (route) =>
    route.request().url().startsWith(`${origin}/mcp`) ? route.continue() : route.abort(),
  );
  await context.route(`${origin}/host.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: hostHtml }),
  );
  // The fake's media URLs (an origin in ASR_VIEWER_MEDIA_ORIGINS) play the 3-second tone.
  await context.route(`${new URL(fake.url).origin}/media/*`, (route) => {
    // With byte ranges, as a media server answers (the browser seeks with them).
    const body = readFileSync(join(home, 'tone.wav'));
    const m = /bytes=(\d+)-(\d*)/.exec(route.request().headers().range ?? '');
    if (!m) return route.fulfill({ contentType: 'audio/wav', headers: { 'accept-ranges': 'bytes' }, body });
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    return route.fulfill({
      status: 206,
      contentType: 'audio/wav',
      headers: { 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${body.length}` },
      body: body.subarray(start, end + 1),
    });
  });
  const page = await context.newPage();
  // The view's own origin (hosts use a sandbox origin): the page the host asked for, with its CSP.
  const sandbox = origin.replace('//127.0.0.1:', '//localhost:');
  await context.route(`${sandbox}/sandbox.html*`, async (route) => {
    const pending = (await page.evaluate('window.host.recorded.pending')) as { html: string; csp: string };
    await route.fulfill({
      contentType: 'text/html',
      headers: { 'content-security-policy': pending.csp },
      body: pending.html,
    });
  });
  if (process.env.VIEWER_DEBUG) {
    page.on('console', (m) => {
      if (!/^(Parsed|Sending) message/.test(m.text())) console.log(`[browser] ${m.text()}`);
    });
    page.on('requestfailed', (r) => console.log(`[failed] ${r.url().slice(0, 120)}`));
  }
  await page.goto(`${origin}/host.html`);
  await page.waitForFunction('typeof window.host === "object"');
  return page;
}

interface Recorded {
  calls: { name: string; arguments: Record<string, unknown> }[];
  downloads: { resource: { text: string; uri: string; mimeType: string } }[][];
}

function open(page: Page, tool: string, args: Record<string, unknown>, theme = 'light') {
  return page.evaluate(
    ([t, a, th]) =>
      (globalThis as never as { host: { open: (...args: unknown[]) => unknown } }).host.open(t, a, th),
    [tool, args, theme] as const,
  ) as Promise<{ structuredContent: Record<string, unknown>; isError?: boolean }>;
}

const recorded = (page: Page) =>
  page.evaluate(() => (globalThis as never as { host: { recorded: Recorded } }).host.recorded);

/** The few browser globals the page functions below use (this file is type-checked for Node). */
interface Browserish {
  getComputedStyle(el: unknown): { color: string; fontFamily: string };
  navigator: { clipboard: { readText(): Promise<string> } };
  document: { activeElement: unknown };
}

const shot = (target: Page, name: string) => target.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

const MEETING =
  'Welcome to the budget meeting. The budget is tight this year. Marketing asks for more. ' +
  'We review the budget again in March. Thanks everyone for coming.';

describe('the transcript viewer in Chromium', () => {
  it('renders a saved transcript: timed sentences, speakers in colours, search hits, copy, keyboard, exports', async () => {
    const page = await hostPage();
    const media = fake.addMedia('meeting.mp3', { durationS: 60, text: MEETING });
    const result = await open(page, 'asr_transcribe', {
      audio: media,
      diarization_enabled: true,
      speaker_count: 2,
    });
    expect(result.isError).toBeFalsy();
    const view: FrameLocator = page.frameLocator('#frame');
    const rows = view.locator('li.s');
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.nth(0).locator('.t').textContent()).toBe('0:00');
    expect(await rows.nth(0).textContent()).toContain('Speaker 1Welcome to the budget meeting.');
    expect(await rows.nth(1).locator('.sp').textContent()).toBe('Speaker 2');
    const colour = (i: number) =>
      rows
        .nth(i)
        .locator('.sp')
        .evaluate((el) => (globalThis as unknown as Browserish).getComputedStyle(el).color);
    expect(await colour(0)).not.toBe(await colour(1));
    expect(await view.locator('#meta').textContent()).toMatch(/qwen-audio-3\.0-asr-flash-filetrans/);
    // The host's style variables reach the view (its font here).
    expect(
      await view
        .locator('body')
        .evaluate((el) => (globalThis as unknown as Browserish).getComputedStyle(el).fontFamily),
    ).toMatch(/Georgia/);

    await view.locator('#search').fill('budget');
    await expect.poll(() => view.locator('#hits').textContent()).toBe('3 hits');
    expect(await view.locator('mark').count()).toBe(3);
    expect(await view.locator('li.s.match').count()).toBe(3);
    await view.locator('#search').press('Enter');
    await expect.poll(() => view.locator('#hits').textContent()).toBe('1/3 hits');
    await shot(page, 'viewer-transcript');

    // Click a sentence: copied with its timestamp (and the keyboard does the same with Enter).
    await rows.nth(2).click();
    await expect.poll(() => view.locator('#toast').textContent()).toMatch(/Copied with its timestamp/);
    const copied = await page.evaluate(() =>
      (globalThis as unknown as Browserish).navigator.clipboard.readText().catch(() => ''),
    );
    expect(copied).toBe('[0:24] Speaker 1: Marketing asks for more.');
    await rows.nth(0).focus();
    await rows.nth(0).press('ArrowDown');
    expect(
      await rows.nth(1).evaluate((el) => el === (globalThis as unknown as Browserish).document.activeElement),
    ).toBe(true);
    await rows.nth(1).press('Enter');
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as Browserish).navigator.clipboard.readText()))
      .toBe('[0:12] Speaker 2: The budget is tight this year.');
    await view.locator('body').press('/');
    expect(
      await view
        .locator('#search')
        .evaluate((el) => el === (globalThis as unknown as Browserish).document.activeElement),
    ).toBe(true);

    for (const kind of ['txt', 'srt', 'vtt']) await view.locator(`#export-${kind}`).click();
    await expect.poll(async () => (await recorded(page)).downloads.length).toBe(3);
    const [txt, srt, vtt] = (await recorded(page)).downloads.map((d) => d[0]!.resource);
    expect(txt!.uri).toMatch(/\.txt$/);
    expect(txt!.text).toMatch(/^\[0:00\] Speaker 1: Welcome to the budget meeting\.\n\[0:\d\d\] Speaker 2: /);
    expect(srt!.mimeType).toBe('application/x-subrip');
    expect(srt!.text).toMatch(
      /^1\n00:00:00,000 --> 00:00:\d\d,\d{3}\nSpeaker 1: Welcome to the budget meeting\.\n\n2\n/,
    );
    expect(srt!.text.trim().split('\n\n')).toHaveLength(5);
    expect(vtt!.text).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:\d\d\.\d{3}\nSpeaker 1: Welcome/);

    // The same transcript in the host's dark theme.
    await open(
      page,
      'asr_read_transcript',
      {
        transcript_id: result.structuredContent.transcript_id,
        format: 'json',
      },
      'dark',
    );
    await expect.poll(() => view.locator('li.s').count()).toBe(5);
    expect(await view.locator('html').getAttribute('data-theme')).toBe('dark');
    await shot(page, 'viewer-transcript-dark');
    await page.context().close();
  });

  it('plays audio from an allowed origin: the sentence playing is highlighted, a click seeks', async () => {
    const page = await hostPage();
    const media = fake.addMedia('tone.mp3', { durationS: 3, text: 'One tone. Still the tone. The end.' });
    await open(page, 'asr_transcribe', { audio: media, timestamp_granularities: ['sentence'] });
    const view = page.frameLocator('#frame');
    const rows = view.locator('li.s');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await view.locator('#player-box').isVisible()).toBe(true);
    expect(await view.locator('#note').isVisible()).toBe(false);
    const begin = Number((await rows.nth(2).locator('.t').textContent())!.split(':')[1]);
    await rows.nth(2).click();
    await expect
      .poll(() =>
        view.locator('#player').evaluate((el) => (el as unknown as { currentTime: number }).currentTime),
      )
      .toBeGreaterThanOrEqual(begin);
    await expect.poll(() => view.locator('li.s.now').count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.nth(2).getAttribute('class')).toMatch(/\bnow\b/);
    await shot(page, 'viewer-playing');
    await page.context().close();
  });

  it('follows a running task (stage, progress, elapsed time) by polling through the host, then shows the transcript', async () => {
    const page = await hostPage();
    const media = fake.addMedia('later.mp3', { durationS: 90, text: 'It took a while. Here it is.' });
    fake.holdAll = true;
    let taskId = '';
    try {
      const started = await open(page, 'asr_transcribe', {
        audio: media,
        timestamp_granularities: ['sentence'],
        wait: false,
      });
      taskId = String(started.structuredContent.task_id);
      expect(started.structuredContent.status).toMatch(/PENDING|RUNNING/);
      const view = page.frameLocator('#frame');
      await expect.poll(() => view.locator('#task').isVisible()).toBe(true);
      expect(await view.locator('#stage').textContent()).toMatch(/Queued|Transcribing/);
      await expect
        .poll(() => view.locator('#elapsed').textContent(), { timeout: 10_000 })
        .toMatch(/Elapsed 0:0[1-9]/);
      await expect
        .poll(async () => (await recorded(page)).calls.filter((c) => c.name === 'asr_task_status').length, {
          timeout: 15_000,
        })
        .toBeGreaterThan(0);
      await shot(page, 'viewer-running');
      fake.holdAll = false;
      for (const id of fake.tasks.keys()) fake.release(id);
      await expect.poll(() => view.locator('li.s').count(), { timeout: 20_000 }).toBe(2);
      expect(await view.locator('#task').isVisible()).toBe(false);
      expect(await view.locator('li.s').nth(1).textContent()).toContain('Here it is.');
      await shot(page, 'viewer-running-done');
    } finally {
      fake.holdAll = false;
      if (taskId) fake.release(taskId);
      await page.context().close();
    }
  });

  it('pages a long transcript in with asr_read_transcript as the reader scrolls', async () => {
    const page = await hostPage();
    const text = Array.from(
      { length: 2000 },
      (_, i) => `Item ${i} of the long meeting is now being discussed.`,
    ).join(' ');
    const media = fake.addMedia('long.mp3', { durationS: 2 * 3600, text });
    const result = await open(page, 'asr_transcribe', {
      audio: media,
      timestamp_granularities: ['sentence'],
    });
    expect(result.structuredContent.sentences).toMatchObject({ truncated: true });
    const view = page.frameLocator('#frame');
    const rows = view.locator('li.s');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const first = await rows.count();
    expect(first).toBeLessThan(2000);
    expect(await rows.nth(0).textContent()).toContain('Item 0 of the long meeting');
    await shot(page, 'viewer-long');
    const reads = async () =>
      (await recorded(page)).calls.filter((c) => c.name === 'asr_read_transcript').length;
    const before = await reads();
    for (let i = 0; i < 3; i++) {
      await view.locator('#more').scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
    }
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(first);
    expect(await reads()).toBeGreaterThan(before);
    const calls = (await recorded(page)).calls.filter((c) => c.name === 'asr_read_transcript');
    expect(calls[0]!.arguments).toMatchObject({ format: 'json', offset: 0 });
    await shot(page, 'viewer-long-scrolled');
    // Export reads the rest first: all 2000 sentences end up in the SRT.
    await view.locator('#export-srt').click();
    await expect.poll(async () => (await recorded(page)).downloads.length, { timeout: 30_000 }).toBe(1);
    const srt = (await recorded(page)).downloads[0]![0]!.resource.text;
    expect(srt.trim().split('\n\n')).toHaveLength(2000);
    expect(srt).toContain('Item 1999 of the long meeting');
    await page.context().close();
  });

  it('records from the microphone and sends the recording inline through asr_transcribe', async () => {
    const page = await hostPage();
    const media = fake.addMedia('intro.mp3', { durationS: 5, text: 'Press record to add more.' });
    await open(page, 'asr_transcribe', { audio: media });
    const view = page.frameLocator('#frame');
    await expect.poll(() => view.locator('li.s').count()).toBe(1);
    const before = fake.requests.length;
    await view.locator('#record').click();
    await expect.poll(() => view.locator('#recorder').isVisible()).toBe(true);
    await expect.poll(() => view.locator('#rec-time').textContent(), { timeout: 10_000 }).toBe('0:02');
    expect(await view.locator('#rec-limit').textContent()).toMatch(/of 7 MiB · at most 5:00/);
    expect(Number(await view.locator('#level').getAttribute('value'))).toBeGreaterThanOrEqual(0);
    await shot(page, 'viewer-recording');
    await view.locator('#rec-stop').click();
    await expect
      .poll(async () => (await recorded(page)).calls.some((c) => c.name === 'asr_transcribe'), {
        timeout: 15_000,
      })
      .toBe(true);
    const call = (await recorded(page)).calls.find((c) => c.name === 'asr_transcribe')!;
    expect(String(call.arguments.audio)).toMatch(/^data:audio\/(webm|ogg|wav);base64,/);
    await expect
      .poll(() => view.locator('#meta').textContent(), { timeout: 15_000 })
      .toMatch(/qwen3-asr-flash/);
    const sent = fake.requests.slice(before).map((r) => JSON.stringify(r.json ?? ''));
    expect(sent.some((s) => /data:audio\/(webm|ogg|wav);base64,/.test(s))).toBe(true);
    expect(await view.locator('li.s').count()).toBeGreaterThan(0);
    expect(await view.locator('#player-box').isVisible()).toBe(false);
    expect(await view.locator('#note').textContent()).toMatch(/^No player: /);
    await shot(page, 'viewer-recorded');
    await page.context().close();
  });
});
