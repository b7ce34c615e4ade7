#!/usr/bin/env node
/**
 * Entry point: argv → the stdio MCP server (the default, so client configs never change), a
 * subcommand (`transcribe`, `status`), or a one-shot answer (--help, --version).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { EXIT, runCli } from './cli/run.js';
import { loadConfig } from './config.js';
import { AsrError } from './errors.js';
import { createLogger } from './log.js';
import { loadUndici } from './provider/http.js';
import { createServer } from './server.js';
import { VERSION } from './version.js';

const HELP = `qwen-asr-mcp ${VERSION}: an MCP server for speech-to-text with Alibaba Cloud Qwen ASR.

Usage:
  qwen-asr-mcp                           start the MCP server on stdio (what MCP clients run)
  qwen-asr-mcp transcribe --audio FILE   transcribe from the command line (see transcribe --help)
  qwen-asr-mcp status TASK_ID [--wait]   check or wait for an async task (see status --help)
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
  const unknown = argv.filter((a) => a.startsWith('-'));
  if (unknown.length > 0 || argv.length > 0) {
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
  const handle = createServer(config, { logger });
  const transport = new StdioServerTransport();

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    const uploads = handle.provider.pendingUploads();
    if (uploads.length > 0)
      logger.warn(`stopping with ${uploads.length} upload(s) unfinished: ${uploads.join(', ')}`);
    logger.info(`shutting down (${why})`);
    await handle.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.stdin.on('close', () => void shutdown('stdin closed'));

  await handle.server.connect(transport);
  // Load the HTTP stack once the client has its tool list, so the first call does not wait for it.
  setTimeout(() => void loadUndici().catch(() => {}), 1000).unref();
  logger.info(`qwen-asr-mcp ${VERSION} ready on stdio (region ${config.region}, output ${config.outputDir})`);
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
