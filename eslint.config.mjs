// ESLint flat config: type-checked typescript-eslint rules plus the layer boundaries of docs/architecture.md.
// test/unit/lint/layers.test.ts runs ESLint on fixture files that break each boundary and checks each is reported.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const noVscode = {
  name: 'vscode',
  message: 'The core, sandbox, CLI and unit tests never import vscode (docs/architecture.md).',
};
const noUndici = {
  name: 'undici',
  message: 'Only src/core/http/** imports undici; use HttpClient.',
};
const noMsal = {
  name: '@azure/msal-node',
  message: 'Only src/core/auth/** imports @azure/msal-node.',
};

/** A relative import that reaches one of our top-level source folders (`../vscode/x`, `../../sandbox/y`). */
function folder(name, message) {
  return { regex: `^(\\.\\.?/)+${name}(/|$)`, message };
}
const noVscodeFolder = (who) => folder('vscode', `${who} never imports src/vscode (docs/architecture.md).`);
const noCliFolder = (who) => folder('cli', `${who} never imports src/cli (docs/architecture.md).`);
const noSandboxFolder = (who) =>
  folder(
    'sandbox',
    `${who} never imports src/sandbox: the sandbox runs as a separate process, reached by URL.`,
  );
const noExtension = (who) =>
  folder(
    'extension(Features)?',
    `${who} never imports src/extension.ts or src/extensionFeatures.ts (the composition root).`,
  );
/** What the sandbox may take from the core (docs/architecture.md, "The sandbox"). */
const sandboxCoreOnly = {
  regex: '^(\\.\\./)+core/(?!(logger|util/events|util/secretMasker)$)',
  message:
    'The sandbox takes from src/core only the logger, Emitter (util/events) and secretMasker (docs/architecture.md).',
};

const restrict = (paths, patterns = []) => ({
  'no-restricted-imports': ['error', { paths, ...(patterns.length === 0 ? {} : { patterns }) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      curly: 'error',
      ...restrict([noUndici, noMsal]),
    },
  },
  {
    files: ['src/core/**'],
    rules: restrict(
      [noVscode, noUndici, noMsal],
      [
        noVscodeFolder('src/core'),
        noCliFolder('src/core'),
        noSandboxFolder('src/core'),
        noExtension('src/core'),
      ],
    ),
  },
  {
    // Hot paths (a 2 MB input file is analysed on every edit) build many small objects: an object literal
    // with a getter gets its own hidden class holding the getter's closure, which keeps everything the
    // closure sees alive until the next full collection (issue 13: the parsed file outlived each call).
    files: ['src/core/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ObjectExpression > Property[kind='get'], ObjectExpression > Property[kind='set']",
          message:
            'No getters or setters in object literals in src/core: use a class with the accessor on its prototype (see LazySpan in src/core/inputs/inputFileAnalysis.ts).',
        },
      ],
    },
  },
  {
    files: ['src/core/http/**'],
    rules: restrict(
      [noVscode, noMsal],
      [
        noVscodeFolder('src/core'),
        noCliFolder('src/core'),
        noSandboxFolder('src/core'),
        noExtension('src/core'),
      ],
    ),
  },
  {
    files: ['src/core/auth/**'],
    rules: restrict(
      [noVscode, noUndici],
      [
        noVscodeFolder('src/core'),
        noCliFolder('src/core'),
        noSandboxFolder('src/core'),
        noExtension('src/core'),
      ],
    ),
  },
  {
    files: ['src/vscode/**', 'src/extension.ts', 'src/extensionFeatures.ts'],
    rules: restrict([noUndici, noMsal], [noCliFolder('src/vscode'), noSandboxFolder('src/vscode')]),
  },
  {
    files: ['src/sandbox/**'],
    rules: restrict(
      [noVscode, noUndici, noMsal],
      [
        noVscodeFolder('src/sandbox'),
        noCliFolder('src/sandbox'),
        noExtension('src/sandbox'),
        sandboxCoreOnly,
      ],
    ),
  },
  {
    files: ['src/cli/**'],
    rules: restrict(
      [noVscode, noUndici, noMsal],
      // `desktop-flows sandbox` runs dist/sandbox.js as a child process; the CLI carries no copy of it.
      [noVscodeFolder('src/cli'), noSandboxFolder('src/cli'), noExtension('src/cli')],
    ),
  },
  {
    // Tests may use undici's MockAgent for faults the sandbox cannot produce, and raw undici as a baseline.
    files: ['test/unit/**', 'bench/**'],
    rules: restrict([noVscode, noMsal]),
  },
  prettier,
);
