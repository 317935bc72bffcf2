import { randomUUID } from 'node:crypto';
import { oneOf } from '../config/kinds.js';
import { EXISTING_STORE_HELP, JSON_HELP, printJson, STORE_SETTINGS } from './apps.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';
import { gatewayIssuer } from './embedded-signer.js';
import { withExistingStore } from './existing-store.js';
import { defaultEndpoint, graphqlEndpoint } from './gateway-url.js';

export const SEND_HELP = `tidings send --app <client id> (--unsid <UNSID> | --user <user id>) --title TEXT [--body TEXT]
             [--id ID] [--priority NONE|LOW|HIGH] [--group NAME] [--url URL] [--json] [--data-dir DIR]
             [--database-url URL]

Posts a notification through the running gateway (createNotification), as the app service <client id>
would, so the user's live devices receive it at once. Prints the outcome (CREATED, or REPLACED when the
app already posted that --id to the user) and the notification's id.

  --unsid UNSID   the user behind one of their devices (a device subscription's id)
  --user ID       the user by id, as their user tokens carry it (tidings token user <user id>): the
                  notification waits in their feed even if they have no device yet

The app token is minted with the embedded issuer's key in DIR: run send where the gateway's data
directory is, with the gateway's TIDINGS_ISSUER and TIDINGS_AUDIENCE (no client secret is needed).
Only apps of the embedded issuer can send this way.

  --id ID     your key for the notification (appNotificationId); default: a new random one
  --url URL   the gateway, e.g. http://127.0.0.1:4000 (default: http://HOST:PORT of the environment)
${JSON_HELP} Its fields: outcome, id, appNotificationId.
${EXISTING_STORE_HELP}`;

export const SEND_OPTIONS: CommandOptions = {
  values: ['app', 'unsid', 'user', 'title', 'body', 'id', 'priority', 'group', 'url'],
  switches: ['json'],
  settings: STORE_SETTINGS,
};

const PRIORITY = oneOf(['NONE', 'LOW', 'HIGH'] as const);
/** Long enough for a gateway under load; short enough that a hung one does not hang the terminal. */
const ANSWER_TIMEOUT_MS = 30_000;
/** The minted app token only has to last for this one request. */
const TOKEN_TTL_SECONDS = 300;

const CREATE_NOTIFICATION = `mutation Send($input: CreateNotificationInput!) {
  createNotification(input: $input) { outcome notification { id appNotificationId } }
}`;

interface GraphQLAnswer {
  readonly data?: {
    createNotification?: { outcome: string; notification: { id: string; appNotificationId: string } } | null;
  } | null;
  readonly errors?: ReadonlyArray<{ message: string; extensions?: { code?: string; field?: string } }>;
}

export async function sendNotification(args: ParsedArguments, cli: CliContext): Promise<void> {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `send takes no ${JSON.stringify(args.positionals[0])}: quote a title or body with spaces (see: tidings send --help).`,
    );
  }
  const appId = required(args, 'app', 'the client id of the app that posts (see: tidings apps list)');
  const target = recipient(args);
  const title = required(args, 'title', 'the title the devices show');
  const rawPriority = args.value('priority') ?? 'NONE';
  const priority = PRIORITY.parse(rawPriority);
  if (!priority) {
    throw new UsageError(`--priority must be ${PRIORITY.accepts} (got ${JSON.stringify(rawPriority)}).`);
  }
  const explicitUrl = args.value('url');
  const endpoint = explicitUrl === undefined ? undefined : graphqlEndpoint(explicitUrl);

  const { app, config } = await withExistingStore(args.settings, cli, async (store, config) => ({
    app: await store.findApp(appId),
    config,
  }));
  if (!app) throw new UsageError(`No app with client id ${appId} (see: tidings apps list).`);
  if (app.tokenIssuer !== null) {
    throw new UsageError(
      `The app ${appId} gets its tokens from ${app.tokenIssuer}; send can only post as apps of the embedded issuer.`,
    );
  }
  const issuer = await gatewayIssuer(config);
  const token = await issuer.issueAppToken(app.id, TOKEN_TTL_SECONDS);
  const body = args.value('body');
  const group = args.value('group');
  const input = {
    ...target,
    appNotificationId: args.value('id') ?? `cli-${randomUUID()}`,
    priority,
    payload: { visualContent: { title, ...(body === undefined ? {} : { body }) } },
    ...(group === undefined ? {} : { groupName: group }),
  };
  const url = endpoint ?? defaultEndpoint(config);
  const answer = await post(url, token, { query: CREATE_NOTIFICATION, variables: { input } }, cli.shutdown);
  const created = answer.data?.createNotification;
  if (created) {
    if (args.switched('json')) {
      const { id, appNotificationId } = created.notification;
      return printJson(cli, { outcome: created.outcome, id, appNotificationId });
    }
    cli.stdout(
      `${created.outcome} notification ${created.notification.id} (id ${created.notification.appNotificationId}).\n`,
    );
    return;
  }
  throw refusal(answer, url);
}

/** Who gets the notification: exactly one of --unsid and --user, as createNotification takes them. */
function recipient(args: ParsedArguments): { deviceSubscriptionId: string } | { userId: string } {
  const unsid = args.value('unsid');
  const user = args.value('user');
  if (unsid !== undefined && user !== undefined) {
    throw new UsageError('send takes --unsid or --user, not both: they name the user two ways.');
  }
  if (user !== undefined) return { userId: required(args, 'user', 'the id of the user') };
  return {
    deviceSubscriptionId: required(
      args,
      'unsid',
      "the UNSID of one of the user's devices (or --user: the user's id)",
    ),
  };
}

function required(args: ParsedArguments, name: string, what: string): string {
  const value = args.value(name);
  if (!value) throw new UsageError(`send needs --${name}: ${what}.`);
  return value;
}

async function post(url: URL, token: string, body: unknown, shutdown: AbortSignal): Promise<GraphQLAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.any([shutdown, AbortSignal.timeout(ANSWER_TIMEOUT_MS)]),
    });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw new CommandFailure(`The gateway at ${url} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s.`);
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandFailure(
      `Cannot reach the gateway at ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}): ` +
        'is `tidings serve` running there? Pass --url to name another.',
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(await response.text());
  } catch {
    answer = null;
  }
  if (typeof answer !== 'object' || answer === null || !('data' in answer || 'errors' in answer)) {
    throw new CommandFailure(`${url} answered HTTP ${response.status}, not GraphQL: is --url the gateway?`);
  }
  return answer as GraphQLAnswer;
}

/** The gateway's refusal as one line: a mistake in the command (exit 2) or a failure (exit 1). */
function refusal(answer: GraphQLAnswer, url: URL): Error {
  const error = answer.errors?.[0];
  const code = error?.extensions?.code ?? 'no code';
  const said = `${error?.message ?? 'no answer'} (${code})`;
  switch (code) {
    case 'NOT_FOUND':
      return new UsageError(
        `No device subscription with that UNSID for this app, or it has expired: ${said}`,
      );
    case 'BAD_USER_INPUT':
      return new UsageError(`The gateway refused the notification: ${said}`);
    case 'UNAUTHENTICATED':
      return new UsageError(
        `The gateway at ${url} refused the app token minted from this data directory: ${said}. ` +
          'Run send with the data directory and TIDINGS_ISSUER/TIDINGS_AUDIENCE of that gateway.',
      );
    default:
      return new CommandFailure(`The gateway could not post the notification: ${said}`);
  }
}
