import type { IncomingMessage } from 'node:http';
import { Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpError } from './http-error.ts';

export const BODY_LIMIT_BYTES = 100 * 1024;

// Content codings a client may compress a body with (RFC 9110 §8.4). Names are
// case-insensitive; x-gzip is gzip's old alias. Anything else is a 415.
const DECODERS: Record<string, (() => Transform) | null> = {
  identity: null,
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

export const BODY_MESSAGES = {
  encoding: `Content-Encoding must be one of: ${Object.keys(DECODERS).join(', ')}`,
  charset: 'A JSON body must be UTF-8 (Content-Type charset=utf-8, or none)',
  compressed: 'Request body could not be decompressed',
  unreadable: 'Request body could not be read',
  tooLarge: 'Request body must not exceed 100 kB',
  json: 'Request body is not valid JSON',
};

/** The media type and charset of a Content-Type header, lowercased; null when it is not one. */
export function parseContentType(header: string | undefined): { type: string; charset: string | undefined } | null {
  const match = /^\s*([\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+)\s*(;.*)?$/.exec(header ?? '');
  if (!match) return null;
  const charset = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(match[2] ?? '');
  return { type: match[1].toLowerCase(), charset: (charset?.[1] ?? charset?.[2])?.toLowerCase() };
}

function decoderFor(header: string | undefined): (() => Transform) | null {
  const coding = (header ?? '').trim().toLowerCase();
  if (coding === '') return null;
  if (!Object.hasOwn(DECODERS, coding)) throw new HttpError(415, BODY_MESSAGES.encoding);
  return DECODERS[coding];
}

/**
 * Reads `stream` into one Buffer, refusing more than `limit` bytes. Not with
 * for await: leaving that loop early destroys the request, and with it the
 * socket, so the client could lose the 413 it is about to get. The rest of an
 * oversized body is left to Node, which discards it once the answer is sent.
 */
function readAll(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      stream.pause();
      reject(new HttpError(413, BODY_MESSAGES.tooLarge));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => onError(new Error('request closed before its body was read'));
    function cleanup() {
      stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    }
    stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * The JSON body of a Node request (http.IncomingMessage), read and parsed the
 * same way whatever the framework, so every framework gives the same answer
 * to the same odd body. Resolves to undefined when there is no body, or when
 * it is not `application/json`: the route then says that it wants a JSON
 * object. Any JSON value is returned, objects or not; the routes check the
 * shape. Throws HttpError 400 (not JSON, a broken compressed stream), 413 (over
 * the limit, compressed or decompressed) or 415 (an unknown Content-Encoding,
 * a charset other than UTF-8).
 */
export async function readJsonBody(req: IncomingMessage, { limit = BODY_LIMIT_BYTES } = {}): Promise<unknown> {
  const contentType = parseContentType(req.headers['content-type']);
  if (contentType?.type !== 'application/json') return undefined;
  if (contentType.charset !== undefined && contentType.charset !== 'utf-8' && contentType.charset !== 'utf8') {
    throw new HttpError(415, BODY_MESSAGES.charset);
  }
  const decoder = decoderFor(req.headers['content-encoding']);
  // Refuse early from the header when it already says too much.
  if (Number(req.headers['content-length']) > limit) throw new HttpError(413, BODY_MESSAGES.tooLarge);

  let raw: Buffer;
  try {
    raw = await readAll(req, limit);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, BODY_MESSAGES.unreadable);
  }
  if (raw.length === 0) return undefined;

  let bytes = raw;
  if (decoder) {
    try {
      bytes = await readAll(Readable.from([raw]).pipe(decoder()), limit);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, BODY_MESSAGES.compressed);
    }
  }

  // fatal: bytes that are not UTF-8 are not JSON either, rather than U+FFFD.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, BODY_MESSAGES.json);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, BODY_MESSAGES.json);
  }
}
