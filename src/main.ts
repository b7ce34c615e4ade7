#!/usr/bin/env node
/**
 * Entry point: argv → the stdio MCP server (the default, so client configs never change), the
 * Streamable HTTP server (`--http`), a subcommand (`transcribe`, `status`), or a one-shot answer.
 * HTTP and the command line are imported only when asked for: stdio start-up never pays for them.
 */
import { loadConfig } from './config/config.js';
import { AsrError } from './domain/errors.js';
import { serveStdio } from './mcp/serve-stdio.js';
import { errorMessage } from './util/errors.js';
import { createLogger } from './util/log.js';
import { VERSION } from './util/version.js';

const HELP = `qwen-asr-mcp ${VERSION}: an MCP server for speech-to-text with Alibaba Cloud Qwen ASR.

Usage:
  qwen-asr-mcp                           start the MCP server on stdio (what MCP clients run)
  qwen-asr-mcp transcribe --audio FILE   transcribe from the command line (see transcribe --help)
  qwen-asr-mcp status TASK_ID [--wait]   check or wait for an async task (see status --help)
  qwen-asr-mcp --http [--port N] [--host H]
                                         serve Streamable HTTP at http://H:N/mcp (default 127.0.0.1:8765;
                                         IPv6 as [::1]; a host beyond loopback needs an ASR_HTTP_TOKEN
                                         of at least 16 characters)
  qwen-asr-mcp --version                 print the version
  qwen-asr-mcp --help                    print this help

Configuration is by environment variables; the main one is DASHSCOPE_API_KEY.
See the README for the full table: DASHSCOPE_REGION, OUTPUT_DIR, ASR_WAIT_BUDGET_S, ...
`;

async function main(argv: string[]): Promise<number | undefined> {
  if (argv[0] === 'transcribe' || argv[0] === 'status') {
    const { runCommand } = await import('./cli/run.js');
    return runCommand(argv);
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (argv.length > 0 && argv[0] !== '--http') {
    process.stderr.write(`qwen-asr-mcp: unknown argument ${argv[0]}\n\n${HELP}`);
    return 2;
  }
  const http = argv[0] === '--http' ? await import('./mcp/serve-http.js') : undefined;
  const httpArgs = http?.parseHttpArgs(argv.slice(1));
  if (typeof httpArgs === 'string') {
    process.stderr.write(`qwen-asr-mcp: ${httpArgs}\n\n${HELP}`);
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
  if (http && httpArgs) return http.serveHttp(config, httpArgs, logger);
  await serveStdio(config, logger);
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`qwen-asr-mcp: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
