import { currentUser, managedLoginUrl, signIn, signOut, takeStartProblem } from "../auth.js";
import { CognitoError, cognito, triggerMessage } from "../cognito.js";
import { loadConfig } from "../config.js";
import { h } from "../dom.js";
import { field, notice, onSubmit, page, passwordField, passwordProblem } from "../forms.js";
import { navigate, registerPage } from "../router.js";

// The refusals of the pre token generation trigger (portal_common/registration.py SIGN_IN_*).
const PENDING = /waiting for an administrator's approval/;
const DENIED = /registration was declined/;

function safeNext(next) {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/dashboard";
}

const ARRIVALS = {
  confirmed: "Your email address is confirmed. Sign in to continue.",
  registered: "Your account is ready. Sign in to continue.",
  reset: "Your password is changed. Sign in with the new one.",
};

function challengeForm(result, done) {
  const invited = result.challenge === "NEW_PASSWORD_REQUIRED";
  const form = h(
    "form",
    { class: "account-form", novalidate: true },
    invited
      ? passwordField({ label: "New password", name: "answer" })
      : field({ label: "Code from your authenticator app", name: "answer", inputmode: "numeric", autocomplete: "one-time-code" }),
    h("button", { type: "submit", class: "button button-primary" }, invited ? "Set password and sign in" : "Verify"),
  );
  onSubmit(form, async ({ answer }) => {
    const problem = invited ? passwordProblem(answer) : null;
    if (problem) throw new Error(problem);
    await done(await result.next(answer));
  });
  const heading = invited ? "Choose your password" : "Enter your sign-in code";
  const intro = invited
    ? "Welcome! You signed in with the temporary password from your invitation. Choose your own password now."
    : "Your account is protected by an authenticator app. Enter the 6-digit code it shows.";
  return [h("h2", { tabindex: -1 }, heading), h("p", {}, intro), form];
}

registerPage({
  path: "/sign-in",
  title: "Sign in",
  async render(ctx) {
    const config = await loadConfig();
    const next = safeNext(ctx.query.get("next"));
    const user = currentUser();
    if (user) {
      return page(
        "Sign in",
        notice(`You are signed in as ${user.email}.`),
        h("p", { class: "actions" }, h("a", { href: next, class: "button button-primary" }, "Continue"), " ",
          h("button", { type: "button", class: "button", onclick: () => signOut().then(() => navigate(ctx.path)) }, "Sign out")),
      );
    }
    const problem = takeStartProblem();
    const arrival = Object.keys(ARRIVALS).find((key) => ctx.query.has(key));
    const email = ctx.query.get("email") ?? "";
    const step = h("div", { class: "sign-in-step" });
    const finish = async (result) => {
      if (result.done) return navigate(next);
      step.replaceChildren(...challengeForm(result, finish));
      step.querySelector("h2").focus();
    };
    const form = h(
      "form",
      { class: "account-form", novalidate: true },
      field({ label: "Email address", name: "email", type: "email", autocomplete: "username", value: email }),
      field({ label: "Password", name: "password", type: "password", autocomplete: "current-password" }),
      h("button", { type: "submit", class: "button button-primary" }, "Sign in"),
    );
    onSubmit(form, async ({ email: address, password }) => {
      address = address.trim();
      if (!address || !password) throw new Error("Enter your email address and your password.");
      try {
        await finish(await signIn(address, password));
      } catch (error) {
        if (!(error instanceof CognitoError)) throw error;
        const query = new URLSearchParams({ email: address });
        const message = triggerMessage(error);
        if (error.code === "UserNotConfirmedException") return navigate(`/confirm?${query}&unconfirmed=1`);
        if (error.code === "PasswordResetRequiredException") return navigate(`/forgot-password?${query}&required=1`);
        if (PENDING.test(message)) return navigate(`/account/pending?${query}`);
        if (DENIED.test(message)) return navigate(`/account/denied?${query}`);
        // The client hides whether an account exists; say the same where an emulation does not.
        if (error.code === "UserNotFoundException") throw new Error("Incorrect username or password.");
        throw new Error(message);
      }
    });
    step.append(form);
    const providers = config.identityProviders ?? [];
    const organization = providers.length
      ? h("p", { class: "federated" },
          h("button", {
            type: "button",
            class: "button",
            onclick: async () => location.assign(await managedLoginUrl(providers.length === 1 ? providers[0] : null, next)),
          }, "Sign in with your organization"))
      : null;
    return page(
      "Sign in",
      problem ? notice(problem, "notice-error") : null,
      arrival ? notice(ARRIVALS[arrival]) : null,
      step,
      organization,
      h("p", {}, h("a", { href: `/forgot-password${email ? `?${new URLSearchParams({ email })}` : ""}` }, "Forgot your password?")),
      config.registrationMode === "invite"
        ? null
        : h("p", {}, "New here? ", h("a", { href: "/register" }, "Register"), "."),
    );
  },
});
