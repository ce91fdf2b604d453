#!/usr/bin/env node
// Committed shim: npm links workspace binaries at install time, before dist/ is built, so the
// link must point at a file that always exists. The real program is dist/bin/proto-gen.js.
await import('../dist/bin/proto-gen.js');
