import { Agent, request } from 'node:http';

// Triggers go out over kept-alive connections from plain node:http: cheaper on the client CPU than
// fetch, and the server sees what an app service's pooled client would send. An idle pooled connection
// is dropped after 2 s, before Node servers drop it (keepAliveTimeout, 5 s): reusing one the server is
// closing fails with ECONNRESET, and the systems of a round are measured seconds apart.
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 2000 });

export interface JsonResponse {
  readonly status: number;
  readonly body: any;
}

/** POSTs a JSON body and resolves with the status and the parsed answer (null when empty). */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch {
            reject(new Error(`${url} answered ${response.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** POSTs a GraphQL operation and returns its data; throws with the errors if there are any. */
export async function graphqlData<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<T> {
  const { status, body } = await postJson(url, { query, variables }, { authorization: `Bearer ${token}` });
  if (status !== 200 || body?.errors?.length || !body?.data) {
    throw new Error(
      `GraphQL request failed (${status}): ${JSON.stringify(body?.errors ?? body).slice(0, 500)}`,
    );
  }
  return body.data as T;
}
