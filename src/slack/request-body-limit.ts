import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

import type { Logger } from 'pino';

/**
 * The maximum size of a request body in HTTP mode: 1 MiB. Slack truncates message text at
 * 40,000 characters, and an event carries it twice (`text` and `blocks`), so even with every
 * character JSON-escaped as `\uXXXX` an event stays under about 0.5 MB. Slash command bodies are
 * form fields of a few kilobytes.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** How often a rejected request is logged while oversized requests keep arriving, in milliseconds. */
const REJECTION_LOG_INTERVAL_MS = 60_000;

/** The field Bolt reads a buffered body from (BufferedIncomingMessage in @slack/bolt 4.7). */
type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

/**
 * Wraps the request listener of Bolt's HTTPReceiver so that a POST to `path` with a body over
 * `maxBytes` is rejected with 413 before the body is read into memory. Bolt 4.7.3 buffers the
 * whole body before it checks the signature. This listener buffers at most `maxBytes` and hands
 * the body to Bolt as `rawBody`, which Bolt uses instead of reading the stream, so Bolt still
 * parses the body and verifies its signature. Other requests go to Bolt unchanged.
 */
export function limitRequestBody(listener: RequestListener, path: string, logger: Logger, maxBytes = MAX_REQUEST_BODY_BYTES): RequestListener {
  let lastLoggedAt = -Infinity;
  let rejectedSinceLog = 0;

  const reject = (request: IncomingMessage, response: ServerResponse, receivedBytes: number) => {
    rejectedSinceLog++;
    const now = Date.now();
    if (now - lastLoggedAt >= REJECTION_LOG_INTERVAL_MS) {
      logger.warn(
        {
          path,
          contentLength: request.headers['content-length'],
          receivedBytes,
          maxBytes,
          remoteAddress: request.socket.remoteAddress,
          rejected: rejectedSinceLog,
        },
        'slack request body too large; rejected with 413',
      );
      lastLoggedAt = now;
      rejectedSinceLog = 0;
    }
    // The rest of the body is never read: the connection closes once the response is sent.
    response.once('finish', () => request.socket.destroy());
    response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end(`Request body too large: the maximum is ${maxBytes} bytes.\n`);
  };

  return (request: BufferedRequest, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'POST' || pathname !== path) {
      listener(request, response);
      return;
    }
    const declared = Number(request.headers['content-length']);
    if (declared > maxBytes) {
      reject(request, response, 0);
      return;
    }

    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.off('end', onEnd);
      chunks.length = 0;
      reject(request, response, received);
    };
    const onEnd = () => {
      request.rawBody = Buffer.concat(chunks, received);
      try {
        listener(request, response);
      } catch (error) {
        // Bolt's server catches what its listener throws; here the listener runs later, from an event.
        logger.error({ path, err: error }, 'slack request handling failed');
        if (!response.headersSent) response.writeHead(500);
        response.end();
      }
    };
    request.on('data', onData);
    request.once('end', onEnd);
    // A client that disconnects mid-body gets no response, and its chunks are freed with these listeners.
    request.once('error', (error) => logger.debug({ path, err: error }, 'slack request aborted while reading its body'));
  };
}
