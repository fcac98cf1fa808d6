import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/** One chat completion request as the stand-in received it. */
export interface RecordedRequest {
  model: string;
  messages: { role: string; content: string; name?: string }[];
  max_tokens?: number;
  max_completion_tokens?: number;
  headers: IncomingMessage['headers'];
}

export interface StandInBehaviour {
  /** The answer text for a request; defaults to an echo of the last user message. */
  reply?: (request: RecordedRequest) => string;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
  /** HTTP status to fail with; the SDK retries 5xx answers, so every attempt fails. */
  failWithStatus?: number;
  /** Leaves `usage` out of the response, as some compatible servers do. */
  omitUsage?: boolean;
  /** Sends this in place of the counted usage, for servers that report invalid counts. */
  usage?: unknown;
  /** Body sent with status 200 in place of a chat completion, such as an HTML page or a completion without choices. */
  rawResponse?: { contentType: string; body: string };
}

const o200k = new Tiktoken(o200kBase);
const cl100k = new Tiktoken(cl100kBase);

/** Counts prompt tokens the way OpenAI bills them, with js-tiktoken's own encoder. */
function billedPromptTokens(request: RecordedRequest): { total: number; perMessage: number[] } {
  const encoder = /^gpt-4(?![o.])|^gpt-3\.5/.test(request.model) ? cl100k : o200k;
  const perMessage = request.messages.map((message) => {
    let tokens = 3 + encoder.encode(message.role, [], []).length + encoder.encode(message.content, [], []).length;
    if (message.name !== undefined) tokens += encoder.encode(message.name, [], []).length + 1;
    return tokens;
  });
  return { total: perMessage.reduce((sum, tokens) => sum + tokens, 3), perMessage };
}

/**
 * A local OpenAI-compatible chat completions server on 127.0.0.1. Usage is counted with
 * js-tiktoken, and cached tokens follow OpenAI's prompt caching: prompts of 1,024 tokens or
 * more reuse the longest message prefix seen before, in steps of 128 tokens.
 */
export class OpenAIStandIn {
  readonly requests: RecordedRequest[] = [];
  behaviour: StandInBehaviour = {};
  private readonly server: Server;
  private readonly seenPrefixes = new Set<string>();
  private attempts = 0;

  constructor() {
    this.server = createServer((request, response) => void this.serve(request, response));
  }

  get attemptCount(): number {
    return this.attempts;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: `No route for ${request.method} ${request.url}` } }));
      return;
    }
    this.attempts++;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<RecordedRequest, 'headers'>;
    const recorded: RecordedRequest = { ...body, headers: request.headers };
    const behaviour = this.behaviour;
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    if (response.destroyed) return;
    if (behaviour.failWithStatus) {
      response.writeHead(behaviour.failWithStatus, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'The stand-in was told to fail.', type: 'server_error' } }));
      return;
    }
    this.requests.push(recorded);
    if (behaviour.rawResponse) {
      response.writeHead(200, { 'content-type': behaviour.rawResponse.contentType, 'x-request-id': `req_${this.attempts}` });
      response.end(behaviour.rawResponse.body);
      return;
    }

    const lastUser = [...recorded.messages].reverse().find((message) => message.role === 'user');
    let text = behaviour.reply ? behaviour.reply(recorded) : `You asked: ${lastUser?.content ?? ''}`;
    const limit = recorded.max_completion_tokens ?? recorded.max_tokens ?? Infinity;
    let completionTokens = o200k.encode(text, [], []).length;
    let finishReason = 'stop';
    if (completionTokens > limit) {
      text = o200k.decode(o200k.encode(text, [], []).slice(0, limit));
      completionTokens = limit;
      finishReason = 'length';
    }
    const prompt = billedPromptTokens(recorded);
    const cachedTokens = this.cachedTokens(recorded, prompt.perMessage, prompt.total);

    const usage = {
      prompt_tokens: prompt.total,
      completion_tokens: completionTokens,
      total_tokens: prompt.total + completionTokens,
      prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    };
    response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${this.attempts}` });
    response.end(
      JSON.stringify({
        id: `chatcmpl-${this.attempts}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: recorded.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
        ...(behaviour.omitUsage ? {} : { usage: 'usage' in behaviour ? behaviour.usage : usage }),
      }),
    );
  }

  private cachedTokens(request: RecordedRequest, perMessage: number[], total: number): number {
    let prefix = '';
    let prefixTokens = 0;
    let cachedPrefixTokens = 0;
    request.messages.forEach((message, i) => {
      prefix += `${JSON.stringify(message)}\n`;
      prefixTokens += perMessage[i]!;
      if (this.seenPrefixes.has(prefix)) cachedPrefixTokens = prefixTokens;
      this.seenPrefixes.add(prefix);
    });
    if (total < 1024 || cachedPrefixTokens < 1024) return 0;
    return Math.floor(cachedPrefixTokens / 128) * 128;
  }
}
