/**
 * Google Gen AI SDK for JavaScript: mcpToTool over an MCP SDK Client (stdio) declares our tools to
 * Gemini; one generateContent call (aimed at the loopback model stub) runs with automatic function
 * calling, so the stub's call of asr_transcribe is executed and answered in a second request.
 * Findings: the JSON Schema keywords in the function declarations, whether the call went through,
 * and how the tool result travels back (functionResponse).
 */
import { GoogleGenAI, mcpToTool } from '@google/genai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { count, input, keywordsIn, main, sample, serverCommand, tryCase } from './lib/common.mjs';
import { startModelStub } from './lib/model-stub.mjs';

/** Keywords the Gemini API (or its SDKs' schema types) refuse or may refuse in function parameters. */
export const UNPORTABLE = ['$schema', 'pattern', 'format', 'minLength', 'maxLength', 'minItems', 'maxItems'];

main('google-genai', async () => {
  const client = new Client({ name: 'qwen-asr-mcp-compat', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ ...serverCommand(), stderr: 'ignore' }));
  try {
    const stub = await startModelStub({ toolCall: { name: 'asr_transcribe', args: { audio: input.audio } } });
    const run = await tryCase(async (found) => {
      const ai = new GoogleGenAI({ apiKey: 'stub-key', httpOptions: { baseUrl: stub.url } });
      const response = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: `Transcribe ${input.audio}`,
        config: { tools: [mcpToTool(client)] },
      });
      const first = stub.requests.find((r) => r.route === 'gemini');
      if (!first) throw new Error('no generateContent request reached the model stub');
      const declarations = (first.json.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
      found.declarations = declarations.map((d) => ({
        name: d.name,
        parametersField: d.parametersJsonSchema
          ? 'parametersJsonSchema'
          : d.parameters
            ? 'parameters'
            : 'none',
        parameterKeywords: keywordsIn(d.parametersJsonSchema ?? d.parameters ?? {}, UNPORTABLE),
        responseKeywords: keywordsIn(d.responseJsonSchema ?? d.response ?? {}, UNPORTABLE),
      }));
      const followUp = stub.requests.find((r) =>
        (r.json?.contents ?? []).some((c) => (c.parts ?? []).some((p) => p.functionResponse)),
      );
      const fr = followUp?.json.contents
        .flatMap((c) => c.parts ?? [])
        .find((p) => p.functionResponse)?.functionResponse;
      return {
        status: 'ok',
        finalText: response.text,
        requests: stub.requests.length,
        functionResponse: fr && {
          keys: Object.keys(fr.response ?? {}).sort(),
          chars: JSON.stringify(fr.response).length,
          transcriptCount: count(JSON.stringify(fr.response), input.transcript),
          sample: sample(fr.response),
        },
        followUpTranscriptCount: followUp ? count(followUp.raw, input.transcript) : null,
      };
    });
    await stub.close();
    return { run };
  } finally {
    await client.close();
  }
});
