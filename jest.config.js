// Buckets and snapshots must not depend on the machine's time zone.
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  ...base,
  // Some of Grafana's dependencies ship only .mjs files; compile them like the rest.
  transform: { ...base.transform, '^.+\\.mjs$': swc },
  // jsdom would pick the browser build of yaml, an ES module; the tests read files like node does.
  moduleNameMapper: { ...base.moduleNameMapper, '^yaml$': '<rootDir>/node_modules/yaml/dist/index.js' },
  testTimeout: 30000,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
