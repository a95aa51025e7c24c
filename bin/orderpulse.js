#!/usr/bin/env node
// The package's command: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { main } from '../dist/src/cli/index.js';

process.exitCode = await main(process.argv);
