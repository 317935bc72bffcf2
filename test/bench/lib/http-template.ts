// An HTTP POST described as data, so that a load generator in another process can send it many times:
// the body is a template whose placeholders are filled per request.

/** Where the target of one request goes (a device's deviceSubscriptionId: Tidings' UNSID, or a user id). */
export const TARGET = '__TARGET__';
/** Where the request's own key goes (e.g. a unique appNotificationId). */
export const KEY = '__KEY__';

export interface HttpRequestTemplate {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A JSON body, maybe with `TARGET` and `KEY` in it. */
  readonly body: string;
}

/** The body of the i-th request: the i-th target (round robin) and the key `keyPrefix + i`. */
export function fillBody(template: string, targets: readonly string[], keyPrefix: string, i: number): string {
  const target = targets.length > 0 ? (targets[i % targets.length] as string) : '';
  return template.replace(TARGET, target).replace(KEY, `${keyPrefix}${i}`);
}
