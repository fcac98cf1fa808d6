import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { RecordedConversation, RecordedMessage, Recording } from './recording.js';

/** The list files of a Slack export, and whether their conversations are direct messages. */
const LIST_FILES = [
  { file: 'channels.json', direct: false },
  { file: 'groups.json', direct: false },
  { file: 'mpims.json', direct: false },
  { file: 'dms.json', direct: true },
] as const;

/** Subtypes of human messages. Every other subtype (joins, topic changes, bot messages) is skipped under its own name. */
const HUMAN_SUBTYPES = new Set([undefined, 'thread_broadcast', 'me_message', 'file_share', 'file_comment']);

/** The text older Slack exports write for a file upload: the upload line, then the uploader's comment if any. */
const LEGACY_FILE_SHARE = /^<@[^>]+> (?:uploaded|shared) a file: <[^>]*>(?: and commented: ([\s\S]*))?$/;

const FOLDER_NAMES_USED = 'channel folders are read under their folder names';
const FIX_DAY_FILE = 'fix the file or remove it from the export';

interface ChannelEntry {
  id: string;
  folder: string;
  direct: boolean;
}

interface SlackMessage {
  ts: string;
  /** `ts` as whole microseconds, exact for ordering. */
  order: number;
  threadTs?: string;
  message: RecordedMessage;
}

/** Returns true when a folder contains one of the list files of a Slack export. */
export function isSlackExport(folder: string): boolean {
  return LIST_FILES.some(({ file }) => existsSync(join(folder, file)));
}

/**
 * Reads an unzipped Slack export: the list files name each channel's id, and each channel's
 * folder contains one JSON array of messages per day. A folder that no list file names is read
 * under its folder name. A thread (every message whose `thread_ts` names the same root) is
 * one conversation, and the channel's other messages form the channel timeline conversation.
 */
export function readSlackExport(folder: string, recording: Recording): void {
  const workspaceId = basename(folder);
  for (const channel of listChannels(folder, recording)) {
    const messages = readChannel(folder, channel, recording);
    for (const conversation of splitConversations(workspaceId, channel, messages)) recording.addConversation(conversation);
  }
}

function listChannels(folder: string, recording: Recording): ChannelEntry[] {
  const byFolder = new Map<string, ChannelEntry>();
  for (const { file, direct } of LIST_FILES) {
    const path = join(folder, file);
    if (!existsSync(path)) continue;
    const entries = recording.readJson(path, FOLDER_NAMES_USED);
    if (entries === undefined) continue;
    recording.filesRead++;
    if (!Array.isArray(entries)) {
      recording.addProblem(path, `expected a JSON array of channels; ${FOLDER_NAMES_USED}`);
      continue;
    }
    for (const entry of entries as Record<string, unknown>[]) {
      const id = typeof entry?.id === 'string' ? entry.id : undefined;
      // Channels are exported into folders named after the channel; direct messages into folders named after the id.
      const name = typeof entry?.name === 'string' ? entry.name : id;
      if (id && name) byFolder.set(name, { id, folder: name, direct });
    }
  }
  const channels: ChannelEntry[] = [];
  for (const name of readdirSync(folder).sort()) {
    if (!statSync(join(folder, name)).isDirectory()) continue;
    channels.push(byFolder.get(name) ?? { id: name, folder: name, direct: false });
  }
  return channels;
}

function readChannel(folder: string, channel: ChannelEntry, recording: Recording): SlackMessage[] {
  const messages: SlackMessage[] = [];
  const channelFolder = join(folder, channel.folder);
  for (const name of readdirSync(channelFolder).sort()) {
    if (!name.endsWith('.json')) continue;
    const path = join(channelFolder, name);
    const day = recording.readJson(path, FIX_DAY_FILE);
    if (day === undefined) continue;
    if (!Array.isArray(day)) {
      recording.addProblem(path, `expected a JSON array of messages; ${FIX_DAY_FILE}`);
      continue;
    }
    recording.filesRead++;
    for (const raw of day) {
      const read = readMessage(raw);
      if (typeof read === 'string') recording.skip(read);
      else messages.push(read);
    }
  }
  return messages.sort((a, b) => a.order - b.order);
}

/** Reads one message of a day file, or returns the reason it is skipped. */
function readMessage(raw: unknown): SlackMessage | string {
  const fields = raw as Record<string, unknown> | null;
  if (typeof fields !== 'object' || fields === null || typeof fields.ts !== 'string' || !/^\d+(\.\d{1,6})?$/.test(fields.ts)) {
    return 'malformed_message';
  }
  const subtype = typeof fields.subtype === 'string' ? fields.subtype : undefined;
  if (!HUMAN_SUBTYPES.has(subtype)) return subtype!;
  if (fields.bot_id !== undefined && fields.bot_id !== null) return 'bot_message';

  let authorId = fields.user;
  let text = typeof fields.text === 'string' ? fields.text : '';
  if (subtype === 'file_comment') {
    const comment = fields.comment as Record<string, unknown> | undefined;
    authorId = comment?.user;
    text = typeof comment?.comment === 'string' ? comment.comment : '';
  }
  if (typeof authorId !== 'string' || authorId === '') return 'no_author';

  const legacyUpload = subtype === 'file_share' ? LEGACY_FILE_SHARE.exec(text) : null;
  if (legacyUpload) text = legacyUpload[1] ?? '';
  if (text.trim() === '') {
    const hasFiles = subtype === 'file_share' || (Array.isArray(fields.files) && fields.files.length > 0);
    return hasFiles ? 'file_share_without_text' : 'empty_text';
  }

  const [seconds, fraction = ''] = fields.ts.split('.');
  const micros = Number(fraction.padEnd(6, '0'));
  const order = Number(seconds) * 1_000_000 + micros;
  const threadTs = typeof fields.thread_ts === 'string' && fields.thread_ts !== '' ? fields.thread_ts : undefined;
  return {
    ts: fields.ts,
    order,
    threadTs,
    message: { id: fields.ts, authorId, text, at: new Date(Math.floor(order / 1000)) },
  };
}

/**
 * Splits a channel into its threads and its timeline. A message belongs to the thread named by
 * its `thread_ts`; a root without `thread_ts` still opens the thread whose replies name its `ts`.
 */
function splitConversations(workspaceId: string, channel: ChannelEntry, messages: SlackMessage[]): RecordedConversation[] {
  const threadRoots = new Set<string>();
  for (const message of messages) if (message.threadTs) threadRoots.add(message.threadTs);

  const timeline: RecordedMessage[] = [];
  const threads = new Map<string, RecordedMessage[]>();
  for (const message of messages) {
    const thread = message.threadTs ?? (threadRoots.has(message.ts) ? message.ts : undefined);
    if (thread === undefined) {
      timeline.push(message.message);
      continue;
    }
    let replies = threads.get(thread);
    if (!replies) threads.set(thread, (replies = []));
    replies.push(message.message);
  }

  const conversation = (conversationId: string, list: RecordedMessage[]): RecordedConversation => ({
    platform: 'slack',
    workspaceId,
    conversationId,
    isDirectMessage: channel.direct,
    messages: list,
  });
  return [conversation(channel.id, timeline), ...[...threads].map(([ts, list]) => conversation(`${channel.id}:${ts}`, list))];
}
