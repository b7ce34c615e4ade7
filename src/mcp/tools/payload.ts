import type { ToolPayload } from './result.js';

/** A small result laid out like the others: a header line (and lines after it), then compact JSON. */
export function linesAndJson(lines: string[], data: Record<string, unknown>): ToolPayload {
  return {
    content: [
      { type: 'text', text: lines.join('\n') },
      { type: 'text', text: JSON.stringify(data) },
    ],
    structuredContent: data,
  };
}
