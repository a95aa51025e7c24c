#!/usr/bin/env node
// The package's command: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { main } from '../dist/src/cli/index.js';

// Output piped into `head` and the like: once the reader is gone, stop quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
