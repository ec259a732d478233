import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The layers of src/, lowest first: a module imports only from its own folder and the layers below
// it. Folders on one line marked `peers: false` do not import each other either.
const LAYERS = [
  { members: ['src/model', 'src/errors.ts', 'src/output-path.ts', 'src/url-host.ts'], peers: true },
  { members: ['src/shared'], peers: true },
  { members: ['src/redis'], peers: true },
  { members: ['src/store'], peers: true },
  { members: ['src/server', 'src/load', 'src/verify', 'src/faults'], peers: false },
  { members: ['src/report'], peers: true },
  { members: ['src/run'], peers: true },
  { members: ['src/commands'], peers: true },
  { members: ['src/cli.ts'], peers: true },
];

const layerZones = LAYERS.flatMap((layer, i) =>
  layer.members.map((target) => {
    const above = LAYERS.slice(i + 1).flatMap((l) => l.members);
    const peers = layer.peers ? [] : layer.members.filter((m) => m !== target);
    return {
      target: `./${target}`,
      from: [...peers, ...above].map((m) => `./${m}`),
      message: 'layering: a module imports only from its own folder and the layers below it (README, Layout)',
    };
  }),
).filter((zone) => zone.from.length > 0);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Only the CLI entry sets exit codes; everything else throws typed errors.
    files: ['src/**/*.ts'],
    ignores: ['src/cli.ts', 'src/**/*-worker.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'exit' }] },
  },
  {
    // The layering of src/ and no import cycle between its files.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Small modules, one job each: files under 400 lines, functions under 120.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 120 }],
    },
  },
);
