// An independent, certified OpenID provider (panva/oidc-provider) for Kaz's
// relying-party tests. Started by the Go tests on 127.0.0.1 with its
// configuration as JSON in KAZ_OP_CONFIG:
//   { "issuer": "http://127.0.0.1:PORT", "jwk": {private JWK},
//     "client": {client_id, client_secret, redirect_uris, post_logout_redirect_uris,
//                backchannel_logout_uri},
//     "account": {sub, preferred_username, name, email, groups} }
// It listens on an ephemeral loopback port and prints "listening PORT".
// Interactions complete without a page: the next login's subject, amr and
// acr are set by POST /_test/login {"amr": [...], "acr": "..."}.
import http from 'node:http';
import Provider from 'oidc-provider';

const cfg = JSON.parse(process.env.KAZ_OP_CONFIG || '{}');
const account = cfg.account;
let nextLogin = { amr: ['pwd', 'otp'], acr: 'urn:kaz:test:mfa' };

const provider = new Provider(cfg.issuer, {
  clients: [{
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_session_required: true,
    ...cfg.client,
  }],
  jwks: { keys: [cfg.jwk] },
  claims: {
    acr: null, amr: null, sid: null, auth_time: null, iss: null,
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['name', 'preferred_username', 'groups'],
    email: ['email'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // A bare form that the test submits.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><html><body>${form}<button form="op.logoutForm" name="logout" value="yes">yes</button></body></html>`;
      },
    },
  },
  pkce: { required: () => true },
  // The test's relying party is on loopback, which oidc-provider's SSRF
  // protection refuses: drop its dispatcher (tests only).
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: cfg.accessTokenTTL || 600,
    AuthorizationCode: 60,
    IdToken: 600,
    RefreshToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  findAccount: async (ctx, id) => {
    if (id !== account.sub) return undefined;
    return {
      accountId: id,
      claims: async () => ({ ...account }),
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(out);
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('backchannel.error', (ctx, err) => console.error('backchannel.error', err.message));

const callback = provider.callback();

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, {
      login: { accountId: account.sub, amr: nextLogin.amr, acr: nextLogin.acr },
    }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const d = details.prompt.details;
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      console.error('interaction', err);
      res.statusCode = 500;
      res.end('interaction failed');
    });
    return;
  }
  if (req.url === '/_test/login' && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      nextLogin = JSON.parse(body);
      res.end('ok');
    });
    return;
  }
  callback(req, res);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
