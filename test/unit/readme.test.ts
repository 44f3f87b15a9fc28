import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderReadme } from '../../scripts/readmeSections';

describe('README', () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

  it('has settings, commands and troubleshooting tables that match the code (run `npm run docs`)', () => {
    assert.equal(readme, renderReadme(readme));
  });

  it('gives the two commands of a fresh machine', () => {
    assert.match(readme, /npm install && npm start/);
    assert.match(readme, /npm test/);
  });
});
