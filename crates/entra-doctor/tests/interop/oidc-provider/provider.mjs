// A real third-party OpenID provider (panva's oidc-provider) on 127.0.0.1,
// for entra-doctor's interop test.
//
//   node provider.mjs [--tenant <guid>] [--audience <aud>]
//
// With --tenant the issuer is Entra-shaped: http://127.0.0.1:PORT/<guid>/v2.0
// (and tokens carry tid and ver 2.0); without it the issuer is plain:
// http://127.0.0.1:PORT/oidc. The script issues one access token by the
// client-credentials grant with a resource indicator (a JWT signed RS256
// with a key of its own), prints one JSON line on standard output:
//   {"issuer", "discovery", "token", "tampered", "audience", "kid"}
// and keeps serving until standard input closes, SIGTERM, or 120 s pass.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const tenant = arg('--tenant');
const audience = arg('--audience') ?? (tenant ? '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d' : 'api://entra-doctor-interop');
const mount = tenant ? `/${tenant}/v2.0` : '/oidc';
// The resource indicator must be an absolute URI (RFC 8707); the token's
// audience may be anything, here the Azure Databricks ID for the Entra shape.
const resource = 'https://resource.entra-doctor.test';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}${mount}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomUUID();
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

const clientId = randomUUID();
const clientSecret = randomUUID() + randomUUID();
const clientObjectId = randomUUID();

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  ttl: { ClientCredentials: 3600 },
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
  // Claims a checker of Entra tokens reads: who the caller is (azp) and,
  // for the Entra-shaped issuer, the tenant, token version, kind and object ID.
  extraTokenClaims: async (ctx, token) => ({
    azp: token.clientId,
    ...(tenant ? { tid: tenant, ver: '2.0', idtyp: 'app', oid: clientObjectId } : {}),
  }),
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err}\n`));

// Mount under the issuer's path, as express' app.use(path, ...) would.
const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url === mount || req.url.startsWith(`${mount}/`) || req.url.startsWith(`${mount}?`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(mount.length) || '/';
    callback(req, res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
});

const discovery = `${issuer}/.well-known/openid-configuration`;
const meta = await (await fetch(discovery)).json();
const resp = await fetch(meta.token_endpoint, {
  method: 'POST',
  headers: {
    authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'read' }),
});
const body = await resp.json();
if (!resp.ok || typeof body.access_token !== 'string') {
  process.stderr.write(`token request failed: HTTP ${resp.status} ${JSON.stringify(body)}\n`);
  process.exit(1);
}
const token = body.access_token;

// The same token with one claim changed and the signature kept.
const [h, p, s] = token.split('.');
const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
claims.azp = 'someone-else';
const tampered = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');

process.stdout.write(`${JSON.stringify({ issuer, discovery, token, tampered, audience, kid })}\n`);

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
setTimeout(() => process.exit(0), 120_000).unref();
