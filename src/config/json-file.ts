import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Largest JSON file named by a variable that is read. Price and rule files take a few kilobytes. */
export const MAX_JSON_FILE_BYTES = 1024 * 1024;

/**
 * Reads and parses the JSON file that a variable names, skipping a leading byte-order mark.
 * Only a regular file of at most MAX_JSON_FILE_BYTES is read, so that a device such as
 * /dev/zero, a folder or a pipe cannot hang start-up. Throws an Error whose one-line message
 * names the variable, the path and what is allowed.
 */
export function readJsonFile(variable: string, file: string): unknown {
  const named = `${variable}=${JSON.stringify(file)}`;
  let descriptor: number;
  try {
    // O_NONBLOCK keeps open() from waiting for a writer when the path is a named pipe.
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`Cannot read ${named}: ${(error as Error).message}. Set it to the path of a JSON file.`);
  }
  let text: string;
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      throw new Error(`Invalid ${named}: expected a regular JSON file, not a folder, device or pipe.`);
    }
    if (stats.size > MAX_JSON_FILE_BYTES) {
      throw new Error(`Invalid ${named}: the file has ${stats.size} bytes, more than the limit of ${MAX_JSON_FILE_BYTES} (1 MiB).`);
    }
    // Reads one byte past the limit, so a file that grew after fstat is caught too.
    const buffer = Buffer.alloc(MAX_JSON_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_JSON_FILE_BYTES) {
      throw new Error(`Invalid ${named}: the file has more than ${MAX_JSON_FILE_BYTES} bytes (1 MiB), the limit.`);
    }
    text = buffer.toString('utf8', 0, length);
  } finally {
    closeSync(descriptor);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`Invalid ${named}: the file is not valid JSON (${(error as Error).message}).`);
  }
}
