// The navbar. Features add items with registerNavItem(); visible() is asked again whenever the user changes.

import { h, optionalImage } from "./dom.js";
import { fragmentTitle } from "./fragments.js";
import { onNavigate } from "./router.js";
import { isAdmin, isSignedIn, onAuthChange, renderAuthArea } from "./auth.js";

const items = [];
let list = null;

export function registerNavItem(item) {
  items.push({ order: 50, visible: () => true, ...item });
  items.sort((a, b) => a.order - b.order);
  if (list) renderItems();
}

function markCurrent(pathname) {
  for (const link of document.querySelectorAll(".site-nav a[href]")) {
    const href = link.getAttribute("href");
    const current = href === pathname || (href !== "/" && pathname.startsWith(`${href}/`));
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function renderItems() {
  const entries = await Promise.all(
    items
      .filter((item) => item.visible())
      .map(async (item) => {
        const label = typeof item.label === "function" ? await item.label() : item.label;
        return h("li", {}, h("a", { href: item.href }, label));
      }),
  );
  list.replaceChildren(...entries);
  markCurrent(window.location.pathname);
}

export async function renderNav(header) {
  const toggle = h(
    "button",
    { type: "button", class: "nav-toggle", "aria-expanded": "false", "aria-controls": "site-nav-menu" },
    h("span", { class: "nav-toggle-bar", "aria-hidden": "true" }),
    h("span", { class: "visually-hidden" }, "Menu"),
  );
  list = h("ul", { class: "nav-links" });
  const authArea = h("div", { class: "auth-area", id: "auth-area" });
  const menu = h("div", { class: "nav-menu", id: "site-nav-menu" }, list, authArea);
  const brand = h(
    "a",
    { href: "/", class: "brand" },
    optionalImage({ src: "/custom-content/nav-logo.png", alt: "", width: 32, height: 32, class: "brand-logo" }),
    h("span", { class: "brand-title" }, await fragmentTitle("Home")),
  );
  const nav = h("nav", { class: "site-nav", "aria-label": "Main" }, brand, toggle, menu);
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      toggle.click();
      toggle.focus();
    }
  });
  onNavigate((pathname) => {
    markCurrent(pathname);
    toggle.setAttribute("aria-expanded", "false");
    menu.classList.remove("open");
  });
  onAuthChange(() => {
    renderItems();
    renderAuthArea(authArea);
  });
  header.replaceChildren(nav);
  await renderItems();
  renderAuthArea(authArea);
}

registerNavItem({ href: "/getting-started", label: () => fragmentTitle("GettingStarted"), order: 10 });
registerNavItem({ href: "/apis", label: () => fragmentTitle("APIs"), order: 20 });
registerNavItem({ href: "/dashboard", label: "My Dashboard", order: 30, visible: isSignedIn });
registerNavItem({ href: "/admin", label: "Admin", order: 40, visible: isAdmin });
