import eslint from '@eslint/js';
import { readdirSync } from 'node:fs';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Which way imports may point (DESIGN §3). Infrastructure imports no feature; a feature imports
 * infrastructure, metrics and the features it is listed with here, nothing else. A folder under
 * src/ that is neither infrastructure nor listed fails the lint until it is placed.
 */
const INFRASTRUCTURE = ['config', 'common', 'database', 'redis', 'rate-limit'];
const FEATURE_USES = {
  users: [],
  sms: [],
  metrics: [],
  health: [],
  demo: [],
  audit: [],
  captcha: [],
  fraud: ['captcha'],
  otp: ['sms', 'users', 'fraud'],
  sessions: ['users'],
  passkeys: ['users'],
  mfa: ['otp', 'users', 'sessions', 'passkeys'],
  auth: ['sessions', 'users', 'otp', 'mfa', 'passkeys', 'fraud'],
  account: ['otp', 'users', 'sessions', 'sms', 'mfa', 'fraud'],
  admin: ['users', 'sessions', 'otp', 'fraud', 'mfa', 'passkeys'],
};
const SHARED_FEATURES = ['metrics', 'audit'];
const folders = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const features = folders.filter((folder) => !INFRASTRUCTURE.includes(folder));
const unplaced = features.filter((folder) => !(folder in FEATURE_USES));
if (unplaced.length) throw new Error(`eslint.config.mjs: place src/${unplaced.join(', src/')} in FEATURE_USES`);

const forbidding = (folders, why) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: folders.map((folder) => ({
        regex: `^\\.{1,2}/(?:.*/)?${folder}(?:/|$)`,
        message: `${why} (src/${folder}/); see DESIGN §3 and FEATURE_USES in eslint.config.mjs.`,
      })),
    },
  ],
});
const importBoundaries = [
  {
    files: INFRASTRUCTURE.map((folder) => `src/${folder}/**/*.ts`),
    rules: forbidding(features, 'Infrastructure imports no feature'),
  },
  ...Object.entries(FEATURE_USES).map(([feature, uses]) => ({
    files: [`src/${feature}/**/*.ts`],
    rules: forbidding(
      features.filter((other) => other !== feature && !uses.includes(other) && !SHARED_FEATURES.includes(other)),
      `src/${feature}/ may not import this feature`,
    ),
  })),
];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        require: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      'no-console': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The demo page's script runs in the browser (src/demo/demo.controller.ts serves it).
    files: ['src/demo/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        document: 'readonly',
        window: 'readonly',
        navigator: 'readonly',
        PublicKeyCredential: 'readonly',
        atob: 'readonly',
        btoa: 'readonly',
      },
    },
  },
  {
    // The admin console's script runs in the browser (src/admin/admin-console.controller.ts serves it).
    files: ['src/admin/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        document: 'readonly',
        window: 'readonly',
        location: 'readonly',
        history: 'readonly',
        sessionStorage: 'readonly',
        getComputedStyle: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/common/openapi.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/swagger',
              message:
                'Import the OpenAPI decorators from src/common/openapi.ts, which loads Swagger only for the docs.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  ...importBoundaries,
  prettier,
);
