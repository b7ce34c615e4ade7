/**
 * Shared by the client-compatibility scripts (run on Node 22 from test/external): a loopback-only
 * network guard, the inputs the test harness passes in, and the one JSON line of findings.
 */
import net from 'node:net';

// Sockets may open to loopback (the fake DashScope, the model stub) and nowhere else: no SDK default
// (api.openai.com, tracing exporters, telemetry) can leave this machine even by mistake.
const LOOPBACK = /^(localhost|127(?:\.\d+){3}|::1|\[::1\]|::ffff:127(?:\.\d+){3})$/i;
export const blocked = [];
const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host = 'localhost';
  if (typeof first === 'object' && first !== null)
    host = first.path ? 'localhost' : (first.host ?? 'localhost');
  else if (typeof first === 'number' && typeof args[1] === 'string') host = args[1];
  if (!LOOPBACK.test(host)) {
    blocked.push(host);
    throw new Error(`client scripts may not connect to ${host}: only loopback is allowed`);
  }
  return original.apply(this, args);
};

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** What the harness passes in: the built server, the audio file, the transcript the fake returns. */
export const input = {
  serverEntry: need('SERVER_ENTRY'),
  audio: need('AUDIO_FILE'),
  transcript: need('EXPECTED_TEXT'),
};

/** The server's environment: everything the harness gave this script (DASHSCOPE_* aimed at the fake,
 * OUTPUT_DIR, ASR_ALLOWED_DIRS, HOME, PATH), less this script's own inputs. */
export function serverEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || ['SERVER_ENTRY', 'AUDIO_FILE', 'EXPECTED_TEXT'].includes(k)) continue;
    env[k] = v;
  }
  return env;
}

/** The server as a stdio command, run by this same Node 22. */
export const serverCommand = () => ({
  command: process.execPath,
  args: [input.serverEntry],
  env: serverEnv(),
});

/**
 * Non-overlapping occurrences of `needle` in `haystack`, outside the service's own answer: a short
 * result carries DashScope's raw response unmodified (by design), whose `message.content` holds the
 * transcript too; a copy right after a `content` key, at any level of JSON escaping, is that one.
 */
export function count(haystack, needle) {
  if (!needle) return 0;
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) {
    if (!RAW_CONTENT.test(haystack.slice(Math.max(0, i - 40), i))) n++;
  }
  return n;
}

const RAW_CONTENT = /"content\\*"\s*:\s*\\*"$/;

/** Copies of `needle` inside the raw response (see count). */
export function countInRaw(haystack, needle) {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) {
    if (RAW_CONTENT.test(haystack.slice(Math.max(0, i - 40), i))) n++;
  }
  return n;
}

/** The start of a value as JSON text (what a reader of the findings needs to see its shape). */
export function sample(value, max = 600) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return undefined;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function errorMessage(err) {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${err.name}: ${err.message}${cause}`.slice(0, 2000);
  }
  return String(err).slice(0, 2000);
}

/** Runs one case, never throwing: { ok: true, ...findings } or { ok: false, error, ...partial }. */
export async function tryCase(fn) {
  const partial = {};
  try {
    return { ok: true, ...(await fn(partial)), ...partial };
  } catch (err) {
    return { ok: false, error: errorMessage(err), ...partial };
  }
}

/** JSON Schema keywords used anywhere in a schema (keys, recursively; property names are not keywords). */
export function keywordsIn(schema, keywords) {
  const found = new Set();
  const NAMED = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
  const walk = (node, namesMap) => {
    if (Array.isArray(node)) for (const item of node) walk(item, false);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (namesMap) walk(v, false);
        else {
          if (keywords.includes(k)) found.add(k);
          walk(v, NAMED.has(k));
        }
      }
    }
  };
  walk(schema, false);
  return [...found].sort();
}

/** The one line the test reads; then exit (stdio children and keep-alive sockets must not hold us). */
export function report(findings) {
  process.stdout.write(`${JSON.stringify({ ...findings, blockedHosts: blocked })}\n`);
  process.exit(0);
}

/** Fail-safe: report whatever went wrong as a finding instead of hanging or dying silently. */
export function main(client, fn, timeoutMs = 50_000) {
  const timer = setTimeout(() => report({ client, fatal: `timed out after ${timeoutMs} ms` }), timeoutMs);
  timer.unref();
  fn().then(
    (findings) => report({ client, ...findings }),
    (err) => report({ client, fatal: errorMessage(err) }),
  );
}
