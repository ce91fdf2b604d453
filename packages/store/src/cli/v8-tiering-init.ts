// Imported first by the kubets-store binary: V8's tiering options take effect for the functions
// that run after them, so they are set before the rest of the binary's modules are evaluated.
import { applyTieringFlags } from './v8-tiering.js';

applyTieringFlags();
