// Real processes in these suites: see the shared settings' comment.
export { default } from '../../vitest.process-suites.mjs';
