import type { Store } from '../store/store.js';

/**
 * How long a delivery key is kept, in milliseconds. Slack retries an unacknowledged event
 * three times within about five minutes, so one hour covers every retry with room to spare.
 */
export const DELIVERY_KEY_TTL_MS = 60 * 60 * 1000;

/**
 * Claims deliveries so that each user message is answered once, whatever Slack sends:
 * HTTP and Socket Mode retries share the event id, and the `app_mention` and `message`
 * events that one mention produces share the channel and ts. Keys live in the store, so a
 * restarted process still recognizes a retry, and in memory, so that two events that arrive
 * together in one process cannot both pass the store lookup.
 */
export class DeliveryDedupe {
  private readonly claimed = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = DELIVERY_KEY_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Returns true when none of the keys was claimed before, and claims them all. Each store
   * claim is atomic, so of several processes sharing a store only one answers a delivery.
   */
  async claim(keys: readonly string[]): Promise<boolean> {
    this.prune();
    if (keys.some((key) => this.claimed.has(key))) return false;
    const expiresAt = this.now() + this.ttlMs;
    for (const key of keys) this.claimed.set(key, expiresAt);

    // Every store claim settles before a failure is reported, so none is still running when the caller retries.
    const claims = await Promise.allSettled(keys.map((key) => this.store.claim(storeKey(key), this.ttlMs)));
    const failure = claims.find((claim) => claim.status === 'rejected');
    if (failure) {
      // The store could not record the claim, so a retry after it recovers must get through.
      this.release(keys);
      throw failure.reason;
    }
    return claims.every((claim) => claim.status === 'fulfilled' && claim.value);
  }

  /**
   * Forgets this process's claim of a delivery whose handling failed before an answer was
   * posted, so that Slack's retry is answered.
   * NOTE: claims already written to the store stay until they expire, because the Store
   * interface has no way to remove one. A retry reaches a fresh answer only when the store
   * claim itself failed.
   */
  release(keys: readonly string[]): void {
    for (const key of keys) this.claimed.delete(key);
  }

  private prune(): void {
    const now = this.now();
    // Every key gets the same TTL, so insertion order is expiry order.
    for (const [key, expiresAt] of this.claimed) {
      if (expiresAt > now) break;
      this.claimed.delete(key);
    }
  }
}

function storeKey(key: string): string {
  return `slack:delivery:${key}`;
}

/** Builds the delivery keys of one Slack message: its event id and its channel and ts. */
export function deliveryKeys(teamId: string, channel: string, ts: string, eventId: string | undefined): string[] {
  const keys = [`message:${teamId}:${channel}:${ts}`];
  if (eventId) keys.push(`event:${eventId}`);
  return keys;
}
