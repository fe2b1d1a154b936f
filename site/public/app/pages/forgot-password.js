import { cognito } from "../cognito.js";
import { loadConfig } from "../config.js";
import { h } from "../dom.js";
import { field, notice, onSubmit, page, passwordField, passwordProblem } from "../forms.js";
import { navigate, registerPage } from "../router.js";

registerPage({
  path: "/forgot-password",
  title: "Reset your password",
  async render(ctx) {
    const config = await loadConfig();
    const step = h("div", {});
    const ask = h(
      "form",
      { class: "account-form", novalidate: true },
      field({ label: "Email address", name: "email", type: "email", autocomplete: "username", value: ctx.query.get("email") ?? "" }),
      h("button", { type: "submit", class: "button button-primary" }, "Send me a code"),
    );
    onSubmit(ask, async ({ email }) => {
      email = email.trim();
      if (!email) throw new Error("Enter the email address of your account.");
      await cognito("ForgotPassword", { ClientId: config.userPoolClientId, Username: email });
      const reset = h(
        "form",
        { class: "account-form", novalidate: true },
        field({ label: "Code from the email", name: "code", inputmode: "numeric", autocomplete: "one-time-code" }),
        passwordField({ label: "New password" }),
        h("button", { type: "submit", class: "button button-primary" }, "Change password"),
      );
      onSubmit(reset, async ({ code, password }) => {
        if (!/^\d{6}$/.test(code.trim())) throw new Error("Enter the 6-digit code from the email.");
        const problem = passwordProblem(password);
        if (problem) throw new Error(problem);
        await cognito("ConfirmForgotPassword", {
          ClientId: config.userPoolClientId,
          Username: email,
          ConfirmationCode: code.trim(),
          Password: password,
        });
        navigate(`/sign-in?${new URLSearchParams({ email })}&reset=1`);
      });
      const sent = h("p", { class: "notice", role: "status", tabindex: -1 },
        `If an account exists for ${email}, we emailed it a 6-digit code. Enter it with your new password.`);
      step.replaceChildren(sent, reset);
      sent.focus();
    });
    step.append(ask);
    return page(
      "Reset your password",
      ctx.query.has("required") ? notice("An administrator asked you to choose a new password.") : null,
      step,
      h("p", {}, h("a", { href: "/sign-in" }, "Back to sign in")),
    );
  },
});
