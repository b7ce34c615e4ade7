/**
 * LangChain.js: @langchain/mcp-adapters with its DEFAULT options loads our tools over stdio; a chat
 * model (ChatOpenAI, then ChatAnthropic, each against the loopback model stub) asks for
 * asr_transcribe; the tool runs; its ToolMessage joins the conversation and the follow-up model
 * call is made. Findings: whether that follow-up request could be built at all, and how often the
 * transcript travels in it.
 */
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage } from '@langchain/core/messages';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { ChatOpenAI } from '@langchain/openai';
import { count, input, main, sample, serverCommand, tryCase } from './lib/common.mjs';
import { startModelStub } from './lib/model-stub.mjs';

/** The tool result as the follow-up request carries it (OpenAI chat `tool` message or Anthropic `tool_result`). */
function toolContentSent(json) {
  const tool = (json.messages ?? []).find((m) => m.role === 'tool');
  if (tool) return tool.content;
  for (const m of json.messages ?? [])
    for (const c of Array.isArray(m.content) ? m.content : []) if (c.type === 'tool_result') return c.content;
  return undefined;
}

async function conversation(makeModel, tools) {
  const stub = await startModelStub({ toolCall: { name: 'asr_transcribe', args: { audio: input.audio } } });
  try {
    return await tryCase(async (found) => {
      const model = makeModel(stub.url).bindTools(tools);
      const messages = [new HumanMessage(`Transcribe ${input.audio}`)];
      const ai = await model.invoke(messages);
      messages.push(ai);
      const call = ai.tool_calls?.[0];
      if (!call) throw new Error('the model stub did not produce a tool call');
      const tool = tools.find((t) => t.name === call.name);
      const toolMessage = await tool.invoke(call);
      messages.push(toolMessage);
      const content = toolMessage.content;
      found.toolMessage = {
        contentKind: typeof content === 'string' ? 'string' : 'blocks',
        blockTypes: typeof content === 'string' ? [] : content.map((b) => b.type),
        chars: typeof content === 'string' ? content.length : JSON.stringify(content).length,
        transcriptCount: count(
          typeof content === 'string' ? content : JSON.stringify(content),
          input.transcript,
        ),
      };
      await model.invoke(messages);
      const followUp = stub.requests.at(-1);
      return {
        requests: stub.requests.length,
        sentToolContent: sample(toolContentSent(followUp.json)),
        followUpChars: followUp.raw.length,
        followUpTranscriptCount: count(followUp.raw, input.transcript),
      };
    });
  } finally {
    await stub.close();
  }
}

main('langchain', async () => {
  const client = new MultiServerMCPClient({
    mcpServers: { asr: { transport: 'stdio', ...serverCommand() } },
  });
  try {
    const tools = await client.getTools();
    const openai = await conversation(
      (url) =>
        new ChatOpenAI({
          model: 'gpt-4o-mini',
          apiKey: 'sk-stub',
          configuration: { baseURL: `${url}/v1` },
          maxRetries: 0,
        }),
      tools,
    );
    const anthropic = await conversation(
      (url) =>
        new ChatAnthropic({
          model: 'claude-sonnet-4-5',
          apiKey: 'sk-ant-stub',
          anthropicApiUrl: url,
          maxRetries: 0,
        }),
      tools,
    );
    return { tools: tools.map((t) => t.name).sort(), openai, anthropic };
  } finally {
    await client.close();
  }
});
