import assert from 'node:assert/strict';
import { LineIndex } from '../../../src/core/inputs/textPositions';

/** Line and column of every offset, read one character at a time (the reference the index must match). */
function positionsByHand(text: string): { line: number; column: number }[] {
  const positions: { line: number; column: number }[] = [];
  let line = 1;
  let column = 1;
  for (let i = 0; i <= text.length; i++) {
    positions.push({ line, column });
    const c = text[i];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return positions;
}

describe('inputs: line and column of an offset', () => {
  const texts = [
    '',
    '{}',
    '{\n  "a": 1\n}\n',
    '\n\n\n',
    '{\r\n  "a": 1,\r\n  "b": 2\r\n}',
    '{\r  "a": 1\r}',
    'mixed\nline\r\nbreaks\rhere\n\r',
  ];
  for (const text of texts) {
    it(`places every offset of ${JSON.stringify(text)} as VS Code does`, () => {
      const index = new LineIndex(text);
      const expected = positionsByHand(text);
      for (let offset = 0; offset <= text.length; offset++) {
        assert.deepEqual(index.position(offset), expected[offset], `offset ${offset}`);
      }
    });
  }
});
