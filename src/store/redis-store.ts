import { createClient, type RedisClientType } from '@redis/client';
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import type { Logger } from 'pino';

import { maskUrlPassword } from '../config/config.js';
import { RedisLedger } from './redis-ledger.js';
import { type Store, StoreError } from './store.js';

const CONNECT_TIMEOUT_MS = 5000;

/** Returns whether Redis rejected the credentials: no password given (NOAUTH) or a wrong one (WRONGPASS). */
function isAuthError(error: unknown): boolean {
  return error instanceof Error && /^(NOAUTH|WRONGPASS)\b/.test(error.message);
}

/**
 * Opens a Redis store that several bot processes can share: keyv over @keyv/redis for values,
 * INCRBY for counters, SET NX for claims, and the ledger in Redis structures.
 */
export async function openRedisStore(url: string, logger?: Logger): Promise<Store> {
  const client = createClient({
    url,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Reconnect with a growing pause of up to two seconds; the first connection is checked below.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  }) as RedisClientType;
  let connected = false;
  let lastError: unknown;
  let failStart: ((error: unknown) => void) | undefined;
  client.on('error', (error: unknown) => {
    lastError = error;
    if (connected) logger?.error({ err: error, store: maskUrlPassword(url) }, 'redis connection error');
    // A wrong password fails every reconnection the same way, so there is no point waiting for the timeout.
    else if (isAuthError(error)) failStart?.(error);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // A server with requirepass accepts the connection and rejects the first command, so PING checks access.
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        failStart = reject;
        timer = setTimeout(() => reject(lastError ?? new Error('connection timed out')), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    const reason = (error as Error).message.replace(/\.+$/, '');
    const hint = isAuthError(error)
      ? 'Set the user and password in STORE_URL, as in redis://default:PASSWORD@HOST:PORT.'
      : 'Check STORE_URL and that Redis is running.';
    throw new StoreError(`Cannot connect to the store ${maskUrlPassword(url)}: ${reason}. ${hint}`);
  } finally {
    clearTimeout(timer);
  }
  connected = true;

  const adapter = new KeyvRedis(client);
  // Without throwOnErrors keyv swallows store errors, which would turn a broken store into empty history.
  const kv = new Keyv({ store: adapter, namespace: 'frugal', throwOnErrors: true });
  const ledger = new RedisLedger(client);

  return {
    kv,
    ledger,
    shared: true,
    increment: (key, amount) => client.incrBy(`frugal:counter:${key}`, amount),
    counter: async (key) => Number((await client.get(`frugal:counter:${key}`)) ?? 0),
    claim: async (key, ttlMs) => (await client.set(`frugal:claim:${key}`, '1', { NX: true, PX: ttlMs })) === 'OK',
    async close() {
      connected = false;
      await client.quit().catch(() => client.disconnect());
    },
  };
}
