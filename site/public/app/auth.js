// Who is signed in, behind one small interface that the accounts feature fills in.
//
// Until a provider is installed the visitor is signed out and the navbar's sign-in area is empty.
// The accounts feature calls, once, at start-up:
//
//   import { setAuthProvider } from "./auth.js";
//   setAuthProvider({
//     user: () => ({ email, groups }) | null,      // the signed-in user, or null
//     getToken: async () => "eyJ..." | null,       // the bearer token api.js sends
//     renderArea: (container) => {...},           // fills the navbar's sign-in area
//   });
//
// and calls notifyAuthChanged() whenever the user signs in or out; listeners (the navbar, pages) re-render.

const signedOut = {
  user: () => null,
  getToken: async () => null,
  renderArea: (container) => {
    container.replaceChildren();
  },
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
