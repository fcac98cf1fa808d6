import { type RecordedMessage, type Recording, sortByTime } from './recording.js';

/** Message types written by people; joins, pins, thread creations and calls are skipped under their own names. */
const HUMAN_TYPES = new Set(['Default', 'Reply']);

/** The workspace id the bot gives direct messages, which have no guild. */
const DIRECT_MESSAGE_WORKSPACE = 'dm';

interface ExportFile {
  guild?: { id?: unknown };
  channel?: { id?: unknown; type?: unknown };
  messages?: unknown;
}

/** Returns true when parsed JSON has the shape of a DiscordChatExporter file. */
function isDiscordExport(parsed: unknown): boolean {
  const file = parsed as ExportFile | null;
  return typeof file === 'object' && file !== null && typeof file.channel?.id === 'string' && Array.isArray(file.messages);
}

/**
 * Reads one DiscordChatExporter JSON file: one channel, or one thread, which is one
 * conversation. A reply's `reference.messageId` is kept, because it names the message it answers.
 */
export function readDiscordExport(path: string, recording: Recording): void {
  const parsed = recording.readJson(path, 'fix the file or export the channel again');
  if (parsed === undefined) return;
  if (!isDiscordExport(parsed)) {
    recording.addProblem(path, 'not a DiscordChatExporter JSON file: expected an object with "channel" and a "messages" array');
    return;
  }
  recording.filesRead++;
  const file = parsed as Required<ExportFile> & { channel: { id: string } };
  const isDirectMessage = typeof file.channel.type === 'string' && file.channel.type.startsWith('Direct');
  const guildId = typeof file.guild?.id === 'string' ? file.guild.id : undefined;

  const messages: RecordedMessage[] = [];
  for (const raw of file.messages as unknown[]) {
    const read = readMessage(raw);
    if (typeof read === 'string') recording.skip(read);
    else messages.push(read);
  }
  recording.addConversation({
    platform: 'discord',
    workspaceId: isDirectMessage || !guildId ? DIRECT_MESSAGE_WORKSPACE : guildId,
    conversationId: file.channel.id,
    isDirectMessage,
    messages: sortByTime(messages),
  });
}

/** Reads one exported message, or returns the reason it is skipped. */
function readMessage(raw: unknown): RecordedMessage | string {
  const fields = raw as Record<string, unknown> | null;
  if (typeof fields !== 'object' || fields === null || typeof fields.id !== 'string' || typeof fields.timestamp !== 'string') {
    return 'malformed_message';
  }
  const at = new Date(fields.timestamp);
  if (Number.isNaN(at.getTime())) return 'malformed_message';
  const type = typeof fields.type === 'string' ? fields.type : 'Default';
  if (!HUMAN_TYPES.has(type)) return snakeCase(type);
  const author = fields.author as Record<string, unknown> | undefined;
  if (author?.isBot === true) return 'bot_message';
  if (typeof author?.id !== 'string' || author.id === '') return 'no_author';

  const text = typeof fields.content === 'string' ? fields.content : '';
  if (text.trim() === '') {
    const hasAttachments = ['attachments', 'embeds', 'stickers'].some((key) => Array.isArray(fields[key]) && (fields[key] as unknown[]).length > 0);
    return hasAttachments ? 'attachment_without_text' : 'empty_text';
  }
  const reference = fields.reference as Record<string, unknown> | undefined;
  const replyTo = typeof reference?.messageId === 'string' ? reference.messageId : undefined;
  return { id: fields.id, authorId: author.id, text, at, replyTo };
}

/** `GuildMemberJoin` becomes `guild_member_join`. */
function snakeCase(type: string): string {
  return type
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}
