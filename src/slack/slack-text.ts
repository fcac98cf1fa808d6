/**
 * Translates Slack's message markup into the plain text a model reads. The bot's own
 * mention is kept as `<@BOT>`, so that the core can strip it (IncomingMessage.botMentions),
 * and HTML entities (`&amp;`, `&lt;`, `&gt;`) are left for the core to unescape.
 *
 * - `<@U123|name>` and `<@U123>` become `@name` and `@U123`;
 * - `<#C123|general>` becomes `#general`;
 * - `<!here>`, `<!channel>`, `<!everyone>` become `@here`, `@channel`, `@everyone`;
 * - `<!subteam^S123|@team>` becomes `@team`, and `<!date^…|fallback>` its fallback text;
 * - `<https://x|label>` becomes `label (https://x)`, `<https://x>` becomes `https://x`.
 */
export function slackToPlainText(text: string, botUserId: string): string {
  return text.replace(/<([@#!])?([^>|]*)(?:\|([^>]*))?>/g, (_match, sigil: string | undefined, target: string, label?: string) => {
    if (sigil === '@') {
      if (target === botUserId) return `<@${botUserId}>`;
      return `@${label || target}`;
    }
    if (sigil === '#') return `#${label || target}`;
    if (sigil === '!') {
      if (label) return label.startsWith('@') || target.startsWith('date^') ? label : `@${label}`;
      const special = target.split('^')[0]!;
      return special === 'subteam' ? `@${target.split('^')[1] ?? 'team'}` : `@${special}`;
    }
    if (target.startsWith('mailto:')) return label || target.slice('mailto:'.length);
    if (label && label !== target) return `${label} (${target})`;
    return target;
  });
}

/** Returns the mention strings the core removes from a message: `<@BOT>`. */
export function botMentionsOf(botUserId: string): string[] {
  return [`<@${botUserId}>`];
}
