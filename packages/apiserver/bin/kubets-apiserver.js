#!/usr/bin/env node
// Committed shim: npm links workspace binaries at install time, before dist/ is built.
await import('../dist/bin/kubets-apiserver.js');
