import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Every byte after the header block, exactly as sent. */
  body: string;
}

/**
 * One HTTP/1.1 request over a fresh socket, read until the server closes it: unlike fetch, this
 * shows every byte sent, so a HEAD response that carried a body would show one.
 */
export function rawRequest(url: string, method: string, headers: Record<string, string> = {}, body = ''): Promise<RawResponse> {
  const { hostname, port, pathname, host } = new URL(url);
  const lines = [`${method} ${pathname} HTTP/1.1`, `Host: ${host}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    // write, not end: a server closes a half-closed connection without answering. `Connection:
    // close` makes it close the socket once it has answered.
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
      const parsed = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body: text.slice(end + 4) });
    });
  });
}
