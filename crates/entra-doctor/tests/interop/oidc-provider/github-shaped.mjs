// panva's oidc-provider on 127.0.0.1 as an external OIDC issuer whose tokens
// are shaped like GitHub Actions' ID tokens, for the workload identity
// federation interop test (crates/entra-doctor/tests/token_federated_interop.rs).
//
//   node github-shaped.mjs --subject <sub> [--subject <sub> ...]
//
// Each subject is a client of the provider (client credentials); its access
// token is a JWT (RS256) with `sub` = the client ID = the subject (e.g.
// `repo:org/repo:ref:refs/heads/main`), `aud` = api://AzureADTokenExchange,
// `iss` = the provider's issuer. The script asks its own token endpoint for
// one token per subject and prints one JSON line on standard output:
//   {"issuer", "jwks": <public key set>, "tokens": {"<sub>": "<jwt>", ...}}
// then serves until standard input closes, SIGTERM, or 120 s pass.

import { generateKeyPairSync, randomUUID, createPublicKey } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const subjects = [];
for (let i = 2; i < process.argv.length; i += 1) {
  if (process.argv[i] === '--subject') subjects.push(process.argv[i + 1]);
}
const audience = 'api://AzureADTokenExchange';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomUUID();
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
const publicJwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

const clients = subjects.map((sub) => ({
  client_id: sub,
  client_secret: randomUUID() + randomUUID(),
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_post',
}));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  ttl: { ClientCredentials: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://sts.entra-doctor.test',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'id',
        audience,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err}\n`));
server.on('request', provider.callback());

const tokens = {};
for (const c of clients) {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: c.client_id,
    client_secret: c.client_secret,
    scope: 'id',
  });
  const r = await fetch(`${issuer}/token`, { method: 'POST', body });
  const j = await r.json();
  if (!j.access_token) {
    process.stderr.write(`no token for ${c.client_id}: ${JSON.stringify(j)}\n`);
    process.exit(1);
  }
  tokens[c.client_id] = j.access_token;
}

process.stdout.write(`${JSON.stringify({ issuer, jwks: { keys: [publicJwk] }, tokens })}\n`);

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
setTimeout(() => process.exit(0), 120_000).unref();
