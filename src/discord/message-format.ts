/** The maximum length of one Discord message's content, in characters. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/** An open fenced code block: its fence (three or more backticks or tildes) and its language tag. */
interface OpenFence {
  marker: string;
  /** The first word of the info string, or '' when there is none or it is longer than MAX_LANGUAGE_TAG. */
  language: string;
}

/** An opening fence line and the info string that follows the fence on it. */
interface FenceLine extends OpenFence {
  info: string;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * The maximum lengths of a fence and of a language tag that a split carries over to the next
 * message. Language names are a few letters, so a longer first word is not one, and a fence of
 * more than 32 backticks or tildes is kept as plain text. Both bounds keep the reopened fence a
 * small part of a message, so every split makes progress.
 */
const MAX_FENCE_LENGTH = 32;
const MAX_LANGUAGE_TAG = 32;

/** Returns the fence a line opens, or undefined when the line is not an opening fence. */
function openingFence(line: string): FenceLine | undefined {
  const match = FENCE_LINE.exec(line);
  if (!match) return undefined;
  const marker = match[1]!;
  const info = match[2]!.trim();
  // CommonMark: the info string of a backtick fence may not contain backticks.
  if (marker.startsWith('`') && info.includes('`')) return undefined;
  if (marker.length > MAX_FENCE_LENGTH) return undefined;
  const word = info.split(/\s/, 1)[0]!;
  return { marker, language: word.length <= MAX_LANGUAGE_TAG ? word : '', info };
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
 * same fence and language tag, at the start of the next, so every message renders on its own.
 * An opening fence line too long for one message is written as the fence and language tag
 * alone, followed by the rest of its info string as the first line of code.
 */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  if (text.length <= limit) return [text];

  const chunks: string[] = [];
  let current = '';
  let fence: OpenFence | undefined;

  const reopening = () => (fence ? `${fence.marker}${fence.language}` : '');
  const flush = () => {
    chunks.push(fence ? `${current}\n${fence.marker}` : current);
    current = reopening();
  };
  const append = (piece: string) => {
    current = current === '' ? piece : `${current}\n${piece}`;
  };
  const hasContent = () => current !== '' && current !== reopening();

  /** Appends one line, cutting it where it does not fit. `fenceAfter` is the fence open after the line. */
  const addLine = (line: string, fenceAfter: OpenFence | undefined) => {
    // While a fence is open, room for its closing line stays free, so a split can always close it.
    const reserve = fenceAfter ? fenceAfter.marker.length + 1 : 0;
    let rest = line;
    for (;;) {
      const prefix = current === '' ? 0 : current.length + 1;
      if (prefix + rest.length + reserve <= limit) {
        append(rest);
        break;
      }
      if (hasContent()) {
        flush();
        continue;
      }
      // Here `current` is empty or a reopened fence of bounded length, so the room is positive
      // and each cut moves at least one character of `rest` into a message.
      const cut = cutPoint(rest, limit - prefix - reserve, fence !== undefined);
      append(rest.slice(0, cut));
      rest = rest.slice(cut);
      flush();
    }
    fence = fenceAfter;
  };

  for (const line of text.split('\n')) {
    if (fence && closesFence(line, fence)) {
      addLine(fence.marker, undefined);
      continue;
    }
    const opened = fence ? undefined : openingFence(line);
    if (!opened) {
      addLine(line, fence);
      continue;
    }
    const fenceOnly = `${opened.marker}${opened.language}`;
    if (line.length + opened.marker.length + 1 <= limit) {
      addLine(line, opened);
      continue;
    }
    addLine(fenceOnly, opened);
    addLine(opened.info.slice(opened.language.length).trimStart(), opened);
  }
  if (hasContent()) chunks.push(fence ? `${current}\n${fence.marker}` : current);
  return chunks;
}
