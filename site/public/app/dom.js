// Pages build elements with h() rather than HTML strings: nothing from the API can become markup, and on*
// props become listeners, as the CSP allows no inline handlers.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// Only for fragment HTML, which the content renderer sanitized at deploy time.
export function sanitizedHtml(html, className = "fragment") {
  const container = h("div", { class: className });
  container.innerHTML = html;
  return container;
}

// An image that hides itself when the file is missing, so a removed logo leaves no broken icon.
export function optionalImage(attributes) {
  const image = h("img", { decoding: "async", ...attributes });
  image.addEventListener("error", () => {
    image.hidden = true;
  });
  return image;
}

/** Let the browser save `blob` as the file `name`. */
export function saveBlob(blob, name) {
  const link = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// Dates arrive as ISO 8601 in UTC and are shown as written, so every administrator reads the same time.
export const day = (iso) => (iso ? iso.slice(0, 10) : "—");
export const minute = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "—");
export const number = (value) => value.toLocaleString("en-US");
export const plural = (count, word) => `${number(count)} ${word}${count === 1 ? "" : "s"}`;
