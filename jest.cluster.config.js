// The production-shaped cluster's suite (npm run test:cluster): PostgreSQL and four Temporal service
// processes started by test/helpers/cluster.ts; kept out of the default `npm test`.
/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 180000,
};
