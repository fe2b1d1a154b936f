// A confirmation dialog (a modal <dialog>): resolves true when the person confirms, false otherwise.
// Focus starts on Cancel and goes back to what was focused before; Escape cancels.
//
//   if (await confirmDialog({ title: "Delete account?", message: "...", confirm: "Delete", danger: true })) ...

import { h } from "./dom.js";

export function confirmDialog({ title, message, confirm = "Confirm", danger = false }) {
  const before = document.activeElement;
  const cancelButton = h("button", { type: "submit", value: "cancel", class: "button" }, "Cancel");
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": "confirm-dialog-title", "aria-describedby": "confirm-dialog-message" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "confirm-dialog-title" }, title),
      h("p", { id: "confirm-dialog-message" }, message),
      h(
        "div",
        { class: "dialog-actions" },
        cancelButton,
        h("button", { type: "submit", value: "confirm", class: `button button-primary${danger ? " button-danger" : ""}` }, confirm),
      ),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (before instanceof HTMLElement && before.isConnected) before.focus();
      resolve(dialog.returnValue === "confirm");
    });
    dialog.showModal();
    cancelButton.focus();
  });
}
