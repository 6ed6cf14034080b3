// panva's oidc-provider on 127.0.0.1 as the authority for `entra-doctor token`
// (interop test of the flows; the `check` interop test uses provider.mjs).
//
//   node token-provider.mjs --tenant <guid>
//
// The provider is mounted at /<tenant>, with the token and authorization
// endpoints where `entra-doctor token --scope …` looks for Entra's v2.0
// endpoints: /<tenant>/oauth2/v2.0/token and /<tenant>/oauth2/v2.0/authorize.
// Scopes: `read` (client credentials), `openid read` (authorization code);
// the resource is the default resource indicator, and access tokens are JWTs
// (RS256) for the audience printed. The sign-in and consent interactions
// complete by themselves (no pages), as user "alice".
//
// Prints one JSON line on standard output:
//   {"base", "issuer", "tenant", "resource", "audience",
//    "confidential": {"client_id", "client_secret"}, "public": {"client_id"}}
// and serves until standard input closes, SIGTERM, or 120 s pass.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const tenant = arg('--tenant') ?? randomUUID();
const mount = `/${tenant}`;
const resource = 'https://resource.entra-doctor.test';
const audience = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
const issuer = `${base}${mount}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const confidential = { client_id: randomUUID(), client_secret: randomUUID() + randomUUID() };
const publicClient = { client_id: randomUUID() };

const provider = new Provider(issuer, {
  clients: [
    {
      ...confidential,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      ...publicClient,
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://localhost'],
      token_endpoint_auth_method: 'none',
    },
  ],
  routes: {
    authorization: '/oauth2/v2.0/authorize',
    token: '/oauth2/v2.0/token',
    jwks: '/discovery/v2.0/keys',
  },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  pkce: { required: () => true },
  ttl: { ClientCredentials: 3600, AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
  interactions: { url: (ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: async (ctx, token) => ({ azp: token.clientId, tid: tenant }),
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err}\n`));

// Sign-in and consent, done without a page: alice, every scope asked for.
async function interaction(req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session } = details;
    const result = {};
    if (prompt.name === 'login') {
      result.login = { accountId: 'alice' };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      if (d.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
      }
      result.consent = { grantId: await grant.save() };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  } catch (err) {
    process.stderr.write(`interaction: ${err}\n`);
    res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
  }
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith(`${mount}/interaction/`)) {
    interaction(req, res);
  } else if (req.url === mount || req.url.startsWith(`${mount}/`) || req.url.startsWith(`${mount}?`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(mount.length) || '/';
    callback(req, res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
});

process.stdout.write(`${JSON.stringify({
  base, issuer, tenant, resource, audience, confidential, public: publicClient,
})}\n`);

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
setTimeout(() => process.exit(0), 120_000).unref();
