// Modal <dialog>s: each is removed when it closes, and focus goes back to what had it.

import { h } from "./dom.js";

let count = 0;

/** Show `children` in a modal dialog; `onClose(dialog)` runs after it is removed. */
export function modal(className, title, children, onClose) {
  const before = document.activeElement;
  const id = `dialog-title-${++count}`;
  const dialog = h("dialog", { class: `confirm-dialog ${className}`, "aria-labelledby": id }, h("h2", { id }, title), children);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (before instanceof HTMLElement && before.isConnected) before.focus();
    onClose?.(dialog);
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Resolves true when the person confirms, false otherwise. Focus starts on Cancel; Escape cancels. */
export function confirmDialog({ title, message, confirm = "Confirm", danger = false }) {
  const cancel = h("button", { type: "submit", value: "cancel", class: "button" }, "Cancel");
  const text = h("p", { id: "confirm-dialog-message" }, message);
  return new Promise((resolve) => {
    const dialog = modal(
      "",
      title,
      h("form", { method: "dialog" }, text, h("div", { class: "dialog-actions" }, cancel,
        h("button", { type: "submit", value: "confirm", class: `button button-primary${danger ? " button-danger" : ""}` }, confirm))),
      (closed) => resolve(closed.returnValue === "confirm"),
    );
    dialog.setAttribute("aria-describedby", text.id);
    cancel.focus();
  });
}

/** A modal form; `action(formData)` runs on submit, and an Error it throws shows in the dialog. */
export function formDialog(title, intro, fields, submit, action) {
  const status = h("p", { class: "notice notice-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { method: "dialog", class: "account-form" },
    h("p", {}, intro),
    status,
    fields,
    h(
      "div",
      { class: "dialog-actions" },
      h("button", { type: "submit", value: "cancel", class: "button", formnovalidate: true }, "Cancel"),
      h("button", { type: "submit", value: "go", class: "button button-primary" }, submit),
    ),
  );
  const dialog = modal("form-dialog", title, form);
  form.addEventListener("submit", async (event) => {
    if (event.submitter?.value !== "go") return;
    event.preventDefault();
    form.setAttribute("aria-busy", "true");
    status.hidden = true;
    try {
      await action(new FormData(form));
      dialog.close();
    } catch (error) {
      status.textContent = error.message;
      status.hidden = false;
    }
    form.removeAttribute("aria-busy");
  });
}
