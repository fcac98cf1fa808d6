import { afterEach, describe, expect, it } from 'vitest';

import { HistoryStore, type StoredMessage } from '../../src/core/history.js';
import { tokenCounterFor } from '../../src/core/tokens.js';
import { openStore, type Store } from '../../src/store/store.js';

let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

const counter = tokenCounterFor('gpt-4o-mini');

function exchange(turn: number): StoredMessage[] {
  return [
    { role: 'user', content: `question ${turn}`, at: turn, tokens: {} },
    { role: 'assistant', content: `answer ${turn}`, at: turn, tokens: {} },
  ];
}

describe('HistoryStore', () => {
  it('returns the same window from memory and from the store', async () => {
    store = await openStore('sqlite://:memory:');
    const writer = new HistoryStore(store, { conversations: 100, recentMessages: 4 });
    for (let turn = 1; turn <= 6; turn++) await writer.append('conv', exchange(turn));
    const fromMemory = await writer.window('conv', 4, 10_000, counter);
    const restarted = new HistoryStore(store);
    const fromStore = await restarted.window('conv', 4, 10_000, counter);
    expect(fromMemory.messages.map((message) => message.content)).toEqual(['question 5', 'answer 5', 'question 6', 'answer 6']);
    expect(fromStore.messages.map((message) => message.content)).toEqual(fromMemory.messages.map((message) => message.content));
    expect(fromStore.storedCount).toBe(12);
    expect(fromStore.tokens).toBe(fromMemory.tokens);
  });

  it('reads evicted conversations back from the store', async () => {
    store = await openStore('sqlite://:memory:');
    const history = new HistoryStore(store, { conversations: 1, recentMessages: 10 });
    await history.append('first', exchange(1));
    await history.append('second', exchange(2));
    await history.append('first', exchange(3));
    const window = await history.window('first', 10, 10_000, counter);
    expect(window.messages.map((message) => message.content)).toEqual(['question 1', 'answer 1', 'question 3', 'answer 3']);
  });

  it('reads the store when the window is wider than memory', async () => {
    store = await openStore('sqlite://:memory:');
    const history = new HistoryStore(store, { conversations: 10, recentMessages: 2 });
    for (let turn = 1; turn <= 3; turn++) await history.append('conv', exchange(turn));
    const window = await history.window('conv', 6, 10_000, counter);
    expect(window.messages).toHaveLength(6);
    expect(window.messages[0]!.content).toBe('question 1');
  });

  it('stops at the token budget, keeping the newest messages', async () => {
    store = await openStore('sqlite://:memory:');
    const history = new HistoryStore(store);
    for (let turn = 1; turn <= 3; turn++) await history.append('conv', exchange(turn));
    // Each message is 3 overhead + 1 role + 3 content tokens ("question", " ", "3") = 7 tokens.
    const window = await history.window('conv', 6, 14, counter);
    expect(window.messages.map((message) => message.content)).toEqual(['question 3', 'answer 3']);
    expect(window.tokens).toBe(14);
    const tighter = await history.window('conv', 6, 13, counter);
    expect(tighter.messages.map((message) => message.content)).toEqual(['answer 3']);
  });
});
