/**
 * The transcript viewer, an MCP App (`ui://qwen-asr/viewer.html`): one self-contained HTML file built
 * from src/ui/viewer by scripts/build.mjs. Its metadata declares what the host's sandbox must allow: no
 * network of its own (tool calls go through the host), media from ASR_VIEWER_MEDIA_ORIGINS only, and
 * the microphone for recording. Hosts without MCP Apps never read it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadResourceResult, Resource } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../../config/config.js';
import type { FixedResources } from './transcripts.js';

/** The bundle's own folder, where the build put viewer.html (scripts/build.mjs); absent from source. */
declare const __QWEN_ASR_VIEWER_DIR__: string | undefined;

/** The built viewer page, read on first use. */
function builtViewer(): string {
  if (typeof __QWEN_ASR_VIEWER_DIR__ !== 'string') return NOT_BUILT;
  try {
    return readFileSync(join(__QWEN_ASR_VIEWER_DIR__, 'viewer.html'), 'utf8');
  } catch {
    return NOT_BUILT;
  }
}

const VIEWER_URI = 'ui://qwen-asr/viewer.html';
/**
 * The MCP Apps page type (ext-apps' RESOURCE_MIME_TYPE, which a test compares with this). Spelled out
 * here because importing ext-apps' server module builds its zod schemas on every start.
 */
const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
/**
 * What a tool definition carries to name the viewer: `_meta.ui.resourceUri` (MCP Apps 2026-01-26). The
 * older flat key (`ui/resourceUri`) is left out: asr_transcribe's listing must stay under 3,000 bytes.
 */
export const VIEWER_TOOL_META = { ui: { resourceUri: VIEWER_URI } };

const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><title>Qwen ASR</title><p>The viewer is not built: run npm run build.</p><script type="application/json" id="viewer-config">{"viewer":"CONFIG"}</script>';

function uiMeta(config: Config) {
  return {
    ui: {
      csp: { connectDomains: [], resourceDomains: config.viewerMediaOrigins },
      permissions: { microphone: {}, clipboardWrite: {} },
      prefersBorder: true,
    },
  };
}

const built = new WeakMap<Config, FixedResources>();

/** The viewer as a fixed resource, built once per configuration. */
export function viewerResources(config: Config): FixedResources {
  let fixed = built.get(config);
  if (!fixed) {
    fixed = makeViewer(config);
    built.set(config, fixed);
  }
  return fixed;
}

function makeViewer(config: Config): FixedResources {
  // The view's own settings, placed in its page (`</` escaped: it sits inside a <script> element).
  const settings = JSON.stringify({
    mediaOrigins: config.viewerMediaOrigins,
    inlineLimitBytes: 7 * 1024 * 1024,
    inlineMaxSeconds: 300,
  }).replace(/</g, '\\u003c');
  let html: string | undefined;
  const page = () => {
    html ??= builtViewer().replace('{"viewer":"CONFIG"}', () => settings);
    return html;
  };
  const listed: Resource = {
    uri: VIEWER_URI,
    name: 'viewer.html',
    title: 'Transcript viewer',
    description: 'Shows a transcript with timestamps, speakers, search, export, playback and recording.',
    mimeType: RESOURCE_MIME_TYPE,
    _meta: uiMeta(config),
  };
  return {
    list: () => [listed],
    read: (uri): ReadResourceResult | undefined =>
      uri === VIEWER_URI
        ? { contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text: page(), _meta: uiMeta(config) }] }
        : undefined,
  };
}
