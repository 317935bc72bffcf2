// App tokens from a gateway's real token endpoint. No test-runner imports: the benchmark uses it too.

/** An app token from a gateway's real token endpoint (`origin`: e.g. http://127.0.0.1:1234). */
export async function fetchAppToken(origin: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await requestAppToken(origin, clientId, clientSecret);
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The token endpoint's raw answer to a client-credentials request (`origin`: e.g. http://127.0.0.1:1234). */
export function requestAppToken(origin: string, clientId: string, clientSecret: string): Promise<Response> {
  return fetch(`${origin.replace(/\/graphql$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
}
