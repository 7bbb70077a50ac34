/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The chaos suite runs on its own (npm run chaos, npm run chaos:long): on a loaded 2-core machine
  // its compressed clock can miss its wall-clock bound, and a flaky CI gate lands nothing.
  testPathIgnorePatterns: process.env.CHAOS ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/chaos/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/setup-keys.ts'],
};
