import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type WebSocket, WebSocketServer } from 'ws';

export const BOT_ID = '1100000000000000001';
export const APPLICATION_ID = BOT_ID;
export const GUILD_ID = '1200000000000000001';
export const OWNER_ID = '1100000000000000009';
export const CHANNEL_ID = '1300000000000000001';
export const OTHER_CHANNEL_ID = '1300000000000000002';
export const THREAD_ID = '1300000000000000003';
export const DM_CHANNEL_ID = '1300000000000000004';
export const BOT_ROLE_ID = '1200000000000000002';
export const STAFF_ROLE_ID = '1200000000000000003';

export const BOT_USER = { id: BOT_ID, username: 'Frugal', discriminator: '0', global_name: null, avatar: null, bot: true };

/** One REST request as the stand-in received it. */
export interface RecordedCall {
  /** Order of arrival among all calls. */
  seq: number;
  method: string;
  /** The path after `/api/v10`, such as `/channels/1/messages`. */
  path: string;
  query: URLSearchParams;
  body: any;
  /** The status and body the stand-in answered with, set once it answered. */
  status?: number;
  response?: any;
}

export interface StandInResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Returns a response to send instead of the default one, or undefined to keep the default. */
export type CallHook = (call: RecordedCall) => StandInResponse | undefined | Promise<StandInResponse | undefined>;

interface GatewayFrame {
  op: number;
  d: any;
  s?: number | null;
  t?: string | null;
}

/**
 * A local stand-in of Discord on 127.0.0.1: a REST API that records every call, and a gateway
 * WebSocket server that speaks the handshake (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeat
 * ACKs, RESUME) and then sends whatever dispatches a test asks for. JSON encoding, no compression.
 */
export class DiscordStandIn {
  readonly calls: RecordedCall[] = [];
  readonly identifies: any[] = [];
  readonly gatewayQueries: URLSearchParams[] = [];
  hook: CallHook | undefined;
  /** When set, the gateway closes the connection with this code instead of answering IDENTIFY. */
  identifyCloseCode: number | undefined;
  heartbeatIntervalMs = 1000;
  heartbeatAcks = 0;
  /** When set, the gateway answers every WebSocket upgrade with this HTTP status instead of accepting it. */
  gatewayUpgradeStatus: number | undefined;
  rejectedUpgrades = 0;
  resumes = 0;
  /** When true, the gateway never answers IDENTIFY, so the client never becomes ready. */
  ignoreIdentify = false;

  private readonly server: Server;
  private readonly gateway: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly waiters = new Set<() => void>();
  private port = 0;
  private sequence = 0;
  private nextSnowflake = 1_500_000_000_000_000_000n;

  constructor() {
    this.server = createServer((request, response) => void this.serve(request, response));
    this.gateway = new WebSocketServer({
      server: this.server,
      verifyClient: (_info, accept) => {
        if (this.gatewayUpgradeStatus === undefined) {
          accept(true);
          return;
        }
        this.rejectedUpgrades += 1;
        accept(false, this.gatewayUpgradeStatus);
        this.notify();
      },
    });
    this.gateway.on('connection', (socket, request) => this.accept(socket, request));
  }

  /** Starts listening and returns the REST base URL to use as DISCORD_API_URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/api`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.gateway.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Open gateway connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Closes every gateway connection with a WebSocket close code, as Discord does on a gateway error. */
  closeConnections(code: number, reason: string): void {
    for (const socket of this.sockets) socket.close(code, reason);
  }

  /** Returns a new snowflake id, increasing like Discord's. */
  snowflake(): string {
    this.nextSnowflake += 1n;
    return this.nextSnowflake.toString();
  }

  /** Sends a dispatch event to every connected client. */
  dispatch(event: string, data: unknown): void {
    this.sequence += 1;
    for (const socket of this.sockets) this.send(socket, { op: 0, t: event, s: this.sequence, d: data });
  }

  /** Resolves with the first call, recorded or future, that matches; fails after `timeoutMs`. */
  waitForCall(match: (call: RecordedCall) => boolean, description: string, timeoutMs = 5000): Promise<RecordedCall> {
    return this.waitUntil(() => this.calls.find(match), description, timeoutMs);
  }

  /**
   * Resolves once `check` returns a value other than undefined. It re-checks after every call and
   * gateway frame, and every 10 ms for state outside the stand-in such as log lines.
   */
  waitUntil<T>(check: () => T | undefined, description: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.calls.map((call) => `${call.method} ${call.path}`).join(', ');
        reject(new Error(`Timed out waiting for ${description}; calls so far: ${seen || 'none'}`));
      }, timeoutMs);
      const poll = setInterval(() => void attempt(), 10);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(waiter);
      };
      const waiter = () => void attempt();
      if (attempt()) return;
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Returns the messages the bot posted in a channel, in order. */
  messagesIn(channelId: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === 'POST' && call.path === `/channels/${channelId}/messages`);
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    this.gatewayQueries.push(new URL(request.url ?? '/', 'http://127.0.0.1').searchParams);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('message', (raw) => this.onFrame(socket, JSON.parse(raw.toString()) as GatewayFrame));
    this.send(socket, { op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs } });
  }

  private onFrame(socket: WebSocket, frame: GatewayFrame): void {
    if (frame.op === 1) {
      this.heartbeatAcks += 1;
      this.send(socket, { op: 11, d: null });
    } else if (frame.op === 2) {
      this.identifies.push(frame.d);
      if (this.ignoreIdentify) {
        this.notify();
        return;
      }
      if (this.identifyCloseCode !== undefined) {
        socket.close(this.identifyCloseCode, 'Disallowed intent(s).');
        return;
      }
      this.sequence += 1;
      this.send(socket, { op: 0, t: 'READY', s: this.sequence, d: this.readyPayload() });
      this.sequence += 1;
      this.send(socket, { op: 0, t: 'GUILD_CREATE', s: this.sequence, d: guildPayload() });
    } else if (frame.op === 6) {
      // RESUME: the stand-in keeps no missed events, so it confirms the session at once.
      this.resumes += 1;
      this.sequence += 1;
      this.send(socket, { op: 0, t: 'RESUMED', s: this.sequence, d: null });
    }
    this.notify();
  }

  private readyPayload() {
    return {
      v: 10,
      user: { ...BOT_USER, verified: true, mfa_enabled: false, flags: 0 },
      guilds: [{ id: GUILD_ID, unavailable: true }],
      session_id: 'stand-in-session',
      resume_gateway_url: `ws://127.0.0.1:${this.port}`,
      shard: [0, 1],
      application: { id: APPLICATION_ID, flags: 1 << 19 },
    };
  }

  private send(socket: WebSocket, frame: GatewayFrame): void {
    socket.send(JSON.stringify({ s: null, t: null, ...frame }));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const text = Buffer.concat(chunks).toString('utf8');
    const call: RecordedCall = {
      seq: this.calls.length,
      method: request.method ?? 'GET',
      path: decodeURIComponent(url.pathname).replace(/^\/api\/v\d+/, ''),
      query: url.searchParams,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.calls.push(call);
    const answer = (await this.hook?.(call)) ?? this.defaultResponse(call);
    call.status = answer.status;
    call.response = answer.body;
    this.notify();
    const contentType = answer.body === undefined ? {} : { 'content-type': 'application/json' };
    response.writeHead(answer.status, { ...contentType, ...answer.headers });
    response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  private defaultResponse(call: RecordedCall): StandInResponse {
    const { method, path } = call;
    if (method === 'GET' && path === '/gateway/bot') {
      return {
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        },
      };
    }
    let match = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (method === 'POST' && match) return { status: 200, body: this.botMessage(match[1]!, call.body) };
    if (method === 'POST' && /^\/channels\/\d+\/typing$/.test(path)) return { status: 204 };
    if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return { status: 204 };
    match = /^\/webhooks\/\d+\/[^/]+(?:\/messages\/@original)?$/.exec(path);
    if ((method === 'PATCH' || method === 'POST') && match) return { status: 200, body: this.botMessage(CHANNEL_ID, call.body) };
    if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      const commands = (call.body as { name: string }[]).map((command) => ({ ...command, id: this.snowflake(), application_id: APPLICATION_ID, version: this.snowflake() }));
      return { status: 200, body: commands };
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  }

  private botMessage(channelId: string, body: any) {
    const reference = body?.message_reference;
    return {
      id: this.snowflake(),
      channel_id: channelId,
      author: BOT_USER,
      content: body?.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: reference ? 19 : 0,
      flags: body?.flags ?? 0,
      ...(reference ? { message_reference: { channel_id: channelId, message_id: reference.message_id } } : {}),
    };
  }
}

/** Builds the GUILD_CREATE payload of the test server: two text channels and an active thread. */
function guildPayload() {
  const joinedAt = '2026-01-05T10:00:00.000000+00:00';
  const textChannel = (id: string, name: string, position: number) => ({
    id,
    type: 0,
    guild_id: GUILD_ID,
    name,
    position,
    permission_overwrites: [],
    nsfw: false,
    parent_id: null,
    last_message_id: null,
    rate_limit_per_user: 0,
    topic: null,
  });
  return {
    id: GUILD_ID,
    name: 'Frugal test server',
    icon: null,
    owner_id: OWNER_ID,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      { id: GUILD_ID, name: '@everyone', permissions: '1071698660929', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      // The role Discord creates for an added bot: managed, and tagged with the bot's id.
      { id: BOT_ROLE_ID, name: 'Frugal', permissions: '274877975552', position: 1, color: 0, hoist: false, managed: true, mentionable: false, flags: 0, tags: { bot_id: BOT_ID } },
      { id: STAFF_ROLE_ID, name: 'staff', permissions: '0', position: 2, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: joinedAt,
    large: false,
    unavailable: false,
    member_count: 3,
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    members: [{ user: BOT_USER, roles: [], joined_at: joinedAt, deaf: false, mute: false, flags: 0 }],
    channels: [textChannel(CHANNEL_ID, 'support', 0), textChannel(OTHER_CHANNEL_ID, 'general', 1)],
    threads: [
      {
        id: THREAD_ID,
        type: 11,
        guild_id: GUILD_ID,
        parent_id: CHANNEL_ID,
        owner_id: OWNER_ID,
        name: 'order help',
        last_message_id: null,
        message_count: 0,
        member_count: 1,
        rate_limit_per_user: 0,
        flags: 0,
        thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: joinedAt, locked: false },
      },
    ],
  };
}
