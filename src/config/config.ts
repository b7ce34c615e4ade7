import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ConfigurationError } from '../domain/errors.js';
import { expandHome, resolveUserPath } from '../util/paths.js';
import { type BucketConfig, loadBucketConfig } from './bucket.js';
import { REGIONS, type Region } from './regions.js';

/** Everything the server reads from its environment, validated once at start-up. */
export interface Config {
  region: Region;
  /** Native API base, ending in `/api/v1`. */
  nativeBaseUrl: string;
  /** OpenAI-compatible base; undefined where the region documents none (sync calls go native there). */
  compatibleBaseUrl: string | undefined;
  /** DASHSCOPE_WORKSPACE (or DASHSCOPE_WORKSPACE_ID): sent as X-DashScope-WorkSpace. */
  workspace: string | undefined;
  /** ASR_DEFAULT_MODEL: the model a request with no model named starts from (else the region's). */
  defaultModel: string | undefined;
  /** Where transcripts and the task store are written (may fall back at run time, see output/paths). */
  outputDir: string;
  httpTimeoutMs: number;
  maxRetries: number;
  /** How long one tool call waits for an async job before handing back a task id. */
  waitBudgetS: number;
  progressIntervalS: number;
  /** Extra cap on the transcript shown inline, in characters (the token budget usually binds first). */
  maxTextChars: number;
  /** Budget of a tool result, in estimated tokens, for `content` and for `structuredContent` each. */
  maxResultTokens: number;
  /** ASR_RESOURCE_LINKS: add `resource_link` blocks (transcript:// URIs) to results. */
  resourceLinks: boolean;
  pollInitialMs: number;
  pollMaxMs: number;
  /** Task queries per second for the whole process (the account limit is 20 QPS). */
  maxTaskQueriesPerSecond: number;
  uploadAttempts: number;
  /** `--http`: most simultaneous connections (ASR_HTTP_MAX_CONNECTIONS); more are closed at once. */
  httpMaxConnections: number;
  /** ASR_BATCH_CONCURRENCY: files of one batch transcribed at once. */
  batchConcurrency: number;
  /** Where the API key is looked up; read at each call so a key added later works without a restart. */
  env: Record<string, string | undefined>;
  home: string;
  /** The working directory at start-up (relative paths resolve against it). */
  cwd: string;
  /** ASR_ALLOWED_DIRS: directories local audio may be read from (absolute, `~` expanded). */
  allowedDirs: string[] | undefined;
  /** ASR_BUCKET and friends (config/bucket.ts): the user's own S3-compatible bucket, when configured. */
  bucket?: BucketConfig;
  /** ASR_VIEWER_MEDIA_ORIGINS: origins whose audio the transcript viewer may play (its media domains). */
  viewerMediaOrigins: string[];
}

const REGION_ALIASES: Record<string, Region> = {
  'cn-beijing': 'cn-beijing',
  beijing: 'cn-beijing',
  cn: 'cn-beijing',
  'ap-southeast-1': 'ap-southeast-1',
  intl: 'ap-southeast-1',
  singapore: 'ap-southeast-1',
  'us-east-1': 'us-east-1',
  us: 'us-east-1',
  virginia: 'us-east-1',
};

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  opts: { home?: string; cwd?: string } = {},
): Config {
  const home = opts.home ?? homedir();
  const cwd = opts.cwd ?? process.cwd();
  const regionText = (env.DASHSCOPE_REGION || env.DASHSCOPE_API_REGION || 'cn-beijing').trim().toLowerCase();
  const region = REGION_ALIASES[regionText];
  if (!region) {
    throw new ConfigurationError(
      `DASHSCOPE_REGION "${regionText}" is not a known region. Use cn-beijing (default), ap-southeast-1 (also "intl" or "singapore") or us-east-1.`,
    );
  }
  const hosts = REGIONS[region];
  const workspace = (env.DASHSCOPE_WORKSPACE || env.DASHSCOPE_WORKSPACE_ID)?.trim() || undefined;
  const nativeOverride = optionalUrl(env, 'DASHSCOPE_HTTP_BASE_URL');
  const compatibleOverride = optionalUrl(env, 'DASHSCOPE_COMPATIBLE_BASE_URL');
  let nativeBaseUrl = nativeOverride ?? hosts.native;
  let compatibleBaseUrl = compatibleOverride ?? hosts.compatible;
  if (!compatibleOverride && nativeOverride) {
    // The official Node SDK derives the compatible base this way; keep the two in the same place. Not
    // in a region that documents no compatible mode: there only an explicit setting turns it on.
    compatibleBaseUrl =
      hosts.compatible && /\/api\/v1$/.test(nativeOverride)
        ? nativeOverride.replace(/\/api\/v1$/, '/compatible-mode/v1')
        : undefined;
  }
  const useWorkspaceHost = boolSetting(env, 'DASHSCOPE_WORKSPACE_HOST', true);
  if (workspace && hosts.workspaceHosts && useWorkspaceHost && !nativeOverride && !compatibleOverride) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(workspace)) {
      throw new ConfigurationError(
        `DASHSCOPE_WORKSPACE "${workspace}" cannot be part of a host name (workspace ids look like llm-xxxx or ws-xxxx).`,
        { hint: 'Check the id in the Model Studio console, or set DASHSCOPE_WORKSPACE_HOST=false.' },
      );
    }
    const origin = `https://${workspace.toLowerCase()}.${region}.maas.aliyuncs.com`;
    nativeBaseUrl = `${origin}/api/v1`;
    compatibleBaseUrl = `${origin}/compatible-mode/v1`;
  }

  const outputText = env.OUTPUT_DIR?.trim() || './output';
  return {
    region,
    nativeBaseUrl,
    compatibleBaseUrl,
    workspace,
    defaultModel: env.ASR_DEFAULT_MODEL?.trim() || undefined,
    outputDir: resolve(cwd, expandHome(outputText, home)),
    httpTimeoutMs: intSetting(env, 'ASR_HTTP_TIMEOUT_MS', 120_000, 100, 3_600_000),
    maxRetries: intSetting(env, 'ASR_MAX_RETRIES', 3, 0, 10),
    waitBudgetS: intSetting(env, 'ASR_WAIT_BUDGET_S', 45, 0, 43_200),
    // Never more often than twice a second: a client drowning in notifications helps nobody.
    progressIntervalS: Math.max(0.5, numberSetting(env, 'ASR_PROGRESS_INTERVAL_S', 5, 0.05, 3600)),
    maxTextChars: intSetting(env, 'ASR_MAX_TEXT_CHARS', 20_000, 200, 10_000_000),
    maxResultTokens: intSetting(env, 'ASR_MAX_RESULT_TOKENS', 10_000, 1_000, 1_000_000),
    resourceLinks: boolSetting(env, 'ASR_RESOURCE_LINKS', false),
    pollInitialMs: intSetting(env, 'ASR_POLL_INTERVAL_MS', 1000, 10, 60_000),
    pollMaxMs: intSetting(env, 'ASR_POLL_MAX_INTERVAL_MS', 5000, 10, 300_000),
    maxTaskQueriesPerSecond: intSetting(env, 'ASR_MAX_TASK_QPS', 10, 1, 20),
    uploadAttempts: intSetting(env, 'ASR_UPLOAD_ATTEMPTS', 3, 1, 10),
    httpMaxConnections: intSetting(env, 'ASR_HTTP_MAX_CONNECTIONS', 256, 1, 65_536),
    batchConcurrency: intSetting(env, 'ASR_BATCH_CONCURRENCY', 4, 1, 32),
    env,
    home,
    cwd,
    allowedDirs: allowedDirs(env.ASR_ALLOWED_DIRS, home, cwd),
    bucket: loadBucketConfig(env),
    viewerMediaOrigins: mediaOrigins(env.ASR_VIEWER_MEDIA_ORIGINS),
  };
}

/** Comma or space separated http(s) origins (`https://media.example.com`), kept as origins only. */
function mediaOrigins(value: string | undefined): string[] {
  const origins = new Set<string>();
  for (const item of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '')) {
      throw new ConfigurationError(
        `ASR_VIEWER_MEDIA_ORIGINS entry "${item}" is not an http(s) origin. Example: https://media.example.com`,
      );
    }
    origins.add(url.origin);
  }
  return [...origins];
}

/** Path-delimiter separated (`:` on Linux and macOS, `;` on Windows); empty entries ignored. */
function allowedDirs(value: string | undefined, home: string, cwd: string): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const dirs = value
    .split(delimiter)
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => resolveUserPath(d, home, cwd));
  return dirs.length > 0 ? dirs : undefined;
}

function optionalUrl(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${name} "${value}" is not a URL. Example: https://dashscope.aliyuncs.com/api/v1`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`${name} must be an http(s) URL, got "${value}".`);
  }
  return value.replace(/\/+$/, '');
}

function boolSetting(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (!text) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigurationError(`${name} must be true or false, got "${text}".`);
}

function numberSetting(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be a number from ${min} to ${max}, got "${text}".`);
  }
  return value;
}

function intSetting(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = numberSetting(env, name, fallback, min, max);
  if (!Number.isInteger(value))
    throw new ConfigurationError(`${name} must be a whole number, got "${value}".`);
  return value;
}

export interface ApiKey {
  key: string;
  /** Where it came from, for messages (never the key itself). */
  source: string;
}

/**
 * Finds the API key the way the official SDKs and the Alibaba Cloud CLI do. Called per request so a key
 * configured after start-up is picked up without restarting the client.
 */
export function resolveApiKey(config: Pick<Config, 'env' | 'home'>): ApiKey {
  const { env, home } = config;
  const direct = env.DASHSCOPE_API_KEY?.trim();
  if (direct) return { key: direct, source: 'DASHSCOPE_API_KEY' };

  const keyFile = env.DASHSCOPE_API_KEY_FILE_PATH?.trim();
  const keyPath = keyFile ? expandHome(keyFile, home) : join(home, '.dashscope', 'api_key');
  if (keyFile && !existsSync(keyPath)) {
    throw new ConfigurationError(`DASHSCOPE_API_KEY_FILE_PATH points to ${keyPath}, which does not exist.`, {
      hint: 'Fix the path, or set DASHSCOPE_API_KEY instead.',
    });
  }
  if (existsSync(keyPath)) {
    const fromFile = readFileSync(keyPath, 'utf8').trim();
    if (fromFile) return { key: fromFile, source: keyPath };
  }

  const profile = env.ALIBABA_CLOUD_PROFILE?.trim() || env.ALICLOUD_PROFILE?.trim() || 'default';
  const credentialsPath = join(home, '.alibabacloud', 'credentials');
  if (existsSync(credentialsPath)) {
    const section = parseIni(readFileSync(credentialsPath, 'utf8'))[profile];
    const fromCredentials = section?.dashscope_api_key?.trim();
    if (fromCredentials) return { key: fromCredentials, source: `${credentialsPath} [${profile}]` };
  }

  throw new ConfigurationError('No DashScope API key is configured.', {
    hint:
      'Set DASHSCOPE_API_KEY in the "env" block of your MCP client config (get a key in the Model Studio console; ' +
      `keys are region-specific), or write it to ${join(home, '.dashscope', 'api_key')}, ` +
      `or add "dashscope_api_key = ..." to the [${profile}] section of ${credentialsPath}. ` +
      'The server reads the key at each call, so no restart is needed.',
  });
}

/** Just enough INI for credentials files: sections, `key = value`, `;`/`#` comments. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header?.[1]) {
      current = sections[header[1]] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) {
      const value = line.slice(eq + 1).trim();
      current[line.slice(0, eq).trim()] = value.replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return sections;
}
