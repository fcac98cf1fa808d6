import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { IncomingMessage } from '../../src/core/types.js';
import { openStore, StoreError } from '../../src/store/store.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { REDIS_AVAILABLE, RedisServer } from '../support/redis-server.js';

if (!REDIS_AVAILABLE) console.warn('redis-server is not installed, so the Redis store tests are skipped.');

describe.skipIf(!REDIS_AVAILABLE)('Redis store shared by two bot processes', () => {
  const redis = new RedisServer();
  let first: Harness;
  let second: Harness;
  let workspace = 0;

  beforeAll(async () => {
    await redis.start();
  });

  afterAll(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    await first?.close();
    await second?.close();
  });

  /** Starts two cores on one Redis store, as two bot processes serving one workspace would. */
  async function startPair(env: Record<string, string> = {}): Promise<string> {
    first = await startHarness({ STORE_URL: redis.url, ...env });
    second = await startHarness({ STORE_URL: redis.url, ...env });
    workspace++;
    return `T${workspace}`;
  }

  function turn(workspaceId: string, text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
    return { platform: 'slack', workspaceId, conversationId: 'C1', userId: 'U1', text, isDirectMessage: false, ...overrides };
  }

  it('keeps exact totals for 1,000 concurrent turns from both', async () => {
    const team = await startPair({ CHAT_ENABLE_CACHE: 'false' });
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        (i % 2 ? first : second).frugal.session.handle(
          turn(team, `Question ${i} about invoices`, { conversationId: `c${i % 40}`, userId: `U${i % 15}` }),
        ),
      ),
    );
    expect(replies.every((reply) => reply.kind === 'answer')).toBe(true);
    const expected = replies.reduce((sum, reply) => sum + Math.round(reply.costUsd * 1e12), 0);
    const totals = await first.frugal.store.ledger.workspaceTotals(`slack:${team}`, new Date());
    expect(totals.total.turns).toBe(1000);
    expect(totals.total.costPico).toBe(expected);
    expect(totals.today.costPico).toBe(expected);
    expect((await second.frugal.store.ledger.sumOfUsers(`slack:${team}`, 'all')).costPico).toBe(expected);
    expect(await second.frugal.store.ledger.recordCount(`slack:${team}`)).toBe(1000);
  });

  it('answers from a cache the other process filled', async () => {
    const team = await startPair();
    const answered = await first.frugal.session.handle(turn(team, 'How do I reset my password?', { conversationId: 'a' }));
    const cached = await second.frugal.session.handle(turn(team, 'how do I reset my password', { conversationId: 'b' }));
    expect(answered.kind).toBe('answer');
    expect(cached.kind).toBe('cache_hit');
    expect(cached.text).toBe(answered.text);
    expect(second.openai.attemptCount).toBe(0);
  });

  it('continues a conversation across processes', async () => {
    const team = await startPair();
    await first.frugal.session.handle(turn(team, 'My order number is 123'));
    await second.frugal.session.handle(turn(team, 'What is my order number?'));
    const request = second.openai.requests[0]!;
    expect(request.messages.map((message) => message.content)).toContain('My order number is 123');
    expect(await first.frugal.session.history.count(`slack:${team}:C1`)).toBe(4);
  });

  it('keeps every message of concurrent appends to one conversation', async () => {
    const team = await startPair({ CHAT_ENABLE_CACHE: 'false' });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).frugal.session.handle(turn(team, `Note ${i} for the record`))),
    );
    const stored = await first.frugal.session.history.all(`slack:${team}:C1`);
    expect(stored).toHaveLength(40);
    const notes = stored.filter((message) => message.role === 'user').map((message) => message.content);
    expect(new Set(notes).size).toBe(20);
  });

  it('shows one process the model pinned by the other', async () => {
    const team = await startPair();
    await first.frugal.commands.run({ platform: 'slack', workspaceId: team, userId: 'UA', name: 'model', args: 'gpt-4.1', isPlatformAdmin: true });
    expect(await second.frugal.session.settings.get(`slack:${team}`)).toEqual({ model: 'gpt-4.1' });
    const text = await second.frugal.commands.run({ platform: 'slack', workspaceId: team, userId: 'U1', name: 'stats', args: '', isPlatformAdmin: true });
    expect(text).toContain('**Workspace**');
  });

  it('grants a claim to one process only', async () => {
    await startPair();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? first : second).frugal.store.claim('delivery:Ev-shared', 60_000)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});

describe('Redis store errors', () => {
  it('names the URL without its password when Redis is unreachable', async () => {
    const attempt = openStore('redis://frugal:hunter2@127.0.0.1:1');
    await expect(attempt).rejects.toThrow(StoreError);
    await expect(attempt).rejects.toThrow(/^Cannot connect to the store redis:\/\/frugal:\*\*\*@127\.0\.0\.1:1.*Check STORE_URL/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });
});

describe.skipIf(!REDIS_AVAILABLE)('Redis store with a password', () => {
  const redis = new RedisServer();
  let url: string;

  beforeAll(async () => {
    url = await redis.start('pw-of-redis');
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('rejects a missing password with NOAUTH', async () => {
    await expect(openStore(url)).rejects.toThrow(
      new StoreError(
        `Cannot connect to the store ${url}: NOAUTH Authentication required. ` +
          'Set the user and password in STORE_URL, as in redis://default:PASSWORD@HOST:PORT.',
      ),
    );
  });

  it('rejects a wrong password with WRONGPASS', async () => {
    const attempt = openStore(url.replace('redis://', 'redis://default:wrong-pw@'));
    await expect(attempt).rejects.toThrow(/^Cannot connect to the store redis:\/\/default:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS /);
    await expect(attempt).rejects.not.toThrow(/wrong-pw/);
  });

  it('opens with the password', async () => {
    const store = await openStore(url.replace('redis://', 'redis://default:pw-of-redis@'));
    await store.kv.set('probe', 1);
    expect(await store.kv.get('probe')).toBe(1);
    await store.close();
  });
});
