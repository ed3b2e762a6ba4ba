/** Why a request never got an HTTP answer, in words, and what to check for that cause. */
export interface NetworkProblem {
  /** e.g. "connection refused (ECONNREFUSED)" */
  cause: string;
  /** What to do about it, as a sentence fragment ("start the server…"). */
  check: string;
}

const TLS_TRUST = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|ERR_TLS_CERT)/;

/**
 * Describes a failed fetch ("fetch failed" with the socket or proxy error as its cause, or a
 * time-out). Returns undefined for anything that is not a network failure, so callers report
 * those as they are.
 */
export function networkProblem(error: unknown, url: string): NetworkProblem | undefined {
  const target = new URL(url);
  const hostPort = `${target.hostname}:${target.port || (target.protocol === 'https:' ? '443' : '80')}`;
  if (isTimeout(error)) {
    return { cause: 'no answer in time', check: `check that ${hostPort} is reachable from here (network, firewall, HTTPS_PROXY/NO_PROXY)` };
  }
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const { code, message } = innermostCause(error);
  if (code === 'ERR_PROXY_CONFIG') {
    return { cause: message, check: 'set HTTPS_PROXY/HTTP_PROXY to the http:// or https:// address of the proxy (or unset it to connect directly)' };
  }
  if (code === 'ERR_PROXY_AUTH') {
    return { cause: message, check: 'put the proxy\'s user name and password in its URL (http://user:password@host:port, special characters percent-encoded)' };
  }
  if (code === 'ERR_PROXY_REFUSED') {
    return { cause: message, check: `ask for ${hostPort} to be allowed through the proxy, or list the host in NO_PROXY if it is reachable directly` };
  }
  if (code === 'ECONNREFUSED') {
    return { cause: `connection refused (ECONNREFUSED): nothing is listening on ${hostPort}`, check: 'check that the server is running and that the port in the URL is the one it listens on' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { cause: `the host name ${target.hostname} was not found (${code})`, check: 'check the host name in the URL and your DNS or network connection' };
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { cause: `the connection to ${hostPort} timed out (${code})`, check: 'check your network, firewall and HTTPS_PROXY/NO_PROXY' };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return { cause: `${hostPort} is unreachable (${code})`, check: 'check your network connection and HTTPS_PROXY/NO_PROXY' };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return { cause: `the connection was closed before an answer (${code})`, check: 'check that the URL\'s scheme (http or https) is the one the server speaks, and HTTPS_PROXY/NO_PROXY' };
  }
  if (code && TLS_TRUST.test(code)) {
    return { cause: `the server's TLS certificate is not trusted (${code})`, check: 'if a proxy or a private CA signs it, point NODE_EXTRA_CA_CERTS at that CA\'s PEM file' };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
    return { cause: `the TLS handshake failed (${code}): ${hostPort} does not speak https`, check: 'use http:// for a plain-http server on this machine, or the server\'s https address' };
  }
  if (message === 'bad port') {
    return { cause: `port ${target.port} is blocked by fetch (reserved for another protocol)`, check: 'run the server on another port' };
  }
  return { cause: code ? `${message} (${code})` : message, check: 'check the URL, your network and HTTPS_PROXY/NO_PROXY' };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && /timeout/i.test(error.message)));
}

/** undici wraps the socket error (sometimes in an AggregateError): the innermost code and message. */
function innermostCause(error: Error): { code?: string; message: string } {
  let code: string | undefined;
  let message = error.message;
  let current: unknown = error.cause;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.message) message = current.message.split('\n')[0]!;
    const own = (current as NodeJS.ErrnoException).code;
    if (typeof own === 'string') code = own;
    current = current.cause;
  }
  return code ? { code, message } : { message };
}
