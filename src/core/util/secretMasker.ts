/**
 * Masks secrets (tokens, client secrets, resolved sensitive inputs). One process-wide registry, so every
 * sink masks the same values.
 *
 * Structured data is masked by value before it is serialised (`maskValue`): a string that is a secret
 * becomes `********` whatever its length, so JSON stays valid and nothing else changes. Text that has no
 * structure (service error messages, log lines) goes through `mask`, the last line of defence. It never
 * corrupts ids or JSON: secrets shorter than 4 characters are left to structured masking, and a secret
 * shorter than 8 characters is masked only where it stands alone (not inside a word, a number, an id or
 * a JSON literal such as `true`), since such short values also occur by chance.
 */
export const maskText = '********';

/** Below this length a value is masked only structurally, never in free text. */
const minimumTextLength = 4;
/** Below this length a value is masked in free text only where it stands alone. */
const minimumSubstringLength = 8;

/** Characters that continue an id, a word or a number: a short secret next to one is not masked. */
const tokenCharacter = /[A-Za-z0-9_\-.]/;

const numberText = /^-?\d+(?:\.\d+)?$/;
const jsonPunctuation = /[:,[\]{}]/;

/** JSON literals: never masked in free text, whatever is registered. */
const jsonLiterals = new Set(['true', 'false', 'null']);

/** Keys whose values are ids or URLs: never altered by free-text masking. */
const idKey = /(?:^id|Id|ID|^url|Url|URL)$/;

/**
 * `text` with each occurrence of a short `secret` masked where it stands alone: not next to a character
 * that continues an id, word or number, and not a number inside JSON punctuation.
 */
function maskStandalone(text: string, secret: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + secret.length)) {
    const before = at > 0 ? text.charAt(at - 1) : '';
    const after = text.charAt(at + secret.length);
    const joined = tokenCharacter.test(before) || tokenCharacter.test(after);
    const jsonNumber =
      numberText.test(secret) && (jsonPunctuation.test(before) || jsonPunctuation.test(after));
    if (!joined && !jsonNumber) {
      out += text.slice(from, at) + maskText;
      from = at + secret.length;
    }
  }
  return out + text.slice(from);
}

export class SecretMasker {
  /** Every registered value, any length. */
  private readonly secrets = new Set<string>();
  /** `textSecrets()`'s cache; rebuilt when a secret is added. */
  private sorted: readonly string[] = [];
  private dirty = true;

  /** Remember a value that must never appear in logs, output channels, notifications or errors. */
  add(value: string | undefined): void {
    if (value === undefined || value === '') {
      return;
    }
    const before = this.secrets.size;
    this.secrets.add(value);
    // JSON-escaped form, for values that appear inside serialized JSON.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) {
      this.secrets.add(escaped);
    }
    if (this.secrets.size !== before) {
      this.dirty = true;
    }
  }

  /** True when `value` is a registered secret (exactly). */
  isSecret(value: string): boolean {
    return this.secrets.has(value);
  }

  /** The secrets free-text masking uses, longest first (so a secret that contains another is masked whole). */
  private textSecrets(): readonly string[] {
    if (this.dirty) {
      this.dirty = false;
      this.sorted = [...this.secrets]
        .filter((s) => s.length >= minimumTextLength && !jsonLiterals.has(s))
        .sort((a, b) => b.length - a.length);
    }
    return this.sorted;
  }

  /** Replace every known secret, bearer token and JWT-looking string in free text. */
  mask(text: string): string {
    let out = text;
    for (const secret of this.textSecrets()) {
      // Plain substring search first: most texts hold no secret at all.
      if (!out.includes(secret)) {
        continue;
      }
      out =
        secret.length >= minimumSubstringLength
          ? out.split(secret).join(maskText)
          : maskStandalone(out, secret);
    }
    out = out.replace(/(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${maskText}`);
    out = out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, maskText);
    return out;
  }

  /**
   * A copy of `value` with secrets masked, ready to serialise: a string that is a secret becomes
   * `********`; other strings (except ids and URLs) go through `mask`. Numbers, booleans and null are
   * kept: sensitive ones are masked by name by the caller (`maskInputs`), never by value.
   */
  maskValue<T>(value: T): T {
    return this.maskAny(value, undefined) as T;
  }

  private maskAny(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      if (this.secrets.has(value)) {
        return maskText;
      }
      return key !== undefined && idKey.test(key) ? value : this.mask(value);
    }
    if (Array.isArray(value)) {
      return value.map((item) => this.maskAny(item, undefined));
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, {
          value: this.maskAny(v, k),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }
}

/** The process-wide masker used by every logger. */
export const secretMasker = new SecretMasker();
