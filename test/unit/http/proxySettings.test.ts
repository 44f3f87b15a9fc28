import assert from 'node:assert/strict';
import { NoProxyList, ProxyResolver } from '../../../src/core/http/proxySettings';
import { backoffDelayMs, parseRetryAfterSeconds } from '../../../src/core/http/backoff';
import { isLoopbackHost, redactUrl, trimTrailingSlashes } from '../../../src/core/http/urlSafety';

describe('proxy settings', () => {
  it('matches NO_PROXY hosts, sub-domains, suffixes, ports, CIDR ranges, IPv6 and wildcard', () => {
    const list = new NoProxyList(
      'contoso.com, .fabrikam.net,*.example.org ,10.0.0.0/8, [::1], intranet:8080',
    );
    const yes = [
      'https://contoso.com/x',
      'https://api.contoso.com/',
      'https://a.fabrikam.net',
      'https://x.example.org',
      'https://10.1.2.3',
      'http://[::1]:99/',
      'http://intranet:8080',
    ];
    const no = [
      'https://notcontoso.com',
      'https://example.org.evil.com',
      'https://11.0.0.1',
      'http://intranet:8081',
      'https://127.0.0.1',
    ];
    for (const u of yes) {
      assert.equal(list.matches(new URL(u)), true, u);
    }
    for (const u of no) {
      assert.equal(list.matches(new URL(u)), false, u);
    }
    assert.equal(new NoProxyList('*').matches(new URL('https://anything.com')), true);
    assert.equal(new NoProxyList(['<local>']).matches(new URL('http://printer/')), true);
    assert.equal(new NoProxyList(['<local>']).matches(new URL('https://a.b/')), false);
  });

  it('prefers the explicit proxy over the environment and picks HTTPS_PROXY for https', () => {
    const env = { HTTPS_PROXY: 'http://secure:1', http_proxy: 'http://plain:2', NO_PROXY: 'skip.me' };
    const fromEnv = new ProxyResolver({ env });
    assert.equal(fromEnv.choose(new URL('https://a.com')).proxyUrl, 'http://secure:1');
    assert.equal(fromEnv.choose(new URL('http://a.com')).proxyUrl, 'http://plain:2');
    assert.equal(fromEnv.choose(new URL('https://skip.me')).proxyUrl, undefined);
    const explicit = new ProxyResolver({ url: 'http://corp:3128', noProxy: ['extra.host'], env });
    assert.equal(explicit.choose(new URL('https://a.com')).proxyUrl, 'http://corp:3128');
    assert.equal(explicit.choose(new URL('https://extra.host')).proxyUrl, undefined);
    assert.equal(explicit.choose(new URL('https://skip.me')).proxyUrl, undefined);
    assert.equal(new ProxyResolver({ url: '  ', env: {} }).configured, false);
  });
});

describe('backoff and Retry-After', () => {
  it('grows exponentially with jitter within [half, full] of the step and respects the cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelayMs(policy, 1, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(policy, 1, () => 0.999999),
      100,
    );
    assert.equal(
      backoffDelayMs(policy, 3, () => 0),
      200,
    );
    assert.equal(
      backoffDelayMs(policy, 10, () => 0.999999),
      1000,
    );
  });

  it('reads delta seconds and HTTP dates', () => {
    assert.equal(parseRetryAfterSeconds('7'), 7);
    assert.equal(parseRetryAfterSeconds('1.5'), 1.5);
    assert.equal(parseRetryAfterSeconds(undefined), undefined);
    assert.equal(parseRetryAfterSeconds('soon'), undefined);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfterSeconds('Wed, 01 Jan 2025 00:00:30 GMT', now), 30);
  });
});

describe('url safety', () => {
  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.9.8.7', '[::1]', '::1', 'LOCALHOST.']) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    // A name under .localhost is not trusted: nothing checks where a resolver sends it.
    for (const h of ['10.0.0.1', 'localhost.evil.com', '128.0.0.1', 'example.com', '::2', 'app.localhost']) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });

  it('trims trailing slashes from org URLs and redacts secrets in logged URLs', () => {
    assert.equal(
      trimTrailingSlashes('https://contoso.crm.dynamics.com/ '),
      'https://contoso.crm.dynamics.com',
    );
    assert.equal(
      trimTrailingSlashes('https://contoso.crm.dynamics.com//'),
      'https://contoso.crm.dynamics.com',
    );
    const redacted = redactUrl('https://u:pw@host/path?sig=abc123&x=1');
    assert.ok(!redacted.includes('abc123') && !redacted.includes('pw@'));
    assert.ok(redacted.includes('x=1'));
  });
});
