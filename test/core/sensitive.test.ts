import { describe, expect, it } from 'vitest';

import { cleanMessageText, normalizeQuestion } from '../../src/core/normalize.js';
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
  ])('flags %j as %s', (text, reason) => {
    expect(detectPersonalData(text)).toContain(reason);
  });

  it.each([
    'How do I reset my password?',
    'What is 1234 + 5678?',
    'Order 4111111111111112 is late',
    'The release is version 2026.12.04',
    'Meet at 10:30 in room 4',
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

  it('keeps other mentions for the model', () => {
    expect(cleanMessageText('<@UBOT> ask <@U2> about it', ['<@UBOT>'])).toBe('ask <@U2> about it');
  });
});
