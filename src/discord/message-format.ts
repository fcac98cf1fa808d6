/** The maximum length of one Discord message's content, in characters. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/** An open fenced code block: its fence (three or more backticks or tildes) and its info string. */
interface OpenFence {
  marker: string;
  info: string;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** Returns the fence a line opens, or undefined when the line is not an opening fence. */
function openingFence(line: string): OpenFence | undefined {
  const match = FENCE_LINE.exec(line);
  if (!match) return undefined;
  const marker = match[1]!;
  const info = match[2]!.trim();
  // CommonMark: the info string of a backtick fence may not contain backticks.
  if (marker.startsWith('`') && info.includes('`')) return undefined;
  return { marker, info };
}

/** Returns whether a line closes the open fence: the same character, at least as many, nothing after. */
function closesFence(line: string, fence: OpenFence): boolean {
  const match = FENCE_LINE.exec(line);
  if (!match) return false;
  const marker = match[1]!;
  return marker[0] === fence.marker[0] && marker.length >= fence.marker.length && match[2]!.trim() === '';
}

/** Cuts a string to at most `length` UTF-16 units without splitting a surrogate pair. */
function safeCut(text: string, length: number): number {
  if (length >= text.length) return text.length;
  const code = text.charCodeAt(length - 1);
  return code >= 0xd800 && code <= 0xdbff ? length - 1 : length;
}

/** Returns where to cut `text` so the first part has at most `room` characters, at a space when one is near. */
function cutPoint(text: string, room: number, insideCode: boolean): number {
  let cut = safeCut(text, room);
  if (!insideCode) {
    const space = text.lastIndexOf(' ', cut - 1);
    if (space > room / 2) cut = space + 1;
  }
  return Math.max(1, cut);
}

/**
 * Splits Markdown into messages of at most `limit` characters, at line ends where it can. A split
 * inside a fenced code block closes the fence at the end of one message and reopens it, with the
 * same fence and language, at the start of the next, so every message renders on its own.
 */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  if (text.length <= limit) return [text];

  const chunks: string[] = [];
  let current = '';
  let fence: OpenFence | undefined;

  const reopening = () => (fence ? `${fence.marker}${fence.info}` : '');
  const flush = () => {
    chunks.push(fence ? `${current}\n${fence.marker}` : current);
    current = reopening();
  };
  const append = (piece: string) => {
    current = current === '' ? piece : `${current}\n${piece}`;
  };

  for (const line of text.split('\n')) {
    let rest = line;
    let fenceAfter = fence;
    if (fence && closesFence(line, fence)) {
      rest = fence.marker;
      fenceAfter = undefined;
    } else if (!fence) {
      fenceAfter = openingFence(line);
    }
    // While a fence is open, room for its closing line stays free, so a split can always close it.
    const reserve = fenceAfter ? fenceAfter.marker.length + 1 : 0;

    for (;;) {
      const prefix = current === '' ? 0 : current.length + 1;
      if (prefix + rest.length + reserve <= limit) {
        append(rest);
        break;
      }
      if (current !== '' && current !== reopening()) {
        flush();
        continue;
      }
      const cut = cutPoint(rest, limit - prefix - reserve, fence !== undefined);
      append(rest.slice(0, cut));
      rest = rest.slice(cut);
      flush();
    }
    fence = fenceAfter;
  }
  if (current !== '' && current !== reopening()) chunks.push(fence ? `${current}\n${fence.marker}` : current);
  return chunks;
}
