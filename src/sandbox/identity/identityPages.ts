/**
 * The HTML pages of the sandbox identity endpoint: the consent page that approves at once (it posts the
 * authorization response to the app's redirect URI by itself, `response_mode=form_post`), the device
 * login page, and error pages. Plain HTML with one inline script, readable by a person and by tests.
 */

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}code{font-size:1.2em}.note{color:#666;font-size:.9em}</style>
</head>
<body>
<p class="note">Desktop Flows sandbox: a local stand-in for Microsoft Entra ID. Nothing here reaches Microsoft.</p>
${body}
${script === '' ? '' : `<script>${script}</script>`}
</body>
</html>
`;
}

function hiddenInputs(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
}

/**
 * The consent page: it shows who signs in to which app, and its script submits the `response` form (the
 * authorization response) to the redirect URI at once. The `cancel` form answers `access_denied`, as
 * declining the consent prompt does in Entra.
 */
export function consentPage(options: {
  appName: string;
  userName: string;
  userUpn: string;
  resource: string | undefined;
  redirectUri: string;
  approve: Record<string, string | undefined>;
  cancel: Record<string, string | undefined>;
}): string {
  const what =
    options.resource === undefined ? 'sign you in' : `access ${escapeHtml(options.resource)} as you`;
  return page(
    'Sign in to the sandbox',
    `<h1>Signing in</h1>
<p><strong>${escapeHtml(options.userName)}</strong> (${escapeHtml(options.userUpn)}) is signing in to <strong>${escapeHtml(options.appName)}</strong>, which will ${what}.</p>
<p>The sandbox approves at once; you can close this tab when your editor says you are signed in.</p>
<form id="response" method="post" action="${escapeHtml(options.redirectUri)}">
${hiddenInputs(options.approve)}
<noscript><button type="submit">Continue</button></noscript>
</form>
<form id="cancel" method="post" action="${escapeHtml(options.redirectUri)}">
${hiddenInputs(options.cancel)}
<button type="submit">Cancel</button>
</form>`,
    "document.getElementById('response').submit();",
  );
}

/** A page that posts an authorization response (here: an error) back to the app at once. */
export function formPostPage(redirectUri: string, fields: Record<string, string | undefined>): string {
  return page(
    'Returning to the app',
    `<p>Returning to the app…</p>
<form id="response" method="post" action="${escapeHtml(redirectUri)}">
${hiddenInputs(fields)}
<noscript><button type="submit">Continue</button></noscript>
</form>`,
    "document.getElementById('response').submit();",
  );
}

/** An error Entra shows in the browser instead of returning it to the app (unknown app, bad redirect URI). */
export function errorPage(code: number, message: string): string {
  return page(
    'Sign-in error',
    `<h1>Sorry, but we’re having trouble signing you in.</h1>
<p id="error">AADSTS${code}: ${escapeHtml(message)}</p>`,
  );
}

/** The device login page (`verification_uri`): enter the code shown by the app, then approve. */
export function deviceLoginPage(options: {
  users: readonly { upn: string; name: string }[];
  message?: string;
  prefill?: string;
}): string {
  const choices = options.users
    .map(
      (u, i) =>
        `<option value="${escapeHtml(u.upn)}"${i === 0 ? ' selected' : ''}>${escapeHtml(u.name)} (${escapeHtml(u.upn)})</option>`,
    )
    .join('\n');
  return page(
    'Enter code',
    `<h1>Enter code</h1>
${options.message === undefined ? '' : `<p id="message">${escapeHtml(options.message)}</p>`}
<form id="devicelogin" method="post" action="/devicelogin">
<label>Code <input name="user_code" autocomplete="off" autofocus value="${escapeHtml(options.prefill ?? '')}"></label>
<label>Sign in as <select name="username">${choices}</select></label>
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="decline">Decline</button>
</form>`,
  );
}

/** The result of a device login: what the user sees after approving or declining. */
export function deviceLoginDonePage(approved: boolean): string {
  return page(
    approved ? 'Signed in' : 'Sign-in declined',
    approved
      ? '<h1>You have signed in</h1><p id="message">Return to your editor; it continues on its own. You can close this window.</p>'
      : '<h1>Sign-in declined</h1><p id="message">The app was told you declined. You can close this window.</p>',
  );
}
