import globals from 'globals'
import neostandard from 'neostandard'

/**
 * The code's style: neostandard (standard's rules, for TypeScript and ESM) with a line-length limit.
 * Strings, template literals, regular expressions and URLs may run past it (messages and patterns
 * read better whole); code and comments may not. `npm test` runs this, and it must find nothing.
 */
export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'artifacts/**', '.tap/**', 'data/**', 'client/schema.ts', 'packages/cli/dist/**'] }),
  {
    rules: {
      '@stylistic/max-len': ['error', {
        code: 160,
        comments: 120,
        ignoreStrings: true,
        ignoreTemplateLiterals: true,
        ignoreRegExpLiterals: true,
        ignoreUrls: true,
      }],
      // `void promise` marks a promise left to run on its own (its errors handled inside), as a statement only.
      'no-void': ['error', { allowAsStatement: true }],
      // ajv and ajv-formats are CommonJS: under Node's ESM interop their class is the module's `default`.
      'new-cap': ['error', { newIsCap: true, capIsNew: false, properties: true, newIsCapExceptions: ['default'] }],
    },
  },
  {
    // What runs in the browser: the console and plugins' pages.
    files: ['console/app/**', '**/ui/**', 'sdk/nentang-page.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Plugins that misbehave on purpose, for the sandbox's tests: empty catches, thrown strings, eval.
    files: ['test/fixtures/plugins/**'],
    rules: { 'no-empty': 'off', 'no-throw-literal': 'off', 'no-new-func': 'off', 'no-void': 'off' },
  },
]
