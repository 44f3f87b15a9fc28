// ESLint flat config: type-checked typescript-eslint rules plus the layer boundaries of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const noVscode = {
  name: 'vscode',
  message: 'The core, sandbox, CLI and unit tests never import vscode (docs/architecture.md).',
};
const noUndici = {
  name: 'undici',
  message: 'Only src/core/http/httpClient.ts imports undici; use HttpClient.',
};
const noMsal = {
  name: '@azure/msal-node',
  message: 'Only src/core/auth/msalTokenProvider.ts imports @azure/msal-node.',
};

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
      'no-restricted-imports': ['error', { paths: [noUndici, noMsal] }],
    },
  },
  {
    files: ['src/core/**', 'src/sandbox/**', 'src/cli/**', 'test/unit/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noUndici, noMsal] }] },
  },
  { files: ['src/core/http/httpClient.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noMsal] }] } },
  { files: ['src/core/auth/msalTokenProvider.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noUndici] }] } },
  {
    // Tests may use undici's MockAgent for faults the sandbox cannot produce, and raw undici as a baseline.
    files: ['test/unit/**', 'bench/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noMsal] }] },
  },
  prettier,
);
