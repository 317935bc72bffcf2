// The process entry point, and the only file that reads process.env, argv and signals.
import { runCli } from './cli/run-cli.js';

const shutdown = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => shutdown.abort());
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  shutdown: shutdown.signal,
});
// Nothing may keep the process alive once the command is done (e.g. a pool's idle timers).
process.exit();
