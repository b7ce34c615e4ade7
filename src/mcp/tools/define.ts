/**
 * `defineTool`: the one place where tool handlers meet the protocol. It wires the request's abort
 * signal and progress token into the service, and turns every thrown error into an `isError` result
 * whose text says what went wrong and how to fix it, so the server keeps serving the next call.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { AsrError, describeError } from '../../domain/errors.js';
import type { CallContext } from '../../domain/progress.js';
import { ProgressReporter } from '../../format/progress.js';
import { scrub } from '../../util/secrets.js';
import type { ToolDeps } from './deps.js';
import type { ToolPayload } from './result.js';

export interface ToolDefinition<Shape extends z.ZodRawShape, Output> {
  name: string;
  title: string;
  description: string;
  inputShape: Shape;
  outputShape: z.ZodRawShape;
  annotations: ToolAnnotations;
  /** Listed with the tool (e.g. the MCP Apps viewer it is shown in); hosts without MCP Apps ignore it. */
  _meta?: Record<string, unknown>;
  run: (args: z.infer<z.ZodObject<Shape>>, ctx: CallContext, deps: ToolDeps) => Promise<Output>;
  /** The output as tool content and structured content. */
  present: (output: Output, deps: ToolDeps) => ToolPayload;
  /** Whether the work is over (the final progress notice says so). */
  finished?: (output: Output) => boolean;
}

export function defineTool<Shape extends z.ZodRawShape, Output>(def: ToolDefinition<Shape, Output>) {
  return def;
}

export function registerDefinedTool<Shape extends z.ZodRawShape, Output>(
  server: McpServer,
  def: ToolDefinition<Shape, Output>,
  deps: ToolDeps,
): void {
  server.registerTool(
    def.name,
    {
      title: def.title,
      description: def.description,
      inputSchema: def.inputShape,
      outputSchema: def.outputShape,
      annotations: def.annotations,
      ...(def._meta ? { _meta: def._meta } : {}),
    },
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's callback type is generic over the shape
    (async (args: any, extra: any) => {
      const token = extra?._meta?.progressToken as string | number | undefined;
      const reporter =
        token === undefined
          ? undefined
          : new ProgressReporter(
              (notice) =>
                extra.sendNotification({
                  method: 'notifications/progress',
                  params: { progressToken: token, ...notice },
                }),
              deps.config.progressIntervalS * 1000,
            );
      try {
        const output = await def.run(
          args,
          {
            signal: extra.signal,
            onProgress: reporter && ((e) => reporter.update(e)),
            // Partial text is worth streaming only to a caller that listens for progress.
            onPartial: reporter && ((text) => reporter.update({ stage: 'transcribing', partial: text })),
          },
          deps,
        );
        if (def.finished?.(output)) reporter?.update({ stage: 'done' });
        await reporter?.settle();
        // Results carry API responses verbatim; one last pass masks a key any of them echoed.
        return JSON.parse(scrub(JSON.stringify(def.present(output, deps)))) as ToolPayload;
      } catch (err) {
        await reporter?.settle();
        return errorResult(err, def.name, deps);
      } finally {
        reporter?.stop();
      }
    }) as never,
  );
}

export function errorResult(err: unknown, tool: string, deps: Pick<ToolDeps, 'logger'>) {
  const text = scrub(describeError(err));
  const kind = err instanceof AsrError ? err.kind : 'internal';
  if (kind === 'internal')
    deps.logger.error(
      `${tool} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  else deps.logger.info(`${tool}: ${kind} error: ${text.split('\n')[0]}`);
  const prefix = kind === 'internal' ? 'Internal error (please report it): ' : '';
  return { content: [{ type: 'text' as const, text: `${prefix}${text}` }], isError: true };
}
