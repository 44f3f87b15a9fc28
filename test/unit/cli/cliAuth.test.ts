import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  sandboxCertificateCredential,
  sandboxSecretCredential,
} from '../../../src/sandbox/identity/identitySeed';
import { defaultSandboxUser } from '../../../src/sandbox/tokens';
import { sandboxCertificatePrivateKeyPem } from '../../fixtures/sandboxCertificateKey';
import { errorLines, json, startCliHarness, type CliHarness } from './cliHarness';

describe('desktop-flows CLI: sign-in', () => {
  let h: CliHarness;
  let dir: string;
  /** Where to connect, with no credentials. */
  let where: Record<string, string>;

  before(async () => {
    h = await startCliHarness();
    // msal waits `interval` seconds between device-code polls; the sandbox approves codes by itself.
    const identity = h.sandbox.identity;
    assert.ok(identity !== undefined);
    identity.tenant.settings.deviceCodeIntervalSeconds = 0.1;
    dir = await mkdtemp(path.join(tmpdir(), 'desktop-flows-cli-auth-'));
    where = { DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url, DESKTOPFLOWS_ENV: 'Contoso Dev' };
  });

  after(async () => {
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => h.reset());

  async function sandboxToken(audience: string): Promise<string> {
    const response = await fetch(`${h.sandbox.url}/_sandbox/token?aud=${encodeURIComponent(audience)}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  describe('device code', () => {
    it('in an interactive terminal: prints the code and the page on stderr, then works as the user', async () => {
      const r = await h.cli(['flows', '--json'], { env: where, stdin: { isTTY: true } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^To sign in, use a web browser to open the page https:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code [A-Z0-9]{9} to authenticate\.$/m,
      );
      assert.match(r.stderr, new RegExp(`^Signed in as ${defaultSandboxUser.upn}\\.$`, 'm'));
      assert.ok(json<{ name: string }[]>(r).some((f) => f.name === 'Echo Text'));
    });

    it('with --device-code when stdin is not a terminal, or by itself against a sandbox; else exit 3 saying how to sign in', async () => {
      const forced = await h.cli(['envs', '--json', '--device-code'], { env: where });
      assert.equal(forced.code, 0, forced.stderr);
      const sandbox = await h.cli(['envs', '--json'], { env: where });
      assert.equal(sandbox.code, 0, `the sandbox approves device codes by itself: ${sandbox.stderr}`);
      // A real cloud in a pipeline: nothing to sign in with, and nobody to enter a code. Nothing is sent.
      const refused = await h.cli(
        ['envs', '--cloud', 'Public', '--env', 'https://contoso.crm.dynamics.com'],
        { env: {} },
      );
      assert.equal(refused.code, 3);
      assert.match(
        errorLines(refused)[0] ?? '',
        /Not signed in, and this is not an interactive terminal\. Set DESKTOPFLOWS_TOKEN, or --client-id/,
      );
    });
  });

  describe('service principals', () => {
    it('signs in with a client secret; a wrong secret is exit 3 and never printed', async () => {
      // --client-id on the command line instead of DESKTOPFLOWS_CLIENT_ID.
      const ok = await h.cli(['envs', '--json', '--client-id', sandboxSecretCredential.clientId], {
        env: { ...where, DESKTOPFLOWS_CLIENT_SECRET: sandboxSecretCredential.clientSecret },
      });
      assert.equal(ok.code, 0, ok.stderr);
      const wrongSecret = 'not-the-secret-0123456789';
      const wrong = await h.cli(['flows', '--verbose'], {
        env: { ...h.env, DESKTOPFLOWS_CLIENT_SECRET: wrongSecret },
      });
      assert.equal(wrong.code, 3);
      assert.match(errorLines(wrong)[0] ?? '', /rejected the application's credentials \(AADSTS7000215\)/);
      assert.ok(!wrong.stderr.includes(wrongSecret) && !wrong.stdout.includes(wrongSecret));
    });

    it('signs in with a certificate file (certificate and key in one PEM); the key is never printed', async () => {
      const pem = path.join(dir, 'sp.pem');
      await writeFile(
        pem,
        `${sandboxCertificateCredential.certificatePem}${sandboxCertificatePrivateKeyPem}`,
      );
      const r = await h.cli(
        [
          'flows',
          '--json',
          '--verbose',
          '--client-id',
          sandboxCertificateCredential.clientId,
          '--certificate',
          pem,
        ],
        {
          env: where,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(json<{ name: string }[]>(r).length > 0);
      const keyLine = sandboxCertificatePrivateKeyPem.split('\n')[1] ?? '';
      assert.ok(keyLine.length > 20 && !r.stderr.includes(keyLine));
      const certOnly = path.join(dir, 'cert-only.pem');
      await writeFile(certOnly, sandboxCertificateCredential.certificatePem);
      const incomplete = await h.cli(
        ['flows', '--client-id', sandboxCertificateCredential.clientId, '--certificate', certOnly],
        { env: where },
      );
      assert.equal(incomplete.code, 2);
      assert.match(incomplete.stderr, /must hold both the certificate .* and its private key/);
    });

    it('refuses incomplete or contradicting credentials before signing in (exit 2)', async () => {
      const cases: [Record<string, string>, string[], RegExp][] = [
        [{ DESKTOPFLOWS_CLIENT_SECRET: 'x-secret-value' }, [], /needs the application id: pass --client-id/],
        [
          {
            DESKTOPFLOWS_CLIENT_ID: sandboxSecretCredential.clientId,
            DESKTOPFLOWS_CLIENT_SECRET: 'x-secret-value',
          },
          ['--certificate', path.join(dir, 'sp.pem')],
          /either DESKTOPFLOWS_CLIENT_SECRET or --certificate, not both/,
        ],
        [
          { DESKTOPFLOWS_CLIENT_ID: sandboxSecretCredential.clientId },
          ['--certificate', path.join(dir, 'missing.pem')],
          /Cannot read the certificate file .*missing\.pem: ENOENT/,
        ],
        [
          {
            DESKTOPFLOWS_CLIENT_ID: sandboxSecretCredential.clientId,
            DESKTOPFLOWS_CLIENT_SECRET: 'x-secret-value',
          },
          ['--tenant', 'organizations'],
          /A service principal signs in to one tenant/,
        ],
      ];
      for (const [extra, argv, message] of cases) {
        const r = await h.cli(['envs', ...argv], { env: { ...where, ...extra } });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
      }
    });
  });

  describe('DESKTOPFLOWS_TOKEN', () => {
    it('sends the token as is: a Dataverse token works with --env <org URL>, a discovery token lists environments', async () => {
      const orgToken = await sandboxToken(h.devOrgUrl);
      const flows = await h.cli(['flows', '--json', '--env', h.devOrgUrl, '--verbose'], {
        env: { DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url, DESKTOPFLOWS_TOKEN: orgToken },
      });
      assert.equal(flows.code, 0, flows.stderr);
      assert.ok(json<{ name: string }[]>(flows).some((f) => f.name === 'Echo Text'));
      assert.ok(!flows.stderr.includes(orgToken), 'the token is never printed, even with --verbose');
      const run = await h.cli(
        [
          'run',
          'Echo Text',
          '--env',
          h.devOrgUrl,
          '--connection-reference',
          'cr_maker_machine',
          '--mode',
          'unattended',
          '--wait',
          '--poll-interval',
          '0.05',
          '--json',
        ],
        {
          env: { DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url, DESKTOPFLOWS_TOKEN: `Bearer ${orgToken}` },
        },
      );
      assert.equal(run.code, 0, run.stderr);
      // The org names itself (RetrieveCurrentOrganization): no discovery, yet the display name and id.
      assert.deepEqual(json(run).environment, {
        id: h.dev.seed.environmentId,
        name: 'Contoso Dev',
        orgUrl: h.devOrgUrl,
      });

      const envs = await h.cli(['envs', '--json'], {
        env: {
          DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url,
          DESKTOPFLOWS_TOKEN: await sandboxToken(`${h.sandbox.url}/discovery`),
        },
      });
      assert.equal(envs.code, 0, envs.stderr);
    });

    it('a token the service does not accept is exit 3', async () => {
      const orgToken = await sandboxToken(h.devOrgUrl);
      const byName = await h.cli(['flows', '--env', 'Contoso Dev'], {
        env: { DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url, DESKTOPFLOWS_TOKEN: orgToken },
      });
      assert.equal(byName.code, 3, 'a Dataverse token cannot look environments up by name');
      assert.match(
        errorLines(byName)[0] ?? '',
        /DESKTOPFLOWS_TOKEN is issued for \S+\/org\/contoso-dev, so it is not sent to \S+\/discovery.*pass the org URL to --env/,
      );
      const bogus = await h.cli(['flows', '--env', h.devOrgUrl], {
        env: { DESKTOPFLOWS_SANDBOX_URL: h.sandbox.url, DESKTOPFLOWS_TOKEN: 'not-a-token' },
      });
      assert.equal(bogus.code, 3);
      assert.ok(!bogus.stderr.includes('not-a-token'));
    });
  });
});
