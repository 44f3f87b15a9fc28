/**
 * Masks secrets (tokens, client secrets, resolved sensitive inputs) in any text before it is logged
 * or shown. One process-wide registry, so every log sink masks the same values.
 */
const mask = '********';
const minimumSecretLength = 4;

export class SecretMasker {
  private readonly secrets = new Set<string>();

  /** Remember a value that must never appear in logs, output channels, notifications or errors. */
  add(value: string | undefined): void {
    if (value !== undefined && value.length >= minimumSecretLength) {
      this.secrets.add(value);
      // JSON-escaped form, for values that appear inside serialized JSON.
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) {
        this.secrets.add(escaped);
      }
    }
  }

  /** Replace every known secret, bearer token and JWT-looking string in `text`. */
  mask(text: string): string {
    let out = text;
    // Longest first so a secret that contains another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(s).join(mask);
    }
    out = out.replace(/(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${mask}`);
    out = out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, mask);
    return out;
  }
}

/** The process-wide masker used by every logger. */
export const secretMasker = new SecretMasker();
