// An agency's identity provider for the tests: panva's oidc-provider (a certified OpenID Connect
// implementation) with a login page of its own, where the test picks a person and whether they
// signed in with a second factor. Everything else is the library's protocol: discovery, the
// authorization code flow with PKCE, ID tokens signed with its keys, RP-initiated logout.
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI
import http from 'node:http';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
export const MFA = 'https://grantflow.example/acr/mfa';
export const PASSWORD = 'https://grantflow.example/acr/password';

// The agency's directory: who is who, their groups, their organisation number.
const PEOPLE = {
  'eva': { name: 'Eva Ström', email: 'eva.strom@agency.example', groups: ['grantflow-caseworkers'] },
  'bjorn': { name: 'Björn Berg', email: 'bjorn.berg@agency.example', groups: ['grantflow-approvers'] },
  'kim': { name: 'Kim Lund', email: 'kim.lund@agency.example', groups: ['payroll'] },
  'karin': { name: 'Karin Knivsta', email: 'karin@knivsta.example', groups: ['grantflow-applicants'], org_number: '212000-2965' },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    if (!PEOPLE[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...PEOPLE[id] }; } };
  },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email'],
    groups: ['groups'],
    organisation: ['org_number'],
  },
  scopes: ['openid', 'profile', 'email', 'groups', 'organisation'],
  acrValues: [MFA, PASSWORD],
  conformIdTokenClaims: false, // the claims go in the ID token, as Entra ID puts groups there
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource: autoSubmitLogout },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-only-cookie-key'] },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});

// The logout confirmation submits itself: the test is about the flow, not about a button.
async function autoSubmitLogout(ctx, form) {
  ctx.body = `<!doctype html><html><body>${form}<script>document.forms[0].submit()</script></body></html>`;
}

function page(uid, details) {
  const client = details.params.client_id;
  return `<!doctype html><html lang="en"><head><title>Agency sign-in</title></head><body>
<h1>Agency sign-in</h1><p>Signing in to ${client}</p>
<form method="post" action="/interaction/${uid}">
<label>User <input name="login" id="login" autofocus></label>
<label><input type="checkbox" name="mfa" id="mfa" value="1"> Second factor</label>
<button type="submit" id="sign-in">Sign in</button>
<button type="submit" name="refuse" value="1" id="refuse">Refuse</button>
</form></body></html>`;
}

async function interaction(req, res) {
  const uid = req.url.split('/')[2];
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(page(uid, details));
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const login = form.get('login');
  if (form.get('refuse') || !PEOPLE[login]) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'the agency refused the sign-in',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  grant.addOIDCClaims(['name', 'email', 'groups', 'org_number']);
  const grantId = await grant.save();
  const mfa = form.get('mfa') === '1';
  await provider.interactionFinished(req, res, {
    login: { accountId: login, acr: mfa ? MFA : PASSWORD, amr: mfa ? ['pwd', 'otp'] : ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => { res.statusCode = 500; res.end(String(err)); });
  } else {
    callback(req, res);
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`listening ${issuer}`));
