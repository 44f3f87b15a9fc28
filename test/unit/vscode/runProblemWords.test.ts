import assert from 'node:assert/strict';
import type { RunProblem } from '../../../src/core/runs/prepareRun';
import { describeRunProblems, problemPlace } from '../../../src/vscode/runs/runProblemWords';

const typeProblem: RunProblem = {
  code: 'inputs',
  severity: 'error',
  field: 'inputs',
  message: 'Input "inputInteger" must be a number, not the text "seven".',
  fix: 'Write a number, e.g. 7.',
  located: true,
  source: '.desktopflows/echo-text/a.json',
  input: {
    code: 'type',
    severity: 'error',
    message: 'Input "inputInteger" must be a number, not the text "seven".',
    fix: 'Write a number, e.g. 7.',
    path: ['inputInteger'],
    pathText: '$.inputInteger',
    input: 'inputInteger',
    line: 4,
    column: 19,
    offset: 80,
    length: 7,
  },
};

describe('run problem words', () => {
  it('says nothing was sent, where the first problem is in a file, and how to fix it', () => {
    const text = describeRunProblems('Echo Text', [typeProblem]);
    assert.equal(
      text,
      '"Echo Text" was not started; nothing was sent. .desktopflows/echo-text/a.json: at line 4, column 19: Input "inputInteger" must be a number, not the text "seven". Write a number, e.g. 7.',
    );
  });

  it('gives no line for inputs that were not written in a file, and counts further problems', () => {
    const inline: RunProblem = { ...typeProblem, located: false, source: 'inline inputs' };
    const connection: RunProblem = {
      code: 'connectionNotFound',
      severity: 'error',
      field: 'connection',
      message: 'No desktop-flow connection "x" in "Contoso Dev".',
      fix: 'Pick one from the connections list.',
    };
    assert.equal(problemPlace(inline), undefined);
    const text = describeRunProblems('Echo Text', [inline, connection]);
    assert.match(
      text,
      /^"Echo Text" was not started; nothing was sent\. Inline inputs: Input "inputInteger"/,
    );
    assert.match(text, /\(1 more problem\)$/);
  });

  it('leads with a blocking problem, not a warning', () => {
    const warning: RunProblem = {
      ...typeProblem,
      severity: 'warning',
      message: 'A warning.',
      located: false,
      field: 'connection',
    };
    assert.match(describeRunProblems('Echo Text', [warning, typeProblem]), /at line 4, column 19/);
  });
});
