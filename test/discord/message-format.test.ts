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
});
