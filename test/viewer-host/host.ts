/**
 * A test host for the transcript viewer, run in Chromium by test/external/checks/viewer.test.ts: it
 * talks to the real server over Streamable HTTP (same origin: the test serves this page on the
 * server's own origin through Playwright routing), reads the viewer the tool names, embeds it in a
 * sandboxed iframe on another origin (localhost instead of 127.0.0.1, also routed) with the CSP and
 * permissions of the resource's metadata, and connects it through the ext-apps AppBridge. What the view asks of the host (tool calls, downloads, links) is recorded.
 */
import {
  AppBridge,
  buildAllowAttribute,
  getToolUiResourceUri,
  type McpUiResourceCsp,
  type McpUiResourcePermissions,
  PostMessageTransport,
} from '@modelcontextprotocol/ext-apps/app-bridge';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';

interface Recorded {
  calls: { name: string; arguments: Record<string, unknown> }[];
  downloads: unknown[];
  links: string[];
  ready: boolean;
  /** The view the sandbox origin serves next, and its CSP. */
  pending?: { html: string; csp: string };
}
let opened = 0;

const recorded: Recorded = { calls: [], downloads: [], links: [], ready: false };
let client: Client | undefined;
let tools: Tool[] = [];

function cspFor(csp: McpUiResourceCsp | undefined): string {
  const media = (csp?.resourceDomains ?? []).join(' ');
  const connect = (csp?.connectDomains ?? []).join(' ');
  return [
    "default-src 'none'",
    "script-src 'unsafe-inline'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    `media-src ${media || "'none'"}`,
    `connect-src ${connect || "'none'"}`,
    "frame-src 'none'",
  ].join('; ');
}

const THEMES = {
  light: {
    '--color-background-primary': '#ffffff',
    '--color-background-secondary': '#f3f4f6',
    '--color-text-primary': '#111827',
    '--color-text-secondary': '#4b5563',
    '--color-border-primary': '#e5e7eb',
    '--font-sans': 'Georgia, serif',
  },
  dark: {
    '--color-background-primary': '#111318',
    '--color-background-secondary': '#1f232b',
    '--color-text-primary': '#e5e7eb',
    '--color-text-secondary': '#9ca3af',
    '--color-border-primary': '#374151',
    '--font-sans': 'Georgia, serif',
  },
};

async function connect(): Promise<void> {
  client = new Client({ name: 'viewer-test-host', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', location.href)));
  tools = (await client.listTools()).tools;
}

/** Shows `tool`'s result in the viewer: the host calls the tool, the view gets input and result. */
async function open(
  name: string,
  args: Record<string, unknown>,
  theme: 'light' | 'dark' = 'light',
): Promise<CallToolResult> {
  if (!client) await connect();
  const mcp = client!;
  const tool = tools.find((t) => t.name === name);
  const uri = tool && getToolUiResourceUri(tool);
  if (!uri) throw new Error(`${name} names no UI resource`);
  const read = await mcp.readResource({ uri });
  const page = read.contents[0] as { text: string; _meta?: { ui?: Record<string, unknown> } };
  const ui = page._meta?.ui as { csp?: McpUiResourceCsp; permissions?: McpUiResourcePermissions } | undefined;
  // Served by the test (Playwright routing) from another origin, as hosts serve views from a
  // sandbox origin of their own, with this CSP as a response header.
  recorded.pending = { html: page.text, csp: cspFor(ui?.csp) };
  document.getElementById('frame')?.remove();
  document.body.dataset.theme = theme;
  const iframe = document.createElement('iframe');
  iframe.id = 'frame';
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  iframe.setAttribute('allow', buildAllowAttribute(ui?.permissions));
  iframe.src = new URL(
    `/sandbox.html?n=${++opened}`,
    location.href.replace('//127.0.0.1:', '//localhost:'),
  ).href;
  document.body.append(iframe);
  recorded.ready = false;

  const bridge = new AppBridge(
    mcp,
    { name: 'viewer-test-host', version: '1.0.0' },
    { openLinks: {}, downloadFile: {}, serverTools: {}, serverResources: {}, logging: {} },
    {
      hostContext: {
        theme,
        styles: { variables: THEMES[theme] as never },
        displayMode: 'inline',
        platform: 'web',
      },
    },
  );
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  // After connect, which installs the forwarding to the client: these replace it to record.
  bridge.oncalltool = async (params) => {
    recorded.calls.push({ name: params.name, arguments: params.arguments ?? {} });
    return (await mcp.callTool(params)) as CallToolResult;
  };
  bridge.ondownloadfile = async (params) => {
    recorded.downloads.push(params.contents);
    return {};
  };
  bridge.onopenlink = async (params) => {
    recorded.links.push(params.url);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${Math.min(height, 640)}px`;
  };
  await initialized;
  recorded.ready = true;
  await bridge.sendToolInput({ arguments: args });
  const result = (await mcp.callTool({ name, arguments: args })) as CallToolResult;
  await bridge.sendToolResult(result);
  return result;
}

Object.assign(window, { host: { open, recorded } });
