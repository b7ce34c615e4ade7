/** `createServer(config)`: the MCP server with its tools and resources, independent of any transport. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createProvider } from './provider/create.js';
import type { HttpClient } from './provider/http.js';
import type { AsrProvider } from './provider/index.js';
import { registerTranscriptResources } from './resources/transcripts.js';
import { registerTools } from './tools/index.js';
import { VERSION } from './version.js';

export interface ServerHandle {
  server: McpServer;
  provider: AsrProvider;
  close(): Promise<void>;
}

const INSTRUCTIONS = `Speech-to-text with Alibaba Cloud Qwen ASR.
- asr_transcribe takes a local path or URL. Leave model unset: short audio runs synchronously, long or large audio is routed to the async file-transcription model automatically.
- If a result has status PENDING or RUNNING, call asr_task_status with its task_id and wait: true.
- Keep language_hints minimal: one code only when the language is certain, else none.
- Whole transcripts are saved to files (paths in the result) and readable as transcript:// resources.`;

export function createServer(
  config: Config,
  opts: { logger?: Logger; http?: HttpClient } = {},
): ServerHandle {
  const logger = opts.logger ?? createLogger();
  const { provider, transcripts } = createProvider(config, { logger, http: opts.http });
  const server = new McpServer(
    { name: 'qwen-asr-mcp', title: 'Qwen ASR', version: VERSION },
    { capabilities: { tools: {}, resources: {}, logging: {} }, instructions: INSTRUCTIONS },
  );
  registerTools(server, { config, logger, provider });
  registerTranscriptResources(server, transcripts);
  return {
    server,
    provider,
    async close() {
      await provider.close();
      await server.close();
    },
  };
}
