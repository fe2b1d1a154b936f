import { CognitoError, cognito } from "../cognito.js";
import { loadConfig } from "../config.js";
import { h } from "../dom.js";
import { field, notice, onSubmit, page, showStatus } from "../forms.js";
import { navigate, registerPage } from "../router.js";

registerPage({
  path: "/confirm",
  title: "Confirm your email address",
  async render(ctx) {
    const config = await loadConfig();
    const email = ctx.query.get("email") ?? "";
    const sent = h("p", { class: "notice", role: "status" });
    const say = (text) => (sent.textContent = text);
    say(
      ctx.query.has("unconfirmed")
        ? "Your email address is not confirmed yet. Enter the code we emailed you, or ask for a new one."
        : `We emailed a 6-digit code to ${email || "your address"}. Enter it here to confirm your address.`,
    );
    const resend = h("button", { type: "button", class: "button-link" }, "Send me a new code");
    const form = h(
      "form",
      { class: "account-form", novalidate: true },
      field({ label: "Email address", name: "email", type: "email", autocomplete: "email", value: email }),
      field({
        label: "Confirmation code",
        name: "code",
        inputmode: "numeric",
        autocomplete: "one-time-code",
        pattern: "[0-9]{6}",
        maxlength: 6,
      }),
      h("button", { type: "submit", class: "button button-primary" }, "Confirm"),
      h("p", {}, "No code? ", resend),
    );
    const address = () => form.elements.email.value.trim();
    onSubmit(form, async ({ code }) => {
      if (!/^\d{6}$/.test(code.trim())) throw new Error("Enter the 6-digit code from the email.");
      try {
        await cognito("ConfirmSignUp", {
          ClientId: config.userPoolClientId,
          Username: address(),
          ConfirmationCode: code.trim(),
        });
      } catch (error) {
        if (!(error instanceof CognitoError)) throw error;
        if (/CONFIRMED/.test(error.message)) {
          throw new Error("This email address is confirmed already. Sign in with your password.");
        }
        if (error.code === "ExpiredCodeException") throw new Error("This code has expired. Ask for a new one below.");
        throw new Error(`${error.message} Check the code, or ask for a new one below.`);
      }
      const query = new URLSearchParams({ email: address() });
      navigate(config.registrationMode === "request" ? `/account/pending?${query}` : `/sign-in?${query}&confirmed=1`);
    });
    resend.addEventListener("click", async () => {
      const status = form.querySelector(".form-status");
      showStatus(status, null);
      if (!address()) return showStatus(status, "Enter your email address first.");
      try {
        const answer = await cognito("ResendConfirmationCode", { ClientId: config.userPoolClientId, Username: address() });
        say(`We emailed a new code to ${answer.CodeDeliveryDetails?.Destination ?? address()}.`);
      } catch (error) {
        showStatus(status, error.message);
      }
    });
    return page("Confirm your email address", sent, form);
  },
});
