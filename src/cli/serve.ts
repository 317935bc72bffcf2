import { availableParallelism } from 'node:os';
import { loadConfig } from '../config/config.js';
import { ALL_SETTINGS, SETTINGS } from '../config/settings.js';
import { settingsHelp } from '../config/settings-docs.js';
import { createGateway } from '../gateway.js';
import { createJsonLogger } from '../logger.js';
import { noPositionals } from './apps.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { oneCpuAdvice, startBanner } from './serve-banner.js';

export const SERVE_HELP = `tidings serve [--port N] [--host H] [--data-dir DIR] [--<setting> VALUE …]

Starts the gateway on its embedded defaults: SQLite in DIR (default ./data, created and migrated on
first start) and the embedded token issuer. Stops gracefully on SIGINT/SIGTERM.

Every setting is a flag and an environment variable; a flag wins. Durations take a unit (500ms, 30s, 5m,
1h, 30d); a plain number is milliseconds for variables ending in _MS, seconds for the others.

${settingsHelp()}`;

export const SERVE_OPTIONS: CommandOptions = { settings: ALL_SETTINGS };

export async function serve(args: ParsedArguments, cli: CliContext): Promise<void> {
  noPositionals(args, 'serve');
  const config = loadConfig(cli.env, {}, args.settings);
  const gateway = await createGateway(config, { logger: createJsonLogger(cli.stderr, config.logLevel) });
  const dataDir = args.settings[SETTINGS.dataDir.name];
  const advice = oneCpuAdvice(availableParallelism(), cli.nodeOptions ?? []);
  cli.stdout(startBanner(gateway, config, dataDir ? ` --data-dir ${dataDir}` : '', advice));
  await new Promise<void>((resolve) => {
    if (cli.shutdown.aborted) resolve();
    cli.shutdown.addEventListener('abort', () => resolve(), { once: true });
  });
  cli.stdout('Shutting down…\n');
  await gateway.close();
}
