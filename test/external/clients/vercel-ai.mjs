/**
 * Vercel AI SDK: @ai-sdk/mcp's client over its stdio transport turns our tools into AI SDK tools;
 * generateText with an OpenAI provider model (aimed at the loopback model stub, Responses API)
 * calls asr_transcribe, runs it, and sends the tool result back as the SDK converts it
 * (toModelOutput). Findings: the converted tools, the model-facing output, and the follow-up request.
 */
import { createMCPClient } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, isStepCount } from 'ai';
import { count, input, main, sample, serverCommand, tryCase } from './lib/common.mjs';
import { startModelStub } from './lib/model-stub.mjs';

main('vercel-ai', async () => {
  const client = await createMCPClient({ transport: new Experimental_StdioMCPTransport(serverCommand()) });
  try {
    const tools = await client.tools();
    const stub = await startModelStub({ toolCall: { name: 'asr_transcribe', args: { audio: input.audio } } });
    const run = await tryCase(async (found) => {
      const openai = createOpenAI({ apiKey: 'sk-stub', baseURL: `${stub.url}/v1` });
      const result = await generateText({
        model: openai('gpt-4.1-mini'),
        tools,
        prompt: `Transcribe ${input.audio}`,
        stopWhen: isStepCount(2),
        maxRetries: 0,
      });
      const toolResult = result.steps[0]?.toolResults?.[0];
      if (!toolResult) throw new Error('asr_transcribe was not executed');
      const modelOutput = await tools.asr_transcribe.toModelOutput({
        toolCallId: toolResult.toolCallId,
        input: toolResult.input,
        output: toolResult.output,
      });
      const parts = modelOutput.type === 'content' ? modelOutput.value : [];
      const text = parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
      found.modelOutput = {
        type: modelOutput.type,
        partTypes: parts.map((p) => p.type),
        chars: modelOutput.type === 'content' ? text.length : JSON.stringify(modelOutput.value).length,
        transcriptCount: count(
          modelOutput.type === 'content' ? text : JSON.stringify(modelOutput.value),
          input.transcript,
        ),
        hasEscapedContentBlock: /"type"\s*:\s*"(text|resource_link)"/.test(text),
      };
      const followUp = stub.requests.find((r) =>
        (r.json?.input ?? []).some((i) => i?.type === 'function_call_output'),
      );
      if (!followUp)
        throw new Error('no follow-up request with a function_call_output reached the model stub');
      const sent = followUp.json.input.find((i) => i.type === 'function_call_output');
      return {
        finalText: result.text,
        sentToolOutput: sample(sent.output),
        followUpChars: followUp.raw.length,
        followUpTranscriptCount: count(followUp.raw, input.transcript),
      };
    });
    await stub.close();
    return { tools: Object.keys(tools).sort(), run };
  } finally {
    await client.close();
  }
});
