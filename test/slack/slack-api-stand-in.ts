import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'node:querystring';

/** One Web API call or response-URL post as the stand-in received it. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  authorization?: string;
}

/**
 * A scripted response: a Slack error code in an `ok: false` response, HTTP 429 with Retry-After,
 * or `pass` for a normal response, which lets a later call of the method fail.
 */
export type Failure = { error: string } | { status: 429; retryAfter: number } | 'pass';

export interface StandInUser {
  is_admin?: boolean;
  is_owner?: boolean;
}

export const BOT_USER_ID = 'U0LAN0Z89';
export const BOT_ID = 'B0LAN0Z89';
export const TEAM_ID = 'T123ABC456';

/** Arguments whose values @slack/web-api sends as JSON strings inside a form body. */
const JSON_ARGUMENTS = new Set(['blocks', 'view', 'attachments', 'metadata']);

/**
 * A local Slack Web API on 127.0.0.1 that records every call. It answers auth.test,
 * chat.postMessage, chat.update, users.info, views.publish and apps.connections.open, takes
 * response-URL posts under /respond/, and fails calls on request with Slack error codes or 429.
 */
export class SlackApiStandIn {
  readonly calls: RecordedCall[] = [];
  readonly users = new Map<string, StandInUser>();
  /** The URL apps.connections.open returns, for Socket Mode tests. */
  socketUrl = 'ws://127.0.0.1:1/';
  authError?: string;
  private readonly failures = new Map<string, Failure[]>();
  private readonly server: Server;
  private nextTs = 1_700_000_000;
  private baseUrl = '';

  constructor() {
    this.server = createServer((request, response) => void this.serve(request, response));
  }

  /** Starts the server and returns the Web API base URL, such as http://127.0.0.1:PORT/api. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return `${this.baseUrl}/api`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A response URL on this stand-in; posts to it are recorded with method `respond`. */
  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${id}`;
  }

  /** Makes the next calls of a method fail, one failure per call, in order. */
  failNext(method: string, ...failures: Failure[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...failures]);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves once `count` calls of a method were recorded, or rejects after `timeoutMs`. */
  async waitFor(method: string, count = 1, timeoutMs = 5000): Promise<RecordedCall[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.callsOf(method).length < count) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${count} ${method} calls; got ${this.callsOf(method).length}: ${this.calls.map((call) => call.method).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.callsOf(method);
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = request.url ?? '';
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };

    if (url.startsWith('/respond/')) {
      this.calls.push({ method: 'respond', args: { ...(JSON.parse(raw) as Record<string, unknown>), url } });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
      return;
    }
    const method = url.replace(/^\/api\//, '').split('?')[0]!;
    const args = parseArguments(raw, request.headers['content-type']);
    this.calls.push({ method, args, authorization: request.headers.authorization });

    const failure = this.failures.get(method)?.shift();
    if (failure === undefined || failure === 'pass') {
      json(200, this.answer(method, args));
      return;
    }
    if ('status' in failure) {
      json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      return;
    }
    json(200, { ok: false, error: failure.error });
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        if (this.authError) return { ok: false, error: this.authError };
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'frugal', team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: BOT_ID };
      case 'chat.postMessage': {
        const ts = `${this.nextTs++}.000100`;
        return { ok: true, channel: args.channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'users.info': {
        const id = String(args.user);
        return { ok: true, user: { id, team_id: TEAM_ID, name: id.toLowerCase(), is_admin: false, is_owner: false, ...this.users.get(id) } };
      }
      case 'views.publish':
        return { ok: true, view: { id: 'V1', ...(args.view as object) } };
      case 'apps.connections.open':
        return { ok: true, url: this.socketUrl };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseArguments(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = parse(raw) as Record<string, string>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    args[key] = JSON_ARGUMENTS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}
