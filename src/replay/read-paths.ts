import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { readDiscordExport } from './discord-export.js';
import { Recording } from './recording.js';
import { isSlackExport, readSlackExport } from './slack-export.js';

const NOT_AN_EXPORT =
  'is not an export: it contains no channels.json (Slack export) and no .json files (DiscordChatExporter). ' +
  'Pass an unzipped Slack export folder, or DiscordChatExporter JSON files or a folder of them';

/**
 * Reads every path: a Slack export folder, a DiscordChatExporter JSON file, or a folder of
 * such files. A path or file that cannot be read becomes a problem of the recording, and the
 * others are still read.
 */
export function readPaths(paths: readonly string[]): Recording {
  const recording = new Recording();
  for (const path of paths) readPath(path, recording);
  return recording;
}

function readPath(path: string, recording: Recording): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    recording.addProblem(path, 'not found; check the path');
    return;
  }
  if (!isDirectory) {
    if (/\.zip$/i.test(path)) {
      recording.addProblem(path, 'is a zip archive; unzip it and pass the folder that contains channels.json');
    } else if (basename(path) === 'channels.json') {
      recording.addProblem(path, 'is part of a Slack export; pass the folder that contains it');
    } else if (!/\.json$/i.test(path)) {
      recording.addProblem(path, 'is not a JSON file; pass a DiscordChatExporter JSON export or a Slack export folder');
    } else {
      readDiscordExport(path, recording);
    }
    return;
  }
  if (isSlackExport(path)) {
    readSlackExport(path, recording);
    return;
  }
  const files = readdirSync(path)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) {
    recording.addProblem(path, NOT_AN_EXPORT);
    return;
  }
  for (const name of files) readDiscordExport(join(path, name), recording);
}
