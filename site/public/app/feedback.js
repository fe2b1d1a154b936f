// The footer's "Send feedback", for signed-in users when the portal has an admin email (features.feedback).

import { api } from "./api.js";
import { isSignedIn, onAuthChange } from "./auth.js";
import { loadConfig } from "./config.js";
import { modal } from "./dialog.js";
import { h } from "./dom.js";
import { onSubmit } from "./forms.js";

const MAX_MESSAGE = 4000;

export function openFeedback() {
  const message = h("textarea", {
    id: "feedback-message",
    name: "message",
    rows: 6,
    maxlength: MAX_MESSAGE,
    required: true,
    "aria-describedby": "feedback-hint",
  });
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");
  const form = h(
    "form",
    { class: "account-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: message.id }, "Your feedback"),
      h("p", { class: "field-hint", id: "feedback-hint" },
        `What works, what does not, what you miss: up to ${MAX_MESSAGE.toLocaleString("en-US")} characters. ` +
        "The portal's administrators see your email address and this page's address with it."),
      message),
    h("div", { class: "dialog-actions" }, cancel, h("button", { type: "submit", class: "button button-primary" }, "Send feedback")),
  );
  const body = h("div", {}, form);
  const dialog = modal("feedback-dialog", "Send feedback", body);
  cancel.addEventListener("click", () => dialog.close());
  onSubmit(form, async (values) => {
    const text = values.message.trim();
    if (!text) throw new Error("Write your feedback before sending it.");
    await api("/feedback", { method: "POST", body: { message: text, page: location.pathname } });
    const close = h("button", { type: "button", class: "button button-primary", onclick: () => dialog.close() }, "Close");
    body.replaceChildren(
      h("p", { role: "status" }, "Thank you: your feedback is sent to the portal's administrators."),
      h("div", { class: "dialog-actions" }, close),
    );
    close.focus();
  });
  message.focus();
  return dialog;
}

async function installButton() {
  const config = await loadConfig().catch(() => null);
  const footer = document.querySelector(".site-footer");
  if (!config?.features?.feedback || !footer) return;
  const button = h("button", { type: "button", class: "button-link feedback-button", onclick: openFeedback }, "Send feedback");
  const item = h("p", { class: "feedback-entry" }, button);
  const update = () => (item.hidden = !isSignedIn());
  update();
  onAuthChange(update);
  footer.append(item);
}

installButton();
