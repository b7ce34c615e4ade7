/**
 * Client compatibility: what the agent frameworks users drive this server from actually do with our
 * tools and results. Each client runs on Node 22 (test/external/clients/*.mjs) against the built
 * server over stdio and the local fake DashScope; its model calls go to a loopback stub that records
 * them. The checks are what a user needs: the tools convert, the conversation's next model call can
 * be made, and the transcript reaches the model once (not three times, not inside escaped JSON).
 *
 *   npm run build && npx vitest run --config test/external/vitest.config.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientRun, FakeDashScope, type Findings, runClient } from './harness.js';

/** A case inside a script: it ran through (`ok`) or failed with `error`, plus what it saw. */
type Case<T> = ({ ok: true; error?: undefined } | { ok: false; error: string }) & Partial<T>;

interface LangChainCase {
  toolMessage: { blockTypes: string[]; chars: number; transcriptCount: number };
  sentToolContent: string;
  followUpChars: number;
  followUpTranscriptCount: number;
}
interface LangChainFindings extends Findings {
  tools: string[];
  openai: Case<LangChainCase>;
  anthropic: Case<LangChainCase>;
}
interface AgentsFindings extends Findings {
  tools: Record<string, { strict: boolean }>;
  calls: { name: string; args: Record<string, unknown>; isError: boolean; blockTypes: string[] }[];
  run: Case<{
    sentStrictTools: { name: string; strict: boolean }[];
    output: {
      kind: string;
      chars: number;
      transcriptCount: number;
      hasEscapedContentArray: boolean;
      sample: string;
    };
    followUpTranscriptCount: number;
  }>;
}
interface VercelFindings extends Findings {
  tools: string[];
  run: Case<{
    modelOutput: {
      type: string;
      partTypes: string[];
      chars: number;
      transcriptCount: number;
      hasEscapedContentBlock: boolean;
    };
    sentToolOutput: string;
    followUpTranscriptCount: number;
  }>;
}
interface GeminiFindings extends Findings {
  run: Case<{
    declarations: {
      name: string;
      parametersField: string;
      parameterKeywords: string[];
      responseKeywords: string[];
    }[];
    functionResponse?: { keys: string[]; chars: number; transcriptCount: number };
  }>;
}

const fake = new FakeDashScope({ runMs: 30 });
const runs = new Map<string, Promise<ClientRun>>();

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await Promise.allSettled(runs.values());
  await fake.stop();
});

/** Runs `clients/<name>.mjs` once (its tests share the findings); it must have run, on loopback only. */
async function findings<T extends Findings>(name: string): Promise<T> {
  if (!runs.has(name)) runs.set(name, runClient(fake, name));
  const f = (await runs.get(name)!).findings;
  expect(f.fatal, `${name}.mjs could not run`).toBeUndefined();
  expect(f.blockedHosts, 'a client tried to reach a non-loopback host').toEqual([]);
  return f as T;
}

/** Keywords the Gemini API / its SDKs' schema types refuse, or that strict converters trip on. */
const UNPORTABLE = ['$schema', 'pattern', 'format', 'minLength', 'maxLength', 'minItems', 'maxItems'];

describe('LangChain.js: @langchain/mcp-adapters, default options', () => {
  for (const model of ['openai', 'anthropic'] as const) {
    const label = model === 'openai' ? 'ChatOpenAI' : 'ChatAnthropic';
    it(`${label}: the follow-up call after asr_transcribe can be built and carries the transcript once`, async () => {
      const f = await findings<LangChainFindings>('langchain');
      expect(f.tools).toEqual(expect.arrayContaining(['asr_transcribe', 'asr_task_status']));
      const c = f[model];
      expect(
        c.ok,
        `${label} follow-up threw: ${c.error}; tool message ${JSON.stringify(c.toolMessage)}`,
      ).toBe(true);
      expect(c.toolMessage?.transcriptCount, 'copies of the transcript in the ToolMessage').toBe(1);
      expect(c.followUpTranscriptCount, 'copies of the transcript in the follow-up request').toBe(1);
    });
  }
});

describe('OpenAI Agents SDK: MCPServerStdio, convertSchemasToStrict', () => {
  it('every tool converts to a strict function tool', async () => {
    const f = await findings<AgentsFindings>('openai-agents');
    expect(Object.keys(f.tools)).toEqual(expect.arrayContaining(['asr_transcribe', 'asr_task_status']));
    for (const [name, t] of Object.entries(f.tools)) expect(t.strict, name).toBe(true);
    expect(f.run.ok, f.run.error).toBe(true);
    for (const t of f.run.sentStrictTools ?? [])
      expect(t.strict, `${t.name} as sent to the model`).toBe(true);
  });

  it('a strict call (every optional property null, so omitted) is accepted by the server', async () => {
    const f = await findings<AgentsFindings>('openai-agents');
    expect(f.run.ok, f.run.error).toBe(true);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]!.isError, `server refused ${JSON.stringify(f.calls[0]!.args)}`).toBe(false);
  });

  it('the function_call_output is no escaped content array and has the transcript once', async () => {
    const f = await findings<AgentsFindings>('openai-agents');
    expect(f.run.ok, f.run.error).toBe(true);
    const out = f.run.output!;
    expect(out.hasEscapedContentArray, `output is a ${out.kind} of ${out.chars} chars: ${out.sample}`).toBe(
      false,
    );
    expect(out.transcriptCount, 'copies of the transcript in the tool output').toBe(1);
    expect(f.run.followUpTranscriptCount, 'copies of the transcript in the follow-up request').toBe(1);
  });
});

describe('Vercel AI SDK: @ai-sdk/mcp over stdio', () => {
  it('tools convert and the tool output sent to the model carries the transcript once', async () => {
    const f = await findings<VercelFindings>('vercel-ai');
    expect(f.tools).toEqual(expect.arrayContaining(['asr_transcribe', 'asr_task_status']));
    expect(f.run.ok, f.run.error).toBe(true);
    const out = f.run.modelOutput!;
    expect(out.hasEscapedContentBlock, `model output: ${JSON.stringify(out)}`).toBe(false);
    expect(out.transcriptCount, 'copies of the transcript in the model output').toBe(1);
    expect(f.run.followUpTranscriptCount, 'copies of the transcript in the follow-up request').toBe(1);
  });
});

describe('Google Gen AI SDK: mcpToTool', () => {
  it('generateContent goes through with portable parameter schemas for every tool', async () => {
    const f = await findings<GeminiFindings>('google-genai');
    expect(f.run.ok, f.run.error).toBe(true);
    const declarations = f.run.declarations ?? [];
    expect(declarations.map((d) => d.name)).toEqual(
      expect.arrayContaining(['asr_transcribe', 'asr_task_status']),
    );
    for (const d of declarations)
      expect(d.parameterKeywords, `${d.name} parameters use some of ${UNPORTABLE.join(', ')}`).toEqual([]);
    expect(f.run.functionResponse, 'the tool call was answered').toBeTruthy();
  });
});
