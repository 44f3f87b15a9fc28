/**
 * `--certificate <pem file>`: a service principal's certificate and its private key in one PEM file (as
 * `openssl` or Azure Key Vault export them). The key must be unencrypted; it is held in memory only.
 */
import { readFile } from 'node:fs/promises';
import { usageError } from './cliErrors';

/** The certificate and private key blocks of a PEM text; a usage error when either is missing. */
export function readCertificatePem(
  text: string,
  file: string,
): { certificatePem: string; privateKeyPem: string } {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) {
    throw usageError(`The private key in ${file} is encrypted: decrypt it first (openssl pkey -in ${file}).`);
  }
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  const key = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (RSA |EC )?PRIVATE KEY-----/.exec(
    text,
  )?.[0];
  if (certificate === undefined || key === undefined) {
    throw usageError(
      `${file} must hold both the certificate (BEGIN CERTIFICATE) and its private key (BEGIN PRIVATE KEY) in PEM.`,
    );
  }
  return { certificatePem: `${certificate}\n`, privateKeyPem: `${key}\n` };
}

/** Reads and splits a certificate file; usage errors for unreadable or incomplete files. */
export async function readCertificateFile(
  file: string,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw usageError(
      `Cannot read the certificate file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
    );
  }
  return readCertificatePem(text, file);
}
