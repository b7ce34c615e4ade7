/**
 * Streamable HTTP, stateless: every POST to /mcp gets a fresh MCP server on the process's one shared
 * service, so nothing about a session lives in memory and any instance can answer any request (task
 * ids are DashScope's; saved transcripts live in OUTPUT_DIR).
 *
 * Guarded like a local service must be: bound to 127.0.0.1 unless told otherwise, Host and Origin
 * checked against DNS rebinding, a bearer token of at least 16 characters required whenever it
 * listens beyond loopback, request bodies capped, and connections bounded: at most
 * ASR_HTTP_MAX_CONNECTIONS at once (more are closed as they arrive), and a connection that has not
 * sent its request headers within 10 s is closed, so slow or idle sockets cannot lock callers out.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { FileAccess } from '../../audio/access.js';
import type { Config } from '../../config/config.js';
import { ConfigurationError } from '../../domain/errors.js';
import { createService } from '../../transcription/create.js';
import type { Logger } from '../../util/log.js';
import { buildMcpServer } from '../server.js';

export const DEFAULT_HTTP_PORT = 8765;
const MCP_PATH = '/mcp';
/** Tool arguments are small, except inline audio: a 7 MiB recording is 9.33 MiB of base64. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Beyond loopback a token shorter than this is refused at start-up (the README recommends 32). */
const MIN_TOKEN_CHARS = 16;
/**
 * Node's defaults leave a socket that never finishes its headers open for 60 s. Here: 10 s for the
 * headers, checked every 2 s (so such a socket is gone within 12 s), and 120 s for a whole request to
 * arrive (it does not limit how long the answer takes: a tool call may wait longer than that).
 */
const HEADERS_TIMEOUT_MS = 10_000;
const CONNECTIONS_CHECK_MS = 2_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** How often a refused connection is logged while the cap is reached. */
const DROP_LOG_INTERVAL_MS = 60_000;

export interface HttpServerOptions {
  port: number;
  host: string;
  /** ASR_HTTP_TOKEN: required as `Authorization: Bearer …` when set; mandatory beyond loopback. */
  token?: string;
  /** ASR_HTTP_ALLOWED_HOSTS: extra Host names accepted (a public name behind which the server runs). */
  allowedHosts?: string[];
  /** ASR_HTTP_MAX_CONNECTIONS (default 256). */
  maxConnections?: number;
}

export interface HttpServerHandle {
  url: string;
  close(): Promise<void>;
  /** Background uploads still under way (for the shutdown message). */
  pendingUploads(): string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startHttpServer(
  config: Config,
  opts: HttpServerOptions,
  logger: Logger,
): Promise<HttpServerHandle> {
  const loopback = isLoopback(opts.host);
  if (!loopback && !opts.token) {
    throw new ConfigurationError(
      `Refusing to listen on ${opts.host} without a token: anyone who can reach it could transcribe on your account.`,
      {
        hint: 'Set ASR_HTTP_TOKEN to a long random string (clients send it as "Authorization: Bearer …"), or use --host 127.0.0.1.',
      },
    );
  }
  if (!loopback && opts.token && opts.token.length < MIN_TOKEN_CHARS) {
    throw new ConfigurationError(
      `Refusing to listen on ${opts.host} with an ASR_HTTP_TOKEN of ${opts.token.length} characters: beyond loopback it must have at least ${MIN_TOKEN_CHARS} (32 or more recommended), or it could be guessed.`,
      {
        hint: 'Set ASR_HTTP_TOKEN to a long random string, e.g. the output of `openssl rand -hex 32`, or use --host 127.0.0.1.',
      },
    );
  }
  const access = new FileAccess({
    home: config.home,
    cwd: config.cwd,
    allowedDirs: config.allowedDirs,
    noDefaults: true,
  });
  const shared = createService(config, { logger, access });
  const deps = { logger, service: shared.service, transcripts: shared.transcripts };
  // Host names a browser could be tricked into sending to us by DNS rebinding are refused: only the
  // loopback names (on loopback) or the configured names are accepted.
  // An IPv6 address arrives in the Host header bracketed ([2001:db8::1]:8765).
  const hostNames = new Set(
    [...(loopback ? LOOPBACK_NAMES : [opts.host]), ...(opts.allowedHosts ?? [])].map((h) =>
      (isIPv6(h) ? `[${h}]` : h).toLowerCase(),
    ),
  );
  const checkHost = loopback || (opts.allowedHosts?.length ?? 0) > 0;
  const token = opts.token ? Buffer.from(opts.token) : undefined;

  const server = createHttpServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    (req, res) => {
      handle(req, res).catch((err) => {
        logger.error(
          `HTTP request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
        else res.end();
      });
    },
  );
  // Past the cap Node closes each new connection as it arrives; say so now and then, not per socket.
  server.maxConnections = opts.maxConnections ?? 256;
  let dropped = 0;
  let droppedLoggedAt = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - droppedLoggedAt < DROP_LOG_INTERVAL_MS) return;
    droppedLoggedAt = now;
    logger.warn(
      `HTTP: ${server.maxConnections} connections open (ASR_HTTP_MAX_CONNECTIONS); refusing new ones (${dropped} so far)`,
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== MCP_PATH)
      return jsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is ${MCP_PATH}`);
    if (checkHost) {
      const host = hostName(req.headers.host);
      if (!host || !hostNames.has(host)) {
        return jsonRpcError(res, 403, -32000, `Forbidden: Host "${req.headers.host ?? ''}" is not allowed`);
      }
      const origin = req.headers.origin;
      if (origin !== undefined) {
        let originHost: string | undefined;
        try {
          originHost = hostName(new URL(origin).host);
        } catch {
          originHost = undefined;
        }
        if (!originHost || !hostNames.has(originHost)) {
          return jsonRpcError(res, 403, -32000, `Forbidden: Origin "${origin}" is not allowed`);
        }
      }
    }
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return jsonRpcError(res, 401, -32000, 'Unauthorized: send "Authorization: Bearer <ASR_HTTP_TOKEN>"');
    }
    if (req.method !== 'POST') {
      // Stateless: no session to resume or delete, and no server-initiated stream.
      res.setHeader('allow', 'POST');
      return jsonRpcError(
        res,
        405,
        -32000,
        'Method not allowed: this server is stateless; POST JSON-RPC messages',
      );
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES)
      return jsonRpcError(res, 413, -32000, `Request body over ${MAX_BODY_BYTES} bytes`);
    const raw = await readCapped(req, MAX_BODY_BYTES);
    if (raw === undefined) return jsonRpcError(res, 413, -32000, `Request body over ${MAX_BODY_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return jsonRpcError(res, 400, -32700, 'Parse error: the body is not JSON');
    }
    const mcp = buildMcpServer(config, deps);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, opts.host, opts.port)));
    server.listen(opts.port, opts.host, () => resolve());
  }).catch(async (err: unknown) => {
    await shared.service.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}${MCP_PATH}`,
    pendingUploads: () => shared.service.pendingUploads(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await shared.service.close();
    },
  };
}

/** Why the server could not listen, in words (not a bare `getaddrinfo ENOTFOUND`). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): ConfigurationError {
  const code = err.code ?? '';
  const why: Record<string, string> = {
    ENOTFOUND: `"${host}" is not a host name this machine can resolve`,
    EAI_AGAIN: `"${host}" could not be resolved right now`,
    EADDRNOTAVAIL: `${host} is not an address of this machine`,
    EADDRINUSE: `port ${port} on ${host} is already in use`,
    EACCES: `port ${port} needs privileges this process does not have`,
  };
  return new ConfigurationError(
    `Cannot listen on ${host}:${port}: ${why[code] ?? err.message}${code && why[code] ? ` (${code})` : ''}.`,
    {
      hint: 'Use --host with an address of this machine (127.0.0.1, ::1 or [::1], 0.0.0.0 for all) and a free --port (0 picks one).',
      cause: err,
    },
  );
}

/** `example.com:8765` → `example.com`; `[::1]:8765` → `[::1]`. */
function hostName(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1) || undefined;
  return h.split(':')[0] || undefined;
}

function bearerMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  return given.length === token.length && timingSafeEqual(given, token);
}

async function readCapped(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
