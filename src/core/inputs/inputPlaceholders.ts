/**
 * Placeholders that "New Input File" writes for required inputs without a default:
 * `"<required: number>"`, `"<required: sensitive text, use ${secret:NAME}>"`. A placeholder is always a
 * JSON string, so the file stays valid JSON, and it always fails validation (code `placeholder`) with a
 * message saying to replace it, even for text inputs where a string would otherwise be fine.
 */
import type { FlowVariable } from './desktopFlowSchema';
import { kindLabel } from './desktopFlowSchema';

/** The regular expression (as JSON Schema `pattern` text) every placeholder matches. */
export const placeholderPattern = '^<required: [^<>]*>$';

const placeholderRegExp = new RegExp(placeholderPattern);

/** The placeholder for a variable. */
export function placeholderFor(variable: FlowVariable): string {
  const kind = kindLabel(variable.kind);
  return variable.sensitive ? `<required: sensitive ${kind}, use \${secret:NAME}>` : `<required: ${kind}>`;
}

/** True when `value` is a placeholder left in a file. */
export function isPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && placeholderRegExp.test(value);
}
