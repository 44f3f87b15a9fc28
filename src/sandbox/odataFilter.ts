/**
 * A small but real OData `$filter` parser (evaluation is in odataFilterEval.ts): `eq ne gt ge lt le`, `and or not`,
 * parentheses, string / GUID / number / boolean / null / datetime literals, `contains`, `startswith`,
 * `endswith`, and the Dataverse query functions `Microsoft.Dynamics.CRM.In`, `NotIn`, `LastXHours`,
 * `LastXDays`. Properties are checked against the entity's property table, so an unknown one gives
 * the Dataverse 400 `0x0` error, and operand types are checked like the real OData layer does.
 */

/** Property types the sandbox's entities use. */
export type PropertyType = 'string' | 'int' | 'double' | 'boolean' | 'guid' | 'datetime';

export type LiteralType = 'string' | 'number' | 'boolean' | 'null' | 'guid' | 'datetime';

export interface Literal {
  type: LiteralType;
  value: string | number | boolean | null;
}

export type Operand = { kind: 'prop'; name: string } | { kind: 'lit'; lit: Literal };

export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'cmp'; op: ComparisonOp; left: Operand; right: Operand }
  | { kind: 'text'; fn: 'contains' | 'startswith' | 'endswith'; property: string; value: string }
  | { kind: 'in'; property: string; values: string[]; negate: boolean }
  | { kind: 'lastx'; property: string; ms: number }
  | { kind: 'prop'; name: string }
  | { kind: 'const'; value: boolean };

/** A `$filter` the service rejects; rendered as a 400. */
export class FilterError extends Error {
  readonly code: string;
  constructor(message: string, code = '0x0') {
    super(message);
    this.name = 'FilterError';
    this.code = code;
  }
}

/** What the parser needs to know about the entity being filtered. */
export interface FilterSchema {
  /** Entity type name for messages, e.g. `Microsoft.Dynamics.CRM.workflow`. */
  typeName: string;
  propertyType(name: string): PropertyType | undefined;
}

type Token =
  | { t: 'punct'; v: '(' | ')' | ',' | '[' | ']' | '=' }
  | { t: 'word'; v: string }
  | { t: 'lit'; lit: Literal };

const guidRe = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])/;
const dateRe = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?(?![\w:.-])/;
const numberRe = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?(?![\w.-])/;
const wordRe = /^[A-Za-z_$@][\w.$@/]*/;

/** True when a datetime literal names a real instant: month 1–12, a day of that month, 00:00–23:59:59. */
function validDateTime(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (m === null) {
    return false;
  }
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  return (
    (month ?? 0) >= 1 &&
    (month ?? 0) <= 12 &&
    (day ?? 0) >= 1 &&
    (day ?? 0) <= daysInMonth &&
    (hour ?? 0) <= 23 &&
    (minute ?? 0) <= 59 &&
    (second ?? 0) <= 59 &&
    (offset === null || (Number(offset[2]) <= 14 && Number(offset[3]) <= 59)) &&
    Number.isFinite(Date.parse(text))
  );
}

/** Deepest nesting of parentheses and `not`s a `$filter` may have (OData's own default limit is 100). */
export const maxFilterDepth = 100;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if ('(),[]='.includes(ch)) {
      out.push({ t: 'punct', v: ch as '(' });
      i++;
      continue;
    }
    if (ch === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) {
          throw syntaxError(text);
        }
        const c = text[i] as string;
        if (c === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += c;
        i++;
      }
      out.push({ t: 'lit', lit: { type: 'string', value: s } });
      continue;
    }
    const rest = text.slice(i);
    const guid = guidRe.exec(rest);
    if (guid) {
      out.push({ t: 'lit', lit: { type: 'guid', value: guid[0].toLowerCase() } });
      i += guid[0].length;
      continue;
    }
    const date = dateRe.exec(rest);
    if (date) {
      if (!validDateTime(date[0])) {
        // Refused like OData does, rather than compared as NaN (which matched every row for `ne`).
        throw new FilterError(
          `The DateTimeOffset text '${date[0]}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.`,
          '0x80060888',
        );
      }
      out.push({ t: 'lit', lit: { type: 'datetime', value: date[0] } });
      i += date[0].length;
      continue;
    }
    const num = numberRe.exec(rest);
    if (num) {
      out.push({ t: 'lit', lit: { type: 'number', value: Number(num[0].replace(/[mMdDfFlL]$/, '')) } });
      i += num[0].length;
      continue;
    }
    const word = wordRe.exec(rest);
    if (word) {
      const w = word[0];
      if (w === 'true' || w === 'false') {
        out.push({ t: 'lit', lit: { type: 'boolean', value: w === 'true' } });
      } else if (w === 'null') {
        out.push({ t: 'lit', lit: { type: 'null', value: null } });
      } else {
        out.push({ t: 'word', v: w });
      }
      i += w.length;
      continue;
    }
    throw syntaxError(text);
  }
  return out;
}

function syntaxError(text: string): FilterError {
  return new FilterError(`Syntax error in $filter expression '${text}'.`, '0x80060888');
}

const comparisonOps = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/** Parses `$filter` text against an entity's properties. Throws `FilterError`. */
export function parseFilter(text: string, schema: FilterSchema): FilterNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (w: string): boolean => {
    const t = peek();
    return t?.t === 'word' && t.v === w;
  };
  const expectPunct = (v: string): void => {
    const t = tokens[pos++];
    if (t?.t !== 'punct' || t.v !== v) {
      throw syntaxError(text);
    }
  };
  const property = (name: string): string => {
    if (schema.propertyType(name) === undefined) {
      throw new FilterError(`Could not find a property named '${name}' on type '${schema.typeName}'.`);
    }
    return name;
  };
  const literal = (): Literal => {
    const t = tokens[pos++];
    if (t?.t !== 'lit') {
      throw syntaxError(text);
    }
    return t.lit;
  };

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isWord('or')) {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseNot();
    while (isWord('and')) {
      pos++;
      left = { kind: 'and', left, right: parseNot() };
    }
    return left;
  };
  let depth = 0;
  const deeper = (): void => {
    if (++depth > maxFilterDepth) {
      throw new FilterError(
        `The $filter expression is nested more than ${maxFilterDepth} levels deep (parentheses and 'not').`,
        '0x80060888',
      );
    }
  };
  const parseNot = (): FilterNode => {
    if (isWord('not')) {
      pos++;
      deeper();
      const operand = parseNot();
      depth--;
      return { kind: 'not', operand };
    }
    return parseComparison();
  };
  const parseOperand = (): Operand => {
    const t = peek();
    if (t?.t === 'lit') {
      pos++;
      return { kind: 'lit', lit: t.lit };
    }
    if (t?.t === 'word' && !comparisonOps.has(t.v)) {
      pos++;
      return { kind: 'prop', name: property(t.v) };
    }
    throw syntaxError(text);
  };
  const parseComparison = (): FilterNode => {
    const t = peek();
    if (t?.t === 'punct' && t.v === '(') {
      pos++;
      deeper();
      const inner = parseOr();
      expectPunct(')');
      depth--;
      return inner;
    }
    if (t?.t === 'word' && tokens[pos + 1]?.t === 'punct' && (tokens[pos + 1] as { v: string }).v === '(') {
      return parseFunction(t.v);
    }
    const left = parseOperand();
    const opTok = peek();
    if (opTok?.t === 'word' && comparisonOps.has(opTok.v)) {
      pos++;
      const right = parseOperand();
      const node: FilterNode = { kind: 'cmp', op: opTok.v as ComparisonOp, left, right };
      checkTypes(node, schema);
      return node;
    }
    if (left.kind === 'prop' && schema.propertyType(left.name) === 'boolean') {
      return { kind: 'prop', name: left.name };
    }
    if (left.kind === 'lit' && left.lit.type === 'boolean') {
      return { kind: 'const', value: left.lit.value === true };
    }
    throw syntaxError(text);
  };
  const parseFunction = (name: string): FilterNode => {
    pos += 2; // name and '('
    const lower = name.toLowerCase();
    if (lower === 'contains' || lower === 'startswith' || lower === 'endswith') {
      const propTok = tokens[pos++];
      if (propTok?.t !== 'word') {
        throw syntaxError(text);
      }
      const prop = property(propTok.v);
      expectPunct(',');
      const lit = literal();
      expectPunct(')');
      if (lit.type !== 'string' || schema.propertyType(prop) !== 'string') {
        throw new FilterError(`The function '${lower}' requires a string property and a string literal.`);
      }
      return { kind: 'text', fn: lower, property: prop, value: lit.value as string };
    }
    const crm = /^Microsoft\.Dynamics\.CRM\.(In|NotIn|LastXHours|LastXDays)$/.exec(name);
    if (!crm) {
      throw new FilterError(`An unknown function with name '${name}' was found.`);
    }
    const args = new Map<string, Literal | Literal[]>();
    while (!(peek()?.t === 'punct' && (peek() as { v: string }).v === ')')) {
      const argName = tokens[pos++];
      if (argName?.t !== 'word') {
        throw syntaxError(text);
      }
      expectPunct('=');
      if (peek()?.t === 'punct' && (peek() as { v: string }).v === '[') {
        pos++;
        const list: Literal[] = [];
        while (!(peek()?.t === 'punct' && (peek() as { v: string }).v === ']')) {
          list.push(literal());
          if (peek()?.t === 'punct' && (peek() as { v: string }).v === ',') {
            pos++;
          }
        }
        pos++;
        args.set(argName.v, list);
      } else {
        args.set(argName.v, literal());
      }
      if (peek()?.t === 'punct' && (peek() as { v: string }).v === ',') {
        pos++;
      }
    }
    pos++;
    const propArg = args.get('PropertyName');
    if (propArg === undefined || Array.isArray(propArg) || propArg.type !== 'string') {
      throw new FilterError(`${name} requires a PropertyName string parameter.`);
    }
    const prop = property(propArg.value as string);
    const fn = crm[1] as string;
    if (fn === 'In' || fn === 'NotIn') {
      const values = args.get('PropertyValues');
      if (!Array.isArray(values)) {
        throw new FilterError(`${name} requires a PropertyValues list parameter.`);
      }
      return {
        kind: 'in',
        property: prop,
        values: values.map((l) => String(l.value).toLowerCase()),
        negate: fn === 'NotIn',
      };
    }
    const amount = args.get('PropertyValue');
    if (amount === undefined || Array.isArray(amount) || amount.type !== 'number') {
      throw new FilterError(`${name} requires a PropertyValue number parameter.`);
    }
    const unit = fn === 'LastXHours' ? 3_600_000 : 86_400_000;
    return { kind: 'lastx', property: prop, ms: (amount.value as number) * unit };
  };

  const root = parseOr();
  if (pos !== tokens.length) {
    throw syntaxError(text);
  }
  return root;
}

const edmName: Record<PropertyType, string> = {
  string: 'Edm.String',
  int: 'Edm.Int32',
  double: 'Edm.Double',
  boolean: 'Edm.Boolean',
  guid: 'Edm.Guid',
  datetime: 'Edm.DateTimeOffset',
};

const literalEdm: Record<LiteralType, string> = {
  string: 'Edm.String',
  number: 'Edm.Int32',
  boolean: 'Edm.Boolean',
  null: 'null',
  guid: 'Edm.Guid',
  datetime: 'Edm.DateTimeOffset',
};

const compatible: Record<PropertyType, readonly LiteralType[]> = {
  string: ['string', 'null'],
  int: ['number', 'null'],
  double: ['number', 'null'],
  boolean: ['boolean', 'null'],
  guid: ['guid', 'null'],
  datetime: ['datetime', 'null'],
};

function checkTypes(node: Extract<FilterNode, { kind: 'cmp' }>, schema: FilterSchema): void {
  const { left, right } = node;
  const prop = left.kind === 'prop' ? left : right.kind === 'prop' ? right : undefined;
  const lit = left.kind === 'lit' ? left.lit : right.kind === 'lit' ? right.lit : undefined;
  if (prop === undefined || lit === undefined) {
    return;
  }
  const type = schema.propertyType(prop.name) as PropertyType;
  if (!compatible[type].includes(lit.type)) {
    throw new FilterError(
      `A binary operator with incompatible types was detected. Found operand types '${edmName[type]}' and '${literalEdm[lit.type]}' for operator kind '${node.op}'.`,
    );
  }
}
