/**
 * OpenAI Agents SDK: MCPServerStdio runs our server; getAllMcpTools with convertSchemasToStrict turns
 * each tool into a function tool; an Agent (same strict conversion) runs against the loopback model
 * stub (Responses API), which calls asr_transcribe the way a strict-mode model must: every property
 * present, the optional ones null. Findings: which tools came out strict, what the server received
 * and answered, and the function_call_output the model would read next.
 */
import {
  Agent,
  getAllMcpTools,
  MCPServerStdio,
  Runner,
  setDefaultOpenAIClient,
  setTracingDisabled,
} from '@openai/agents';
import OpenAI from 'openai';
import { count, input, keywordsIn, main, sample, serverCommand, tryCase } from './lib/common.mjs';
import { startModelStub } from './lib/model-stub.mjs';

setTracingDisabled(true);

const UNPORTABLE = ['$schema', 'pattern', 'format', 'minLength', 'maxLength', 'minItems', 'maxItems'];

main('openai-agents', async () => {
  const server = new MCPServerStdio({ name: 'asr', cacheToolsList: true, ...serverCommand() });
  await server.connect();
  const calls = [];
  const callTool = server.callTool.bind(server);
  server.callTool = async (name, args, ...rest) => {
    const content = await callTool(name, args, ...rest);
    calls.push({ name, args, isError: content?.isError === true, blockTypes: content.map((c) => c.type) });
    return content;
  };
  try {
    const converted = await getAllMcpTools({ mcpServers: [server], convertSchemasToStrict: true });
    const tools = Object.fromEntries(converted.map((t) => [t.name, { strict: t.strict === true }]));
    const transcribe = converted.find((t) => t.name === 'asr_transcribe');
    // A strict-mode model fills every property; the optional ones it does not mean are null.
    const strictArgs = Object.fromEntries(
      Object.keys(transcribe?.parameters?.properties ?? { audio: {} }).map((k) => [
        k,
        k === 'audio' ? input.audio : null,
      ]),
    );

    const stub = await startModelStub({ toolCall: { name: 'asr_transcribe', args: strictArgs } });
    const run = await tryCase(async (found) => {
      setDefaultOpenAIClient(new OpenAI({ apiKey: 'sk-stub', baseURL: `${stub.url}/v1`, maxRetries: 0 }));
      const agent = new Agent({
        name: 'transcriber',
        instructions: 'Transcribe what the user asks for.',
        model: 'gpt-4.1-mini',
        mcpServers: [server],
        mcpConfig: { convertSchemasToStrict: true },
      });
      const result = await new Runner().run(agent, `Transcribe ${input.audio}`, { maxTurns: 3 });
      found.finalOutput = result.finalOutput;
      const followUp = stub.requests.find((r) =>
        (r.json?.input ?? []).some((i) => i?.type === 'function_call_output'),
      );
      if (!followUp)
        throw new Error('no follow-up request with a function_call_output reached the model stub');
      const item = followUp.json.input.find((i) => i.type === 'function_call_output');
      const output = item.output;
      const outputText =
        typeof output === 'string'
          ? output
          : output.map((o) => (typeof o.text === 'string' ? o.text : '')).join('\n');
      return {
        sentStrictTools: (stub.requests[0].json.tools ?? []).map((t) => ({
          name: t.name,
          strict: t.strict === true,
          // Reported, not asserted: keywords that OpenAI's strict mode may not support.
          keywords: keywordsIn(t.parameters, [...UNPORTABLE, 'minimum', 'maximum']),
        })),
        output: {
          kind: typeof output === 'string' ? 'string' : 'items',
          itemTypes: typeof output === 'string' ? [] : output.map((o) => o.type),
          chars: outputText.length,
          transcriptCount: count(outputText, input.transcript),
          // A JSON-escaped MCP content array inside the text the model reads.
          hasEscapedContentArray: /"type"\s*:\s*"(text|resource_link)"/.test(outputText),
          sample: sample(output),
        },
        followUpChars: followUp.raw.length,
        followUpTranscriptCount: count(followUp.raw, input.transcript),
      };
    });
    await stub.close();
    return { tools, strictArgsSent: Object.keys(strictArgs).length, calls, run };
  } finally {
    await server.close();
  }
});
