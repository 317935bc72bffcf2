// The process entry point, and the only file that reads process.env, argv and signals.
import { runCli } from './cli/run-cli.js';
import { askYesNo } from './cli/terminal.js';

const shutdown = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => shutdown.abort());
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  nodeOptions: [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)],
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  shutdown: shutdown.signal,
  // Only a terminal has someone to answer a question.
  ...(process.stdin.isTTY
    ? { confirm: (question: string) => askYesNo(process.stdin, process.stdout, question) }
    : {}),
});
// Nothing may keep the process alive once the command is done (e.g. a pool's idle timers, or the
// 60-second timers the WebAssembly schema engine of `migrate` leaves behind).
process.exit();
