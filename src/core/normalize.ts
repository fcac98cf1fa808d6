import { createHash } from 'node:crypto';

const HTML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** Replaces the HTML entities Slack and Discord escape (`&amp;`, `&lt;`, `&gt;`, quotes) with their characters. */
export function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => HTML_ENTITIES[entity] ?? entity);
}

/** Control characters other than tab and line feed, and zero-width characters that never join two others. */
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B\u2060\uFEFF]/g;
/** Zero-width joiners, kept inside text (emoji sequences and some scripts need them) but not as the only content. */
const ONLY_JOINERS = /^[\s\u200C\u200D]*$/;

/**
 * Prepares a user's text for the model: removes the bot's own mention strings, control and
 * zero-width characters (tabs and line feeds stay), unescapes entities, and trims. Other
 * platform markup is left for the model to read.
 */
export function cleanMessageText(text: string, botMentions: readonly string[] = []): string {
  let cleaned = text;
  for (const mention of botMentions) {
    if (mention) cleaned = cleaned.split(mention).join(' ');
  }
  cleaned = unescapeEntities(cleaned).replace(INVISIBLE, '').replace(/[ \t]+/g, ' ').trim();
  return ONLY_JOINERS.test(cleaned) ? '' : cleaned;
}

/**
 * Slack and Discord markup: user, role and channel mentions (`<@U1>`, `<@!1>`, `<@&1>`,
 * `<#C1|name>`), broadcast mentions (`<!here>`) and labelled links (`<https://x|label>`).
 */
const PLATFORM_ENTITY = /<(?:[@#!][^>\s|]{0,100}|(?:https?|mailto):[^>\s|]{0,2000})(?:\|([^>]{0,500}))?>/g;

/**
 * Normalizes a question into the form its cache key is built from: platform entities
 * replaced by their labels, mentions removed, Unicode NFKC, lower case, whitespace
 * collapsed and punctuation trimmed from both ends.
 */
export function normalizeQuestion(text: string): string {
  return unescapeEntities(text)
    .replace(PLATFORM_ENTITY, (_match, label: string | undefined) => (label ? ` ${label} ` : ' '))
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\p{P}\s]+|[\p{P}\s]+$/gu, '');
}

/** Returns the hex SHA-256 of a normalized question, used as its cache key and in the ledger. */
export function questionHash(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}
