import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for localhost and 127.0.0.1, as files (for NODE_EXTRA_CA_CERTS) and as PEM. */
export interface LocalhostCert {
  /** Path of the certificate file: what a client trusts through NODE_EXTRA_CA_CERTS. */
  certFile: string;
  key: Buffer;
  cert: Buffer;
  remove(): void;
}

/** Made with the system's openssl, valid for a day: a real TLS peer for the proxy and trust tests. */
export function makeLocalhostCert(prefix: string): LocalhostCert {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { certFile, key: readFileSync(keyFile), cert: readFileSync(certFile), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
