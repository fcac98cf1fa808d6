import { describe, expect, it } from 'vitest';

import { cleanMessageText, normalizeQuestion } from '../../src/core/normalize.js';
import { Router } from '../../src/core/router.js';
import { detectPersonalData } from '../../src/core/sensitive.js';

describe('detectPersonalData', () => {
  it.each([
    ['Please mail jane.doe@example.com the invoice', 'email'],
    ['Call me on +44 20 7946 0958', 'phone'],
    ['my number is (415) 555-2671', 'phone'],
    ['card 4111 1111 1111 1111 was declined', 'card'],
    ['card 4111-1111-1111-1111', 'card'],
    ['our key is sk-proj-abcdefghijklmnopqrstuvwx123', 'secret'],
    ['token xoxb-1234567890-abcdefghij', 'secret'],
    ['password: hunter2hunter2', 'secret'],
    ['AKIAIOSFODNN7EXAMPLE is in the config', 'secret'],
    ['-----BEGIN RSA PRIVATE KEY-----', 'secret'],
    ['session 8fJ2kLq9ZxW3mN7pR5tV1yB4cD6eG0hA', 'secret'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'secret'],
    ['call me on 4155552671', 'phone'],
    ['appelle-moi au 06 12 34 56 78', 'phone'],
    ['call +33 6 12 34 56 78', 'phone'],
    ['ruf +49 30 12345678 an', 'phone'],
    ['write to john＠example.com', 'email'],
    ['call ４１５-５５５-２６７１', 'phone'],
    ['Authorization: Bearer abcdef0123456789abcdef0123456789', 'secret'],
    ['my api key is 0123456789abcdef0123456789abcdef', 'secret'],
    ['glpat-abcdefghijklmnopqrst', 'secret'],
    ['DATABASE_URL=postgres://admin:S3cretPass@db.internal:5432/app', 'secret'],
  ])('flags %j as %s', (text, reason) => {
    expect(detectPersonalData(text)).toContain(reason);
  });

  it.each([
    'How do I reset my password?',
    'What is 1234 + 5678?',
    'Order 4111111111111112 is late',
    'The release is version 2026.12.04',
    'Meet at 10:30 in room 4',
    'Where is order 12345?',
    'ticket 1234567890 was closed',
    'In 2024 we paid $1,234.56 for 12 seats',
    'Upgrade from v1.2.3 to v2.0.0 failed',
    'It costs $49.99 per month, or 499.00 per year',
    'The meeting is at 10:30 or 14:45 tomorrow',
    'timestamp 1700000000 in the log',
    'What is a bearer token?',
    'my token expired yesterday',
    'the password is incorrect',
    'Set max_tokens=500 please',
    'commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
    'the ratio is +3.5 - 2.1',
    'dates 01.02.2024 and 03.04.2025',
  ])('leaves %j alone', (text) => {
    expect(detectPersonalData(text)).toEqual([]);
  });
});

describe('normalizeQuestion', () => {
  it.each([
    ['  How do I reset my   PASSWORD?! ', 'how do i reset my password'],
    ['<@U012AB3CD> how do I reset my password', 'how do i reset my password'],
    ['<@!80351110224678912> how do I reset my password?', 'how do i reset my password'],
    ['Is <#C123|general> archived?', 'is general archived'],
    ['Tom &amp; Jerry?', 'tom & jerry'],
    ['...what is 2+2?', 'what is 2+2'],
    ['ＦＵＬＬＷＩＤＴＨ text', 'fullwidth text'],
  ])('normalizes %j', (text, expected) => {
    expect(normalizeQuestion(text)).toBe(expected);
  });
});

describe('cleanMessageText', () => {
  it('removes the bot mention and unescapes entities', () => {
    expect(cleanMessageText('<@UBOT> is 3 &lt; 4 &amp; 5 &gt; 2?', ['<@UBOT>'])).toBe('is 3 < 4 & 5 > 2?');
  });

  it.each([
    ['NUL', '\u0000\u0000'],
    ['DEL', '\u007f'],
    ['zero-width space', '\u200b\u200b'],
    ['zero-width joiner', '\u200d'],
    ['byte-order mark', '\ufeff'],
    ['mixed', ' \u0000\u200b\u2060\u0007 '],
  ])('treats only %s as empty', (_kind, text) => {
    expect(cleanMessageText(text)).toBe('');
  });

  it('keeps tabs, line feeds and joiners', () => {
    expect(cleanMessageText('a\u0000b\tc\r\nd')).toBe('ab c\nd');
    expect(cleanMessageText('👨\u200d👩\u200d👧')).toBe('👨\u200d👩\u200d👧');
  });

  it('keeps other mentions for the model', () => {
    expect(cleanMessageText('<@UBOT> ask <@U2> about it', ['<@UBOT>'])).toBe('ask <@U2> about it');
  });
});

describe('text checks on hostile input', () => {
  // Each check must stay linear: a quadratic regex would take minutes on these and time the test out.
  const router = new Router({
    defaultModel: 'gpt-4o-mini',
    cheapModel: 'gpt-4o-mini',
    strongModel: 'gpt-4o',
    maxTokensSimple: 150,
    maxTokensDefault: 300,
    maxTokensComplex: 500,
    complexMinWords: 10_000_000,
  });
  const hostile = [
    'x'.repeat(200_000),
    'a1B'.repeat(70_000),
    '<@|'.repeat(70_000),
    '<https://'.repeat(25_000),
    '1 '.repeat(100_000),
    'a.'.repeat(100_000) + '@',
    '2x'.repeat(100_000) + '!',
    '@'.repeat(200_000),
  ];

  it.each(hostile.map((text) => [text.slice(0, 12), text]))('checks %j… in linear time', (_label, text) => {
    expect(Array.isArray(detectPersonalData(text))).toBe(true);
    expect(typeof normalizeQuestion(text)).toBe('string');
    expect(typeof cleanMessageText(text, ['<@UBOT>'])).toBe('string');
    expect(['simple', 'default', 'complex']).toContain(router.classify(text).queryClass);
  });
});
