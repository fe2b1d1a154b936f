import { CognitoError, cognito, triggerMessage } from "../cognito.js";
import { loadConfig } from "../config.js";
import { h } from "../dom.js";
import { field, notice, onSubmit, page, passwordField, passwordProblem } from "../forms.js";
import { navigate, registerPage } from "../router.js";

const MESSAGES = {
  UsernameExistsException: "An account with this email address exists already. Sign in, or reset your password.",
  InvalidPasswordException: null, // Cognito's own message names the rule that failed
};

registerPage({
  path: "/register",
  title: "Register",
  async render() {
    const config = await loadConfig();
    if (config.registrationMode === "invite") {
      return page(
        "Register",
        notice("This portal is invitation only. Ask an administrator to invite you."),
        h("p", {}, "Invited already? ", h("a", { href: "/sign-in" }, "Sign in"), " with the temporary password from your invitation."),
      );
    }
    const form = h(
      "form",
      { class: "account-form", novalidate: true },
      field({ label: "Email address", name: "email", type: "email", autocomplete: "email" }),
      passwordField(),
      h("button", { type: "submit", class: "button button-primary" }, "Register"),
    );
    onSubmit(form, async ({ email, password }) => {
      email = email.trim();
      if (!email.includes("@")) throw new Error("Enter your email address, such as dev@example.com.");
      const problem = passwordProblem(password);
      if (problem) throw new Error(problem);
      let answer;
      try {
        answer = await cognito("SignUp", {
          ClientId: config.userPoolClientId,
          Username: email,
          Password: password,
          UserAttributes: [{ Name: "email", Value: email }],
        });
      } catch (error) {
        if (!(error instanceof CognitoError)) throw error;
        throw new Error(MESSAGES[error.code] ?? triggerMessage(error));
      }
      const query = new URLSearchParams({ email });
      navigate(answer.UserConfirmed ? `/sign-in?${query}&registered=1` : `/confirm?${query}`);
    });
    return page(
      "Register",
      h("p", {}, "Create your account to get an API key and subscribe to our APIs."),
      config.registrationMode === "request"
        ? notice("An administrator reviews each registration. You can sign in once yours is approved.")
        : null,
      form,
      h("p", {}, "Have an account? ", h("a", { href: "/sign-in" }, "Sign in"), "."),
    );
  },
});
