/**
 * Rendering of the model's Markdown as Slack mrkdwn, and splitting of long text into
 * messages Slack accepts.
 *
 * Every `&`, `<` and `>` of the model's text is escaped, so the only Slack markup in the
 * output is the links built here. That is what keeps an answer from pinging anyone:
 * `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>` and `<@U…>` typed by the model
 * arrive as visible text. Plain `@here`, `@channel` and `@everyone` get a zero-width space
 * after the `@`, so that no client or `link_names` setting turns them into a mention. Both
 * rules apply inside code spans and code blocks too, because Slack does not document how it
 * treats mentions there.
 */

/** Maximum characters of one posted message; Slack rejects section blocks over 3,000. */
export const MESSAGE_LIMIT = 3000;

const ZERO_WIDTH_SPACE = '\u200b';
const FENCE = '```';
const SAFE_URL = /^(?:https?:\/\/|mailto:)[^\s<>|]+$/;
/** Markers that stand in for finished tokens while the rest of a line is rewritten. */
const TOKEN_START = '\u0000';
const TOKEN_END = '\u0001';
const BOLD_MARK = '\u0002';

/** Escapes the three characters Slack treats as markup in message text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Breaks plain-text broadcast mentions (`@here`, `@channel`, `@everyone`) with a zero-width space. */
export function defangBroadcasts(text: string): string {
  return text.replace(/@(here|channel|everyone)\b/gi, `@${ZERO_WIDTH_SPACE}$1`);
}

/** Renders code text: escaped and with broadcast mentions broken, but otherwise verbatim. */
function renderCode(code: string): string {
  return defangBroadcasts(escapeMrkdwn(code));
}

/** A line that starts with a fence of three or more backticks or tildes, and what follows the fence. */
const FENCE_LINE = /^\s*(`{3,}|~{3,})(.*)$/;

/**
 * Renders Markdown (bold, italics, strikethrough, links, headings, lists, quotes, code) as Slack
 * mrkdwn. Fences are written bare on their own lines, because Slack shows no language tag.
 * Text that a model puts on a fence line is kept. A line such as "```ls -la``` lists files" is
 * inline code. The words after a language tag become the first line of code, and text after a
 * closing fence becomes the line after the block.
 */
export function markdownToMrkdwn(markdown: string): string {
  const output: string[] = [];
  let openFence: string | undefined;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const fence = FENCE_LINE.exec(line);
    if (openFence === undefined) {
      // CommonMark: a backtick fence's info string has no backticks, so such a line is inline code.
      if (!fence || (fence[1]!.startsWith('`') && fence[2]!.includes('`'))) {
        output.push(renderLine(line));
        continue;
      }
      openFence = fence[1]!;
      output.push(FENCE);
      const code = fence[2]!.trim().replace(/^\S+\s*/, '');
      if (code !== '') output.push(renderCode(code));
      continue;
    }
    if (fence && fence[1]![0] === openFence[0] && fence[1]!.length >= openFence.length) {
      openFence = undefined;
      output.push(FENCE);
      const after = fence[2]!.trim();
      if (after !== '') output.push(renderLine(after));
      continue;
    }
    output.push(renderCode(line));
  }
  if (openFence !== undefined) output.push(FENCE);
  return output.join('\n');
}

function renderLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return heading[1] === '' ? '' : `*${renderInline(heading[1]!)}*`;
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return '──────────';

  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${indent(bullet[1]!)}• ${renderInline(bullet[2]!)}`;
  const numbered = /^(\s*)(\d+)[.)]\s+(.*)$/.exec(line);
  if (numbered) return `${indent(numbered[1]!)}${numbered[2]}. ${renderInline(numbered[3]!)}`;
  const quote = /^\s{0,3}>\s?(.*)$/.exec(line);
  if (quote) return `>${renderInline(quote[1]!)}`;
  return renderInline(line);
}

/** Keeps list nesting visible: four spaces per level, since Slack collapses leading spaces less than that. */
function indent(whitespace: string): string {
  const level = Math.floor(whitespace.replace(/\t/g, '  ').length / 2);
  return ' '.repeat(4 * level);
}

/** Renders one line outside code blocks: inline code and links first, then emphasis. */
function renderInline(text: string): string {
  const tokens: string[] = [];
  const keep = (rendered: string) => `${TOKEN_START}${tokens.push(rendered) - 1}${TOKEN_END}`;

  let rest = text.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_match, _ticks, code: string) =>
    keep(`\`${renderCode(code)}\``),
  );
  rest = rest.replace(/\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g, (_match, label: string, url: string) =>
    keep(renderLink(url, label)),
  );
  // Slack-style links the model wrote, `<https://x|label>` and `<https://x>`, stay links.
  rest = rest.replace(/<((?:https?:\/\/|mailto:)[^\s<>|]+)(?:\|([^<>]*))?>/g, (_match, url: string, label?: string) =>
    keep(renderLink(url, label ?? url)),
  );

  rest = defangBroadcasts(escapeMrkdwn(rest));
  rest = rest
    .replace(/\*\*(?=\S)([^*]+?)(?<=\S)\*\*/g, `${BOLD_MARK}$1${BOLD_MARK}`)
    .replace(/(?<![\w\\])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `${BOLD_MARK}$1${BOLD_MARK}`)
    .replace(/(?<![\w*\\])\*(?=[^\s*])([^*]*?)(?<=[^\s*])\*(?![\w*])/g, '_$1_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replace(new RegExp(BOLD_MARK, 'g'), '*');

  return rest.replace(new RegExp(`${TOKEN_START}(\\d+)${TOKEN_END}`, 'g'), (_match, index: string) => tokens[Number(index)]!);
}

/** Builds `<url|label>`; a URL that is not plain http(s) or mailto stays visible text. */
function renderLink(url: string, label: string): string {
  const text = defangBroadcasts(escapeMrkdwn(label.trim() || url));
  if (!SAFE_URL.test(url)) return `${text} (${escapeMrkdwn(url)})`;
  const target = url.replace(/&/g, '&amp;');
  return label.trim() === url ? `<${target}>` : `<${target}|${text}>`;
}

/**
 * Splits rendered mrkdwn into messages of at most `limit` characters. It cuts at line
 * breaks where it can, then at spaces, and never inside an entity (`&amp;`) or a link
 * (`<url|label>`). A code block cut in two is closed and reopened, so both parts render as code.
 */
export function splitMrkdwn(text: string, limit = MESSAGE_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const room = limit - 2 * (FENCE.length + 1);
  const chunks: string[] = [];
  let current: string[] = [];
  let currentLength = 0;
  let inFence = false;
  let chunkOpensInFence = false;

  const flush = () => {
    if (current.length === 0) return;
    let chunk = current.join('\n');
    if (chunkOpensInFence) chunk = `${FENCE}\n${chunk}`;
    if (inFence) chunk = `${chunk}\n${FENCE}`;
    chunks.push(chunk);
    current = [];
    currentLength = 0;
    chunkOpensInFence = inFence;
  };

  for (const line of text.split('\n')) {
    const pieces = line.length <= room ? [line] : cutLine(line, room);
    for (const piece of pieces) {
      if (current.length > 0 && currentLength + 1 + piece.length > room) flush();
      currentLength += (current.length === 0 ? 0 : 1) + piece.length;
      current.push(piece);
    }
    if (line === FENCE) inFence = !inFence;
  }
  inFence = false;
  flush();
  return chunks.filter((chunk) => chunk.trim() !== '');
}

/** Cuts one long line at spaces, or anywhere outside an entity or link when it has none. */
function cutLine(line: string, room: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 2) cut = room;
    cut = safeCut(rest, cut);
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/** Moves a cut position back to before an entity or link it would fall inside. */
function safeCut(text: string, cut: number): number {
  const open = text.lastIndexOf('<', cut - 1);
  if (open > 0 && text.indexOf('>', open) >= cut) return open;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp > 0 && cut - amp < 6 && !text.slice(amp, cut).includes(';')) return amp;
  return cut;
}
