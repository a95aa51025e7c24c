import type { Command } from 'commander';
import type { CliIO } from '../output.js';
import { registerValidate } from './validate.js';
import { registerReplay } from './replay.js';
import { registerTopics } from './topics.js';
import { registerTail } from './tail.js';
import { registerSynth } from './synth.js';
import { registerSchemas } from './schemas.js';
import { registerDemo } from './demo.js';
import { registerLake } from './lake.js';
import { registerStream } from './stream.js';
import { registerAlerts } from './alerts.js';
import { registerBatch } from './batch.js';
import { registerStart } from './start.js';
import { registerServe } from './serve.js';
import { registerOrder } from './order.js';
import { registerBacktest } from './backtest.js';
import { registerReviews } from './reviews.js';

export type SetExitCode = (code: number) => void;

export function registerCommands(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  registerStart(program, io, setExitCode);
  registerServe(program, io, setExitCode);
  registerDemo(program, io, setExitCode);
  registerValidate(program, io, setExitCode);
  registerReplay(program, io, setExitCode);
  registerTopics(program, io, setExitCode);
  registerTail(program, io, setExitCode);
  registerSchemas(program, io, setExitCode);
  registerSynth(program, io, setExitCode);
  registerStream(program, io, setExitCode);
  registerAlerts(program, io, setExitCode);
  registerOrder(program, io, setExitCode);
  registerLake(program, io, setExitCode);
  registerBatch(program, io, setExitCode);
  registerBacktest(program, io, setExitCode);
  registerReviews(program, io);
}
