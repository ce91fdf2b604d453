#!/usr/bin/env node
import { main } from '../cli/main.js';

// exitCode rather than exit(): lets stdout drain when it is a pipe.
process.exitCode = await main(process.argv.slice(2));
