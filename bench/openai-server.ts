import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ANSWERS } from './answers.js';
import { exitWithParent } from './children.js';

// A zero-latency OpenAI-compatible chat completions server for the throughput section. It runs
// in its own process, so that the bot's event loop and the server's do not share one core.
// Usage is estimated at four characters a token, because exact counting would make the server
// slower than the bot it serves.

const ANSWER = ANSWERS[0]!;
const COMPLETION_TOKENS = Math.ceil(ANSWER.length / 4);
let served = 0;

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function serve(request: IncomingMessage, response: ServerResponse, raw: string): void {
  if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
    reply(response, 404, { error: { message: `No route for ${request.method} ${request.url}`, type: 'invalid_request_error' } });
    return;
  }
  let body: { model?: string; messages?: { content?: string }[] };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch (error) {
    reply(response, 400, { error: { message: `Invalid JSON body: ${(error as Error).message}`, type: 'invalid_request_error' } });
    return;
  }
  let characters = 0;
  for (const message of body.messages ?? []) characters += message.content?.length ?? 0;
  const promptTokens = Math.ceil(characters / 4);
  served++;
  reply(
    response,
    200,
    {
      id: `chatcmpl-bench-${served}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: COMPLETION_TOKENS,
        total_tokens: promptTokens + COMPLETION_TOKENS,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    },
    { 'x-request-id': `req_bench_${served}` },
  );
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => serve(request, response, Buffer.concat(chunks).toString('utf8')));
});
server.keepAliveTimeout = 60_000;

function shutdown(): void {
  server.closeAllConnections();
  server.close(() => process.exit(0));
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ baseURL: `http://127.0.0.1:${port}/v1` })}\n`);
});
process.once('SIGTERM', shutdown);
exitWithParent(shutdown);
