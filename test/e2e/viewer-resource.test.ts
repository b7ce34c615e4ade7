/**
 * The transcript viewer as the built server offers it: `ui://qwen-asr/viewer.html` listed and readable
 * (MCP Apps MIME type, one self-contained file under 1 MiB, its CSP and permissions in its metadata),
 * linked from the three tools; and tool results unchanged for hosts without MCP Apps.
 */
import { join } from 'node:path';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir } from '../helpers/env.js';
import { connect, type Session } from '../helpers/mcp.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
let session: Session;
beforeAll(async () => {
  await fake.start();
  session = await connect(
    fake.env({
      HOME: home,
      OUTPUT_DIR: join(home, 'out'),
      ASR_VIEWER_MEDIA_ORIGINS: 'https://media.example.com, http://127.0.0.1:8123',
    }),
  );
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
});

const URI = 'ui://qwen-asr/viewer.html';
const UI_META = {
  csp: { connectDomains: [], resourceDomains: ['https://media.example.com', 'http://127.0.0.1:8123'] },
  permissions: { microphone: {}, clipboardWrite: {} },
};

describe('the viewer resource', () => {
  it('is listed and read as one self-contained MCP App page with its CSP and permissions', async () => {
    const { resources } = await session.client.listResources();
    const listed = resources.find((r) => r.uri === URI);
    expect(listed?.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(RESOURCE_MIME_TYPE).toBe('text/html;profile=mcp-app');
    expect(listed?._meta).toMatchObject({ ui: UI_META });
    const { contents } = await session.client.readResource({ uri: URI });
    const page = contents[0] as { text: string; mimeType: string; _meta: unknown };
    expect(page.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(page._meta).toMatchObject({ ui: UI_META });
    expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(1024 * 1024);
    expect(page.text).toMatch(/^<!doctype html>/);
    // Self-contained: no external script, style or fetch of its own; the settings are in the page.
    expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    expect(page.text).toContain('"mediaOrigins":["https://media.example.com","http://127.0.0.1:8123"]');
  });

  it('is linked from asr_transcribe, asr_task_status and asr_read_transcript', async () => {
    const { tools } = await session.client.listTools();
    for (const name of ['asr_transcribe', 'asr_task_status', 'asr_read_transcript']) {
      const tool = tools.find((t) => t.name === name);
      expect(tool?._meta).toEqual({ ui: { resourceUri: URI } });
    }
  });

  it('leaves tool results as they were: no UI content in them', async () => {
    const media = fake.addMedia('viewer.mp3', { durationS: 20, text: 'Nothing changes here.' });
    const r = await session.client.callTool({ name: 'asr_transcribe', arguments: { audio: media } });
    expect(r.isError).toBeFalsy();
    expect(JSON.stringify(r)).not.toMatch(/ui:\/\/|mcp-app/);
  });
});
