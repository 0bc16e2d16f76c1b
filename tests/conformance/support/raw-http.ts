// HTTP/1.1 over a bare TCP socket, for requests no well-behaved client would
// send: control characters and raw bytes in headers, duplicate or malformed
// headers, bodies that lie about their length, invalid percent-encoding.
import { connect } from 'node:net';

const CRLF = '\r\n';

/** What to send; see rawRequest. */
export interface RawRequest {
  method?: string;
  path?: string;
  headers?: [name: string, value: string][];
  body?: string | Buffer;
  contentLength?: boolean;
  abortAfterBytes?: number;
  timeout?: number;
}

/** A response as read off the socket; header names are lowercase, the last of duplicates wins. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The server closed the connection (or the time ran out) without a whole response. */
export interface NoResponse {
  status: 0;
  error: string;
  headers?: undefined;
  body?: undefined;
}

/**
 * Sends one request and resolves with {status, headers, body} (body a Buffer),
 * or with {status: 0, error} when the server closed the connection without
 * answering. Never rejects: the caller decides what a missing answer means.
 *
 * `path` is sent exactly as given. `headers` is a list of [name, value] pairs
 * written byte for byte (latin1), in order, duplicates allowed; Host and
 * Connection: close are added unless given. `body` (string or Buffer) is sent
 * as is, with a Content-Length unless `headers` has one or `contentLength` is
 * false. `abortAfterBytes` closes the socket after writing that many body
 * bytes, to imitate a client that goes away mid-upload. A HEAD request's
 * response has no body whatever its Content-Length says.
 */
export function rawRequest(
  baseUrl: string,
  {
    method = 'GET',
    path = '/',
    headers = [],
    body,
    contentLength = true,
    abortAfterBytes,
    timeout = 10_000,
  }: RawRequest,
): Promise<RawResponse | NoResponse> {
  const headOnly = method === 'HEAD';
  const { hostname, port } = new URL(baseUrl);
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  const all = [...headers];
  if (!names.has('host')) all.unshift(['Host', `${hostname}:${port}`]);
  if (!names.has('connection')) all.push(['Connection', 'close']);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (body !== undefined && contentLength && !names.has('content-length') && !names.has('transfer-encoding')) {
    all.push(['Content-Length', String(payload.length)]);
  }
  const head = Buffer.from(
    `${method} ${path} HTTP/1.1${CRLF}${all.map(([name, value]) => `${name}: ${value}${CRLF}`).join('')}${CRLF}`,
    'latin1',
  );

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    const finish = (error?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(chunks), { headOnly });
      resolve(parsed ?? { status: 0, error: error?.code ?? error?.message ?? 'closed without a response' });
    };
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeout} ms`)), timeout);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Stop as soon as one whole response is in: some servers keep the socket open.
      if (parseResponse(Buffer.concat(chunks), { complete: true, headOnly })) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A server that answers early (413) may reset the connection while the
    // body is still being written; what it answered is still in `chunks`.
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      socket.write(head);
      if (abortAfterBytes !== undefined) {
        socket.write(payload.subarray(0, abortAfterBytes), () => socket.destroy());
        return;
      }
      if (payload.length) socket.write(payload);
    });
  });
}

/**
 * The first response in `buffer`, or null if there is none yet. With
 * `complete`, null also while its body is still incomplete.
 */
function parseResponse(buffer: Buffer, { complete = false, headOnly = false } = {}): RawResponse | null {
  const end = buffer.indexOf(`${CRLF}${CRLF}`);
  if (end === -1) return null;
  const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split(CRLF);
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = buffer.subarray(end + 4);
  if (headOnly) return { status: Number(match[1]), headers, body: Buffer.alloc(0) };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (complete && body.length < length) return null;
    body = body.subarray(0, length);
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = decodeChunked(body);
    if (complete && !decoded) return null;
    body = decoded ?? body;
  } else if (complete) {
    // No length: the body ends when the connection does.
    return null;
  }
  return { status: Number(match[1]), headers, body };
}

function decodeChunked(buffer: Buffer) {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, offset);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(buffer.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (buffer.length < start + size + 2) return null;
    parts.push(buffer.subarray(start, start + size));
    offset = start + size + 2;
  }
}
