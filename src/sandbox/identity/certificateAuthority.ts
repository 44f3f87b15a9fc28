/**
 * TLS material for the sandbox's HTTPS endpoints, generated at start: a private CA and a server
 * certificate it signed for 127.0.0.1 and localhost. Clients pin the CA for the sandbox host only (an
 * explicit `ca` option), so TLS verification stays on and nothing is added to the machine's trust store.
 */
import { generate } from 'selfsigned';

/** A CA certificate plus a server certificate and key signed by it (all PEM). */
export interface LocalTlsMaterial {
  /** The CA certificate clients trust for the sandbox host (served as `/_sandbox/ca.pem`). */
  readonly caCert: string;
  /** The server certificate (leaf only). */
  readonly cert: string;
  readonly key: string;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Generate a fresh CA and a server certificate for 127.0.0.1 and localhost. EC P-256 keys keep this
 * fast (tens of milliseconds), so every sandbox start gets its own CA and no key outlives the process.
 */
export async function createLocalTlsMaterial(
  hosts: readonly string[] = ['127.0.0.1', 'localhost'],
): Promise<LocalTlsMaterial> {
  const now = Date.now();
  // A day of back-dating tolerates small clock differences between the sandbox and its clients.
  const validity = { notBeforeDate: new Date(now - dayMs), notAfterDate: new Date(now + 30 * dayMs) };
  const ca = await generate([{ name: 'commonName', value: 'Desktop Flows Sandbox CA (sandbox only)' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames = hosts.map((h) =>
    /^[\d.]+$|:/.test(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h },
  );
  const leaf = await generate([{ name: 'commonName', value: hosts[0] ?? '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { caCert: ca.cert, cert: leaf.cert, key: leaf.private };
}
