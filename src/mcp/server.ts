/** `createServer(config)`: the MCP server with its tools and resources, independent of any transport. */

import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { FileAccess } from '../audio/access.js';
import type { Config } from '../config/config.js';
import type { HttpClient } from '../http/client.js';
import { createService } from '../transcription/create.js';
import type { TranscriptionService } from '../transcription/service.js';
import { errorMessage } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { VERSION } from '../util/version.js';
import { Renderings } from './renderings.js';
import { registerTranscriptResources } from './resources/transcripts.js';
import { viewerResources } from './resources/viewer.js';
import { registerTools } from './tools/index.js';

export interface ServerHandle {
  server: McpServer;
  service: TranscriptionService;
  close(): Promise<void>;
}

const INSTRUCTIONS = `Speech-to-text with Alibaba Cloud Qwen ASR.
- asr_transcribe takes a local path or URL. Leave model unset: short audio runs synchronously, long or large audio is routed to the async file-transcription model automatically.
- If a result has status PENDING or RUNNING, call asr_task_status with its task_id and wait: true.
- For several files (a list, or a folder and a pattern) use asr_transcribe_batch; asr_list_tasks and asr_cancel_task manage work in progress.
- Keep language_hints minimal: one code only when the language is certain, else none.
- A long transcript is cut to fit the result: read on with asr_read_transcript from the next_offset it names.
- Transcripts are saved (paths in the result) and readable as transcript:// resources.`;

/**
 * The client's roots (`roots/list`), asked once and cached until the client says they changed.
 * A client without the capability, or one that fails to answer, has none.
 */
class ClientRoots {
  private cached: Promise<string[] | undefined> | undefined;

  constructor(
    private readonly serverOf: () => McpServer,
    private readonly logger: Logger,
  ) {}

  listen(): void {
    this.serverOf().server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      this.cached = undefined;
      this.logger.debug('client roots changed');
    });
  }

  get(): Promise<string[] | undefined> {
    if (!this.serverOf().server.getClientCapabilities()?.roots) return Promise.resolve(undefined);
    this.cached ??= this.fetch();
    return this.cached;
  }

  private async fetch(): Promise<string[] | undefined> {
    try {
      const { roots } = await this.serverOf().server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS });
      const paths = roots.flatMap((r) => {
        try {
          return r.uri.startsWith('file://') ? [fileURLToPath(r.uri)] : [];
        } catch {
          return [];
        }
      });
      this.logger.debug(`client roots: ${paths.join(', ') || '(none)'}`);
      return paths;
    } catch (err) {
      this.cached = undefined; // ask again next time
      this.logger.warn(
        `the client offers roots but roots/list failed (${errorMessage(err)}); using ASR_ALLOWED_DIRS or the default folders`,
      );
      return undefined;
    }
  }
}

const ROOTS_TIMEOUT_MS = 5000;

/** What the MCP server needs from the rest of the program; shared by every session of one process. */
export interface ServerDeps {
  logger: Logger;
  service: TranscriptionService;
}

/** One rendering cache per service: every session of a process pages through the same transcripts. */
const renderingsOf = new WeakMap<TranscriptionService, Renderings>();

/** An MCP server with our tools and resources on the given service, not yet connected to a transport. */
export function buildMcpServer(config: Config, deps: ServerDeps): McpServer {
  const server = new McpServer(
    { name: 'qwen-asr-mcp', title: 'Qwen ASR', version: VERSION },
    {
      capabilities: {
        tools: {},
        resources: {},
        logging: {},
        // MCP tasks (experimental): asr_transcribe and asr_transcribe_batch take `task`.
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      instructions: INSTRUCTIONS,
    },
  );
  let renderings = renderingsOf.get(deps.service);
  if (!renderings) {
    const service = deps.service;
    renderings = new Renderings(
      (id) => service.savedTranscript(id),
      (id) => service.savedTranscriptText(id),
    );
    renderingsOf.set(service, renderings);
  }
  registerTools(server, { config, logger: deps.logger, service: deps.service, renderings });
  registerTranscriptResources(server, { service: deps.service, renderings, fixed: viewerResources(config) });
  return server;
}

/** The stdio server: one client, whose roots (when it offers them) confine local files. */
export function createServer(
  config: Config,
  opts: { logger?: Logger; http?: HttpClient } = {},
): ServerHandle {
  const logger = opts.logger ?? createLogger();
  let server: McpServer | undefined;
  const roots = new ClientRoots(() => server!, logger);
  const access = new FileAccess({
    home: config.home,
    cwd: config.cwd,
    allowedDirs: config.allowedDirs,
    clientRoots: () => roots.get(),
  });
  const { service } = createService(config, { logger, http: opts.http, access });
  server = buildMcpServer(config, { logger, service });
  roots.listen();
  return {
    server,
    service,
    async close() {
      await service.close();
      await server!.close();
    },
  };
}
