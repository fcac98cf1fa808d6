import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { DISCORD_MESSAGE_LIMIT, splitMessage } from '../../src/discord/message-format.js';

/** Returns each chunk's fence state at its end: the open fence line, or undefined when none is open. */
function openFenceAtEnd(chunk: string): string | undefined {
  let open: string | undefined;
  for (const line of chunk.split('\n')) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!match) continue;
    if (open === undefined) open = line;
    else if (match[2]!.trim() === '') open = undefined;
  }
  return open;
}

/**
 * Runs splitMessage in a worker with a 256 MB heap and a time limit, so that a split that never
 * ends fails the test instead of stopping the test process. Resolves with the part lengths.
 */
function splitInWorker(text: string, timeoutMs: number): Promise<{ lengths?: number[]; failure?: string }> {
  const module = new URL('../../src/discord/message-format.ts', import.meta.url).href;
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api')
      .then((api) => api.tsImport(workerData.module, workerData.module))
      .then(({ splitMessage }) => parentPort.postMessage(splitMessage(workerData.text).map((part) => part.length)));
  `;
  return new Promise((resolve) => {
    const worker = new Worker(source, { eval: true, workerData: { text, module }, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ failure: `splitMessage did not return within ${timeoutMs} ms` });
    }, timeoutMs);
    worker.once('message', (lengths: number[]) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve({ lengths });
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      resolve({ failure: error.message });
    });
  });
}

/** Returns a deterministic pseudo-random generator (mulberry32) of numbers in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds a random answer: prose, long words, emoji, and fences with short, long and absurd info strings. */
function randomAnswer(random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const words = (count: number) =>
    Array.from({ length: count }, () => pick(['curl', '-d', 'x', 'echo', 'ok', 'ünïcode', '😀😀', 'a'.repeat(1 + Math.floor(random() * 40))])).join(' ');
  const lines: string[] = [];
  const lineCount = 1 + Math.floor(random() * 60);
  for (let i = 0; i < lineCount; i++) {
    const kind = random();
    if (kind < 0.15) {
      const marker = pick(['```', '````', '~~~', '`'.repeat(40)]);
      const info = pick(['', 'ts', 'sh ' + words(1 + Math.floor(random() * 400)), 'x'.repeat(Math.floor(random() * 3000))]);
      lines.push(`${pick(['', '  '])}${marker}${info}`);
    } else if (kind < 0.25) {
      lines.push(pick(['```', '~~~', '````']));
    } else if (kind < 0.3) {
      lines.push('z'.repeat(Math.floor(random() * 5000)));
    } else if (kind < 0.35) {
      lines.push('');
    } else {
      lines.push(words(1 + Math.floor(random() * (random() < 0.1 ? 600 : 20))));
    }
  }
  return lines.join('\n');
}

/** Returns the text without whitespace and without the runs of backticks and tildes that mark fences. */
function textOutsideFenceMarkers(text: string): string {
  return text.replace(/^ {0,3}(`{3,}|~{3,})/gm, '').replace(/\s+/g, '');
}

/** Returns whether every character of `expected` appears in `actual`, in order. */
function isSubsequence(expected: string, actual: string): boolean {
  let position = 0;
  for (const character of expected) {
    position = actual.indexOf(character, position);
    if (position === -1) return false;
    position += character.length;
  }
  return true;
}

function codeLines(count: number, width = 40): string {
  return Array.from({ length: count }, (_, i) => `let value${i} = ${'x'.repeat(width)};`).join('\n');
}

describe('splitMessage', () => {
  it('keeps short text whole', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
    const exact = 'a'.repeat(DISCORD_MESSAGE_LIMIT);
    expect(splitMessage(exact)).toEqual([exact]);
  });

  it('splits plain text at line ends', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `Line ${i} ${'y'.repeat(40)}`);
    const chunks = splitMessage(lines.join('\n'));
    expect(chunks.length).toBe(3);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
    expect(chunks.join('\n')).toBe(lines.join('\n'));
  });

  it('closes and reopens a code block at a split', () => {
    const text = `Here is the fix:\n\n\`\`\`ts\n${codeLines(60)}\n\`\`\`\n\nRun it again.`;
    expect(text.length).toBeGreaterThan(2000);
    const chunks = splitMessage(text);
    expect(chunks.length).toBe(2);
    expect(chunks[0]!.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
    expect(chunks[0]!.endsWith('\n```')).toBe(true);
    expect(openFenceAtEnd(chunks[0]!)).toBeUndefined();
    expect(chunks[1]!.startsWith('```ts\n')).toBe(true);
    expect(chunks[1]!.endsWith('Run it again.')).toBe(true);
    const rejoined = chunks[0]!.slice(0, -'\n```'.length) + '\n' + chunks[1]!.slice('```ts\n'.length);
    expect(rejoined).toBe(text);
  });

  it('reopens tilde and long backtick fences as written', () => {
    for (const fence of ['~~~', '````']) {
      const text = `${fence}python\n${codeLines(120)}\n${fence}`;
      const chunks = splitMessage(text);
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
        expect(chunk.startsWith(`${fence}python\n`)).toBe(true);
        expect(chunk.endsWith(`\n${fence}`)).toBe(true);
      }
    }
  });

  it('leaves a fence closed when the split falls after it', () => {
    const text = `\`\`\`js\nshort();\n\`\`\`\n${'Prose line that is fairly long.\n'.repeat(80)}`;
    const chunks = splitMessage(text);
    expect(chunks[0]!.startsWith('```js\nshort();\n```')).toBe(true);
    for (const chunk of chunks.slice(1)) expect(chunk.startsWith('```')).toBe(false);
  });

  it('cuts a line longer than the limit', () => {
    const words = 'word '.repeat(900).trim();
    const chunks = splitMessage(words);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
    expect(chunks.join('')).toBe(words);
    expect(chunks[0]!.endsWith(' ')).toBe(true);
  });

  it('cuts a long line inside a code block', () => {
    const text = `\`\`\`\n${'z'.repeat(4500)}\n\`\`\``;
    const chunks = splitMessage(text);
    expect(chunks.length).toBe(3);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(chunk.startsWith('```\n')).toBe(true);
      expect(chunk.endsWith('\n```')).toBe(true);
    }
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(1500);
    const chunks = splitMessage(text);
    for (const chunk of chunks) expect(chunk).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
    expect(chunks.join('')).toBe(text);
  });

  it('reopens a fence with its language tag only', () => {
    const command = 'curl -d x '.repeat(200).trim();
    const text = `\`\`\`sh ${command}\n${'echo ok\n'.repeat(300)}`;
    const chunks = splitMessage(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(chunk.startsWith('```sh\n')).toBe(true);
      expect(chunk.endsWith('\n```')).toBe(true);
    }
    const code = chunks.map((chunk) => chunk.slice('```sh\n'.length, -'\n```'.length)).join('');
    expect(code.replace(/\s+/g, '')).toBe(`${command}${'echo ok'.repeat(300)}`.replace(/\s+/g, ''));
  });

  it('drops an overlong language tag when reopening', () => {
    const text = `\`\`\`${'q'.repeat(2500)}\n${codeLines(60)}\n\`\`\``;
    const chunks = splitMessage(text);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(chunk.startsWith('```\n')).toBe(true);
    }
    expect(textOutsideFenceMarkers(chunks.join('\n'))).toContain('q'.repeat(2500));
  });

  it('ends on a fence line of 2,000 characters', async () => {
    const text = '```sh ' + 'curl -d x '.repeat(200) + '\n' + 'echo ok\n'.repeat(300);
    const result = await splitInWorker(text, 10_000);
    expect(result.failure).toBeUndefined();
    expect(result.lengths!.length).toBeGreaterThan(1);
    for (const length of result.lengths!) expect(length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
  });

  it('keeps limit and text on random answers', () => {
    const random = seededRandom(20_260_104);
    for (let run = 0; run < 400; run++) {
      const text = randomAnswer(random);
      const limit = run % 4 === 0 ? 500 : DISCORD_MESSAGE_LIMIT;
      const chunks = splitMessage(text, limit);
      const context = `run ${run}, limit ${limit}, text ${JSON.stringify(text.slice(0, 80))}`;
      for (const chunk of chunks) expect(chunk.length, context).toBeLessThanOrEqual(limit);
      expect(isSubsequence(textOutsideFenceMarkers(text), textOutsideFenceMarkers(chunks.join('\n'))), context).toBe(true);
    }
  });
});
