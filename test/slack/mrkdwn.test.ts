import { describe, expect, it } from 'vitest';

import { markdownToMrkdwn, MESSAGE_LIMIT, splitMrkdwn } from '../../src/slack/mrkdwn.js';
import { slackToPlainText } from '../../src/slack/slack-text.js';

describe('markdownToMrkdwn', () => {
  it.each([
    ['**bold** and __bold__', '*bold* and *bold*'],
    ['*italic* and _italic_', '_italic_ and _italic_'],
    ['~~gone~~', '~gone~'],
    ['# Title', '*Title*'],
    ['### Sub heading ###', '*Sub heading*'],
    ['- one\n* two\n+ three', '• one\n• two\n• three'],
    ['- top\n  - nested', '• top\n    • nested'],
    ['1. first\n2) second', '1. first\n2. second'],
    ['> quoted', '>quoted'],
    ['---', '──────────'],
    ['[docs](https://example.com/a?b=1&c=2)', '<https://example.com/a?b=1&amp;c=2|docs>'],
    ['<https://example.com>', '<https://example.com>'],
    ['[bad](javascript:alert)', 'bad (javascript:alert)'],
    ['`a < b` and `**not bold**`', '`a &lt; b` and `**not bold**`'],
    ['snake_case_name and 2*3*4', 'snake_case_name and 2*3*4'],
    ['Fish & chips <b>', 'Fish &amp; chips &lt;b&gt;'],
  ])('renders %j', (markdown, expected) => {
    expect(markdownToMrkdwn(markdown)).toBe(expected);
  });

  it('keeps code blocks verbatim but escaped', () => {
    expect(markdownToMrkdwn('```ts\nconst x = a < b && **c**;\n```')).toBe('```\nconst x = a &lt; b &amp;&amp; **c**;\n```');
  });

  it('closes an unterminated code block', () => {
    expect(markdownToMrkdwn('```\ncode')).toBe('```\ncode\n```');
  });

  it.each([
    ['```ls -la``` lists every file.\nThen run **make**.', '`ls -la` lists every file.\nThen run *make*.'],
    ['Run:\n```bash\nmake test\n``` and check the output.\nDone.', 'Run:\n```\nmake test\n```\nand check the output.\nDone.'],
    ['```sh curl -d x <url>\necho ok\n```', '```\ncurl -d x &lt;url&gt;\necho ok\n```'],
    ['```\n~~~ not a close\n```', '```\n~~~ not a close\n```'],
  ])('keeps the text of fence line %j', (markdown, expected) => {
    expect(markdownToMrkdwn(markdown)).toBe(expected);
  });

  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here>', '&lt;!here&gt;'],
    ['<!everyone>', '&lt;!everyone&gt;'],
    ['<!subteam^S0614TZR7|@support>', '&lt;!subteam^S0614TZR7|@support&gt;'],
    ['<@U0ADMIN>', '&lt;@U0ADMIN&gt;'],
    ['@here and @Channel', '@\u200bhere and @\u200bChannel'],
    ['[@everyone](https://example.com)', '<https://example.com|@\u200beveryone>'],
    ['`<!here> @here`', '`&lt;!here&gt; @\u200bhere`'],
    ['```<!channel>``` and ``@everyone``', '`&lt;!channel&gt;` and `@\u200beveryone`'],
    ['```sh\necho "<!everyone> <@U0ADMIN> <!subteam^S1|@ops> @channel"\n```', '```\necho "&lt;!everyone&gt; &lt;@U0ADMIN&gt; &lt;!subteam^S1|@ops&gt; @\u200bchannel"\n```'],
  ])('neutralizes %j', (markdown, expected) => {
    expect(markdownToMrkdwn(markdown)).toBe(expected);
  });
});

describe('splitMrkdwn', () => {
  it('keeps short text whole', () => {
    expect(splitMrkdwn('short')).toEqual(['short']);
  });

  it('cuts at line breaks within the limit', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i} of the answer`);
    const parts = splitMrkdwn(lines.join('\n'));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(parts.join('\n')).toBe(lines.join('\n'));
  });

  it('reopens a code block cut in two', () => {
    const code = Array.from({ length: 400 }, (_, i) => `print(${i})`).join('\n');
    const parts = splitMrkdwn(`\`\`\`\n${code}\n\`\`\``);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.startsWith('```\n')).toBe(true);
      expect(part.endsWith('\n```')).toBe(true);
      expect(part.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    }
  });

  it('never cuts inside a link or an entity', () => {
    const words = Array.from({ length: 900 }, (_, i) => (i % 3 === 0 ? `<https://example.com/${i}|link ${i}>` : 'fish&amp;chips'));
    const text = words.join(' ');
    const parts = splitMrkdwn(text);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
      expect(part.split('<').length).toBe(part.split('>').length);
      expect(part).not.toMatch(/&[a-z]*$/);
    }
    expect(parts.join(' ')).toBe(text);
  });

  it('cuts a line with no spaces', () => {
    const parts = splitMrkdwn('x'.repeat(7000));
    expect(parts.map((part) => part.length).reduce((a, b) => a + b)).toBe(7000);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
  });
});

describe('slackToPlainText', () => {
  const bot = 'U0LAN0Z89';

  it.each([
    [`<@${bot}> hi`, `<@${bot}> hi`],
    [`<@${bot}|frugal> hi`, `<@${bot}> hi`],
    ['<@U0ANN|ann> and <@U0BOB>', '@ann and @U0BOB'],
    ['<#C0GEN|general> and <#C0OPS>', '#general and #C0OPS'],
    ['<!here> <!channel> <!everyone>', '@here @channel @everyone'],
    ['<!subteam^S0614TZR7|@support> <!subteam^S0614TZR7>', '@support @S0614TZR7'],
    ['<!date^1392734382^{date_short}|Feb 18, 2014>', 'Feb 18, 2014'],
    ['<https://example.com|the page> <https://example.com>', 'the page (https://example.com) https://example.com'],
    ['<mailto:ann@example.com|ann@example.com>', 'ann@example.com'],
    ['a &lt;b&gt; &amp; c', 'a &lt;b&gt; &amp; c'],
  ])('translates %j', (slack, plain) => {
    expect(slackToPlainText(slack, bot)).toBe(plain);
  });
});
