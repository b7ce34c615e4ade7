#!/usr/bin/env node
/**
 * Entry point: argv → the stdio MCP server (the default, so client configs never change), a
 * subcommand (`transcribe`, `status`), or a one-shot answer (--help, --version).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { EXIT, runCli } from './cli/run.js';
import { loadConfig } from './config.js';
import { AsrError } from './errors.js';
import { createLogger, registerSecret } from './log.js';
import { loadUndici } from './provider/http.js';
import { createServer } from './server.js';
import { DEFAULT_HTTP_PORT, startHttpServer } from './transports/http.js';
import { VERSION } from './version.js';

const HELP = `qwen-asr-mcp ${VERSION}: an MCP server for speech-to-text with Alibaba Cloud Qwen ASR.

Usage:
  qwen-asr-mcp                           start the MCP server on stdio (what MCP clients run)
  qwen-asr-mcp transcribe --audio FILE   transcribe from the command line (see transcribe --help)
  qwen-asr-mcp status TASK_ID [--wait]   check or wait for an async task (see status --help)
  qwen-asr-mcp --http [--port N] [--host H]
                                         serve Streamable HTTP at http://H:N/mcp (default 127.0.0.1:8765;
                                         a host beyond loopback needs ASR_HTTP_TOKEN)
  qwen-asr-mcp --version                 print the version
  qwen-asr-mcp --help                    print this help

Configuration is by environment variables; the main one is DASHSCOPE_API_KEY.
See the README for the full table: DASHSCOPE_REGION, OUTPUT_DIR, ASR_WAIT_BUDGET_S, ...
`;

async function main(argv: string[]): Promise<number | undefined> {
  if (argv[0] === 'transcribe' || argv[0] === 'status') return runCommand(argv);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let http: { port: number; host: string } | undefined;
  if (argv[0] === '--http') {
    const parsed = parseHttpArgs(argv.slice(1));
    if (typeof parsed === 'string') {
      process.stderr.write(`qwen-asr-mcp: ${parsed}\n\n${HELP}`);
      return 2;
    }
    http = parsed;
  } else if (argv.length > 0) {
    process.stderr.write(`qwen-asr-mcp: unknown argument ${argv[0]}\n\n${HELP}`);
    return 2;
  }
  const logger = createLogger();
  // One bad promise must not take down a server that other calls depend on.
  process.on('unhandledRejection', (reason) => {
    logger.error(
      `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    logger.error(err instanceof AsrError ? err.describe() : String(err));
    return 1;
  }
  if (http) return serveHttp(config, http, logger);
  const handle = createServer(config, { logger });
  const transport = new StdioServerTransport();

  const shutdown = onShutdown(
    logger,
    () => handle.provider.pendingUploads(),
    () => handle.close(),
  );
  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.stdin.on('close', () => void shutdown('stdin closed'));

  await handle.server.connect(transport);
  // Load the HTTP stack once the client has its tool list, so the first call does not wait for it.
  setTimeout(() => void loadUndici().catch(() => {}), 1000).unref();
  logger.info(`qwen-asr-mcp ${VERSION} ready on stdio (region ${config.region}, output ${config.outputDir})`);
  return undefined;
}

/**
 * Stops once, on SIGTERM/SIGINT (and whatever else calls the returned function): says which uploads are
 * cut short, lets the provider record how its jobs ended, then exits 0.
 */
function onShutdown(
  logger: ReturnType<typeof createLogger>,
  pendingUploads: () => string[],
  close: () => Promise<void>,
): (why: string) => Promise<void> {
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    const uploads = pendingUploads();
    if (uploads.length > 0)
      logger.warn(`stopping with ${uploads.length} upload(s) unfinished: ${uploads.join(', ')}`);
    logger.info(`shutting down (${why})`);
    await close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}

/** `--port N` and `--host H` after `--http`; a string is a usage error. */
function parseHttpArgs(args: string[]): { port: number; host: string } | string {
  let port = DEFAULT_HTTP_PORT;
  let host = '127.0.0.1';
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--port' && value !== undefined) {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        return `--port must be 0-65535 (got "${value}")`;
      i++;
    } else if (flag === '--host' && value !== undefined) {
      host = value;
      i++;
    } else {
      return `unknown or incomplete argument ${flag} after --http (use --port N and --host H)`;
    }
  }
  return { port, host };
}

async function serveHttp(
  config: ReturnType<typeof loadConfig>,
  opts: { port: number; host: string },
  logger: ReturnType<typeof createLogger>,
): Promise<number | undefined> {
  const env = config.env;
  let handle: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    handle = await startHttpServer(
      config,
      {
        ...opts,
        token: env.ASR_HTTP_TOKEN?.trim() || undefined,
        allowedHosts: env.ASR_HTTP_ALLOWED_HOSTS?.split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      },
      logger,
    );
  } catch (err) {
    logger.error(err instanceof AsrError ? err.describe() : String(err));
    return err instanceof AsrError ? 2 : 1;
  }
  if (env.ASR_HTTP_TOKEN?.trim()) registerSecret(env.ASR_HTTP_TOKEN.trim());
  onShutdown(
    logger,
    () => handle.pendingUploads(),
    () => handle.close(),
  );
  setTimeout(() => void loadUndici().catch(() => {}), 1000).unref();
  logger.info(
    `qwen-asr-mcp ${VERSION} listening on ${handle.url} (Streamable HTTP, stateless; region ${config.region})`,
  );
  return undefined;
}

/** One CLI command; the first Ctrl-C cancels it cleanly, a second one exits at once. */
async function runCommand(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\ninterrupting (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await runCli(argv, { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`qwen-asr-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
