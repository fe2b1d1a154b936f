// Form and feedback helpers. Every page reports the outcome of an action the same way: news in a status, a
// problem in an alert, so screen readers announce both and a thrown Error never goes unseen.

import { h } from "./dom.js";

let counter = 0;

export function field({ label, name, type = "text", hint, required = true, ...attributes }) {
  const id = `field-${name}-${++counter}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h("input", { id, name, type, required, "aria-describedby": hintId, ...attributes });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "field-hint", id: hintId }, hint) : null,
    input,
  );
}

const RULES = [
  ["at least 12 characters", (value) => value.length >= 12],
  ["an uppercase letter", (value) => /[A-Z]/.test(value)],
  ["a lowercase letter", (value) => /[a-z]/.test(value)],
  ["a digit", (value) => /[0-9]/.test(value)],
  ["a symbol, such as ! # % or @", (value) => /[^A-Za-z0-9]/.test(value)],
];

/** A new-password field with the pool's policy listed under it, each rule ticked as it is met. */
export function passwordField({ label = "Password", name = "password" } = {}) {
  const wrapper = field({ label, name, type: "password", autocomplete: "new-password", minlength: 12 });
  const input = wrapper.querySelector("input");
  const rules = RULES.map(([text]) => h("li", {}, text));
  const list = h("ul", { class: "password-rules", id: `${input.id}-rules` }, rules);
  wrapper.insertBefore(h("p", { class: "field-hint", id: `${input.id}-intro` }, "Your password needs:"), input);
  wrapper.insertBefore(list, input);
  input.setAttribute("aria-describedby", `${input.id}-intro ${list.id}`);
  const show = h("input", { type: "checkbox", id: `${input.id}-show` });
  show.addEventListener("change", () => (input.type = show.checked ? "text" : "password"));
  wrapper.append(h("div", { class: "field-check" }, show, h("label", { for: show.id }, "Show password")));
  input.addEventListener("input", () => {
    RULES.forEach(([, test], i) => rules[i].classList.toggle("met", test(input.value)));
  });
  return wrapper;
}

/** What the password still lacks, as a sentence, or null when it meets the policy. */
export function passwordProblem(value) {
  const missing = RULES.filter(([, test]) => !test(value)).map(([text]) => text);
  return missing.length ? `Your password needs ${missing.join(", ")}.` : null;
}

export function showStatus(area, message) {
  area.textContent = message ?? "";
  area.hidden = !message;
}

/** Run `action(values)` on submit with the button disabled; an Error it throws shows in the form's alert. */
export function onSubmit(form, action) {
  let area = form.querySelector(".form-status");
  if (!area) {
    area = h("div", { class: "form-status notice notice-error", role: "alert", hidden: true });
    form.prepend(area);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((button) => (button.disabled = true));
    form.setAttribute("aria-busy", "true");
    showStatus(area, null);
    try {
      await action(Object.fromEntries(new FormData(form)), form);
    } catch (error) {
      showStatus(area, error.message);
    } finally {
      buttons.forEach((button) => (button.disabled = false));
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

/** A page's outcome line: `say(text)` shows news, `say(text, true)` a problem; it returns the line shown. */
export function statusLine() {
  const news = h("p", { class: "notice", role: "status", tabindex: -1, hidden: true });
  const problem = h("p", { class: "notice notice-error", role: "alert", tabindex: -1, hidden: true });
  const say = (text, error = false) => {
    const [shown, other] = error ? [problem, news] : [news, problem];
    other.hidden = true;
    shown.textContent = text ?? "";
    shown.hidden = !text;
    return shown;
  };
  return { lines: [news, problem], say };
}

/** Run `action` with `button` disabled; an Error it throws is said as a problem. */
export async function busy(button, say, action) {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    say(error.message, true).focus();
  } finally {
    button.disabled = false;
  }
}

export function notice(text, kind = "") {
  return h("p", { class: `notice ${kind}`.trim(), role: "status" }, text);
}

export const loadFailed = (what, error) => notice(`${what} could not be loaded: ${error.message}`, "notice-error");

export function page(title, ...children) {
  return h("article", { class: "page account-page" }, h("h1", {}, title), ...children);
}
