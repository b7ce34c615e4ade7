/**
 * A loopback stand-in for the model APIs the agent SDKs call: OpenAI chat completions and responses,
 * Anthropic messages, Gemini generateContent. It records every request body and answers with the
 * smallest valid response: the first request of a conversation gets a call of `toolCall.name` with
 * `toolCall.args`; any request that already carries a tool result gets a short final text.
 */
import { createServer } from 'node:http';

const FINAL_TEXT = 'Done.';

/** Has this request body already got a tool result in it (second turn)? */
function hasToolResult(route, json) {
  switch (route) {
    case 'openai-chat':
      return (json.messages ?? []).some((m) => m.role === 'tool');
    case 'openai-responses':
      return (Array.isArray(json.input) ? json.input : []).some((i) => i?.type === 'function_call_output');
    case 'anthropic':
      return (json.messages ?? []).some(
        (m) => Array.isArray(m.content) && m.content.some((c) => c?.type === 'tool_result'),
      );
    case 'gemini':
      return (json.contents ?? []).some((c) => (c.parts ?? []).some((p) => p?.functionResponse));
    default:
      return false;
  }
}

function routeOf(method, path) {
  if (method !== 'POST') return 'unknown';
  if (/\/chat\/completions$/.test(path)) return 'openai-chat';
  if (/\/responses$/.test(path)) return 'openai-responses';
  if (/\/messages$/.test(path)) return 'anthropic';
  if (/:generateContent$/.test(path)) return 'gemini';
  return 'unknown';
}

function answer(route, json, toolCall, n) {
  const final = hasToolResult(route, json);
  const args = JSON.stringify(toolCall.args);
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  switch (route) {
    case 'openai-chat':
      return {
        id: `chatcmpl-stub-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: json.model ?? 'stub',
        choices: [
          {
            index: 0,
            message: final
              ? { role: 'assistant', content: FINAL_TEXT, refusal: null }
              : {
                  role: 'assistant',
                  content: null,
                  refusal: null,
                  tool_calls: [
                    {
                      id: `call_stub_${n}`,
                      type: 'function',
                      function: { name: toolCall.name, arguments: args },
                    },
                  ],
                },
            finish_reason: final ? 'stop' : 'tool_calls',
            logprobs: null,
          },
        ],
        usage,
      };
    case 'openai-responses':
      return {
        id: `resp_stub_${n}`,
        object: 'response',
        created_at: Math.floor(Date.now() / 1000),
        status: 'completed',
        model: json.model ?? 'stub',
        output: final
          ? [
              {
                type: 'message',
                id: `msg_stub_${n}`,
                role: 'assistant',
                status: 'completed',
                content: [{ type: 'output_text', text: FINAL_TEXT, annotations: [] }],
              },
            ]
          : [
              {
                type: 'function_call',
                id: `fc_stub_${n}`,
                call_id: `call_stub_${n}`,
                name: toolCall.name,
                arguments: args,
                status: 'completed',
              },
            ],
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: [],
        usage: {
          input_tokens: 10,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 5,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 15,
        },
      };
    case 'anthropic':
      return {
        id: `msg_stub_${n}`,
        type: 'message',
        role: 'assistant',
        model: json.model ?? 'stub',
        content: final
          ? [{ type: 'text', text: FINAL_TEXT }]
          : [{ type: 'tool_use', id: `toolu_stub_${n}`, name: toolCall.name, input: toolCall.args }],
        stop_reason: final ? 'end_turn' : 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      };
    case 'gemini':
      return {
        candidates: [
          {
            content: {
              role: 'model',
              parts: final
                ? [{ text: FINAL_TEXT }]
                : [{ functionCall: { name: toolCall.name, args: toolCall.args } }],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: json.model ?? 'stub',
      };
    default:
      return undefined;
  }
}

/**
 * Starts the stub on 127.0.0.1 (random port). `requests` holds { route, path, raw, json } for each
 * request in order. `toolCall` may be a function, read at each request.
 */
export async function startModelStub({ toolCall }) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '').split('?')[0];
      const route = routeOf(req.method, path);
      let json;
      try {
        json = raw ? JSON.parse(raw) : {};
      } catch {
        json = undefined;
      }
      requests.push({ route, method: req.method, path, raw, json });
      const body =
        json && answer(route, json, typeof toolCall === 'function' ? toolCall() : toolCall, requests.length);
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `model stub: no route for ${req.method} ${path}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_stub_${requests.length}` });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
