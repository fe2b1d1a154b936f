// Who is signed in, and the portal's session behind it. Tokens live in sessionStorage: they survive a reload
// and the managed login's redirect, and go when the tab closes. localStorage would keep a 30-day refresh
// token on disk for the next person at the computer.

import { cognito, CognitoError, pkceChallenge, randomToken, srpClient } from "./cognito.js";
import { api } from "./api.js";
import { loadConfig } from "./config.js";
import { h } from "./dom.js";
import { navigate } from "./router.js";

const ADMINS_GROUP = "admins";
const STORE = "devportal.session";
const PKCE_STORE = "devportal.pkce";
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

const signedOut = {
  user: () => null,
  getToken: async () => null,
  renderArea: (container) => container.replaceChildren(),
};

let provider = signedOut;
const listeners = new Set();

export function setAuthProvider(next) {
  provider = { ...signedOut, ...next };
  notifyAuthChanged();
}

export function currentUser() {
  return provider.user();
}

export function isSignedIn() {
  return currentUser() !== null;
}

export function isAdmin() {
  return Boolean(currentUser()?.groups?.includes(ADMINS_GROUP));
}

export function getToken() {
  return provider.getToken();
}

export function renderAuthArea(container) {
  container.dataset.state = isSignedIn() ? "signed-in" : "signed-out";
  provider.renderArea(container);
}

export function onAuthChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyAuthChanged() {
  for (const listener of listeners) listener(currentUser());
}

let session = null; // { idToken, accessToken, refreshToken, federated, receivedAt }
let refreshTimer = 0;
let refreshing = null;
let config = null;

export function claims(token) {
  try {
    const part = atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(part, (char) => char.charCodeAt(0))));
  } catch {
    return {};
  }
}

// When the ID token expires by this browser's clock: its lifetime (exp - iat) from when it arrived, so a
// clock that is off from Cognito's neither refreshes in a loop nor sends expired tokens.
function expiresAt(current) {
  const { exp = 0, iat = 0 } = claims(current.idToken);
  return (current.receivedAt ?? iat * 1000) + (exp - iat) * 1000;
}

function userOf(current) {
  if (!current) return null;
  const idClaims = claims(current.idToken);
  const groups = idClaims["cognito:groups"] ?? [];
  return { email: idClaims.email ?? "", sub: idClaims.sub, groups: Array.isArray(groups) ? groups : [groups] };
}

function store(next) {
  session = next;
  clearTimeout(refreshTimer);
  if (next) {
    sessionStorage.setItem(STORE, JSON.stringify(next));
    const due = expiresAt(next) - Date.now() - REFRESH_MARGIN_MS;
    refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(due, 1000));
  } else {
    sessionStorage.removeItem(STORE);
  }
  notifyAuthChanged();
}

function fromResult(result, previous = {}) {
  return {
    idToken: result.IdToken ?? result.id_token,
    accessToken: result.AccessToken ?? result.access_token,
    refreshToken: result.RefreshToken ?? result.refresh_token ?? previous.refreshToken,
    federated: previous.federated ?? false,
    receivedAt: Date.now(),
  };
}

/** A fresh ID token from the refresh token; signs out when Cognito refuses it (revoked, expired, disabled). */
export function refresh() {
  if (!session?.refreshToken) return Promise.resolve(null);
  refreshing ??= cognito("InitiateAuth", {
    ClientId: config.userPoolClientId,
    AuthFlow: "REFRESH_TOKEN_AUTH",
    AuthParameters: { REFRESH_TOKEN: session.refreshToken },
  })
    .then((answer) => {
      store(fromResult(answer.AuthenticationResult, session));
      return session.idToken;
    })
    .catch((error) => {
      if (error instanceof CognitoError && error.code !== "NetworkError") store(null);
      throw error;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function token() {
  if (!session) return null;
  if (expiresAt(session) - Date.now() < 60 * 1000) {
    try {
      return await refresh();
    } catch {
      return session?.idToken ?? null;
    }
  }
  return session.idToken;
}

async function signedIn(result, federated = false) {
  store({ ...fromResult(result), federated });
  // The triggers record the account already; this first-sign-in bootstrap repairs one they could not write.
  await api("/signin", { method: "POST" }).catch(() => null);
  return { done: true };
}

/**
 * Sign in with email and password (USER_SRP_AUTH). Resolves to {done: true}, or to {challenge, next} when
 * Cognito asks for more: "NEW_PASSWORD_REQUIRED" (an invited user's first sign-in) or "SOFTWARE_TOKEN_MFA";
 * call next(answer) with the new password or the authenticator code. Throws CognitoError.
 */
export async function signIn(email, password) {
  const srp = srpClient({ userPoolId: config.userPoolId, password });
  const started = await cognito("InitiateAuth", {
    ClientId: config.userPoolClientId,
    AuthFlow: "USER_SRP_AUTH",
    AuthParameters: { USERNAME: email, SRP_A: srp.srpA },
  });
  const username = started.ChallengeParameters.USER_ID_FOR_SRP;
  const answer = await cognito("RespondToAuthChallenge", {
    ClientId: config.userPoolClientId,
    ChallengeName: "PASSWORD_VERIFIER",
    ChallengeResponses: await srp.answer(started.ChallengeParameters),
  });
  const follow = async (current) => {
    if (current.AuthenticationResult) return signedIn(current.AuthenticationResult);
    const challenge = current.ChallengeName;
    const field = { NEW_PASSWORD_REQUIRED: "NEW_PASSWORD", SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE" }[challenge];
    if (!field) {
      throw new CognitoError(challenge, `This portal cannot answer Cognito's ${challenge} step; ask an administrator.`);
    }
    return {
      challenge,
      next: async (value) =>
        follow(
          await cognito("RespondToAuthChallenge", {
            ClientId: config.userPoolClientId,
            ChallengeName: challenge,
            Session: current.Session,
            ChallengeResponses: { USERNAME: username, [field]: value },
          }),
        ),
    };
  };
  return follow(answer);
}

export async function signOut() {
  const ended = session;
  store(null);
  if (!ended) return;
  // Revoking the refresh token ends this session (and its access tokens) at Cognito, not the user's others.
  await cognito("RevokeToken", { ClientId: config.userPoolClientId, Token: ended.refreshToken }).catch(() => null);
  if (ended.federated && config.cognitoDomain) {
    const logout = new URL(`${domain()}/logout`);
    logout.search = new URLSearchParams({ client_id: config.userPoolClientId, logout_uri: `${location.origin}/` });
    location.assign(logout.href);
  }
}

const domain = () => config.cognitoDomain.replace(/\/+$/, "");

/** The managed login's authorize URL for `identityProvider` (or its own chooser); remembers state and verifier. */
export async function managedLoginUrl(identityProvider, next = "/") {
  const verifier = randomToken(48);
  const state = randomToken(16);
  sessionStorage.setItem(PKCE_STORE, JSON.stringify({ verifier, state, next }));
  const url = new URL(`${domain()}/oauth2/authorize`);
  const params = {
    response_type: "code",
    client_id: config.userPoolClientId,
    redirect_uri: `${location.origin}/`,
    scope: "openid email profile",
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: "S256",
  };
  if (identityProvider) params.identity_provider = identityProvider;
  url.search = new URLSearchParams(params);
  return url.href;
}

async function finishManagedLogin(url) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_STORE) || "null");
  sessionStorage.removeItem(PKCE_STORE);
  const code = url.searchParams.get("code");
  const error = url.searchParams.get("error_description") || url.searchParams.get("error");
  // Leave the code out of the address bar and history; a problem shows on the sign-in page.
  history.replaceState({}, "", "/sign-in");
  if (!saved || url.searchParams.get("state") !== saved.state) {
    return "The sign-in with your organization could not be completed (its state did not match). Try again.";
  }
  if (error || !code) return `Your organization's sign-in did not complete: ${error || "no code came back"}.`;
  const response = await fetch(`${domain()}/oauth2/token`, {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.userPoolClientId,
      code,
      redirect_uri: `${location.origin}/`,
      code_verifier: saved.verifier,
    }),
  }).catch(() => null);
  const result = response?.ok ? await response.json() : null;
  if (!result) return "Your organization's sign-in could not be completed. Try again.";
  await signedIn(result, true);
  history.replaceState({}, "", saved.next || "/");
  return null;
}

function renderArea(container) {
  const user = userOf(session);
  if (user) {
    container.replaceChildren(
      h("span", { class: "auth-email", title: user.email }, user.email),
      h("button", { type: "button", class: "button button-small", onclick: () => signOut().then(() => navigate("/")) }, "Sign out"),
    );
  } else {
    container.replaceChildren(
      h("a", { href: "/sign-in", class: "auth-link" }, "Sign in"),
      config.registrationMode === "invite" ? null : h("a", { href: "/register", class: "button button-small" }, "Register"),
    );
  }
}

let startProblem = null;

/** The problem met while finishing the managed login, once (the sign-in page shows it). */
export function takeStartProblem() {
  const problem = startProblem;
  startProblem = null;
  return problem;
}

/** Restore the tab's session (or finish the managed login's redirect) and install it as the provider. */
export async function startSession() {
  config = await loadConfig();
  try {
    session = JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    session = null;
  }
  setAuthProvider({ user: () => userOf(session), getToken: token, renderArea });
  if (session) {
    if (expiresAt(session) - Date.now() < REFRESH_MARGIN_MS) await refresh().catch(() => null);
    else store(session);
  }
  const url = new URL(location.href);
  if (url.searchParams.has("state") && (url.searchParams.has("code") || url.searchParams.has("error"))) {
    startProblem = await finishManagedLogin(url);
  }
}

/** For pages that need a signed-in user: send the visitor to sign in, and back here afterwards. */
export function signInFirst(ctx) {
  const next = `${ctx.path}${ctx.query.size ? `?${ctx.query}` : ""}`;
  setTimeout(() => navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true }));
  return h("p", { class: "notice", role: "status" }, "Sign in to see this page.");
}
