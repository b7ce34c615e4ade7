/**
 * Saved transcripts as MCP resources (`transcript://<transcript_id>`), so clients that cannot read the
 * server's file system still get whole transcripts, however large the tool result had to be trimmed.
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TranscriptStore } from '../../store/transcripts.js';

export function registerTranscriptResources(server: McpServer, store: TranscriptStore): void {
  server.registerResource(
    'transcript',
    new ResourceTemplate('transcript://{transcript_id}', {
      list: async () => ({
        resources: (await store.list()).slice(0, 500).map((id) => ({
          uri: `transcript://${id}`,
          name: id,
          mimeType: 'text/plain',
          description: 'A saved transcript',
        })),
      }),
    }),
    {
      title: 'Saved transcripts',
      description:
        'Transcripts saved by asr_transcribe / asr_task_status: the text, then the full normalized JSON.',
      mimeType: 'text/plain',
    },
    async (uri, variables) => {
      const id = String(variables.transcript_id ?? '');
      const text = await store.loadText(id);
      const json = await store.load(id);
      if (text === undefined || json === undefined) {
        throw new Error(`No saved transcript ${id}. List resources to see the saved ones.`);
      }
      return {
        contents: [
          { uri: uri.href, mimeType: 'text/plain', text },
          {
            uri: `${uri.href}?format=json`,
            mimeType: 'application/json',
            text: JSON.stringify(json, null, 2),
          },
        ],
      };
    },
  );
}
