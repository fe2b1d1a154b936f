// Client-side routes. Links to paths without a file extension are followed in place, since CloudFront serves
// index.html for those; any other link loads normally.

const routes = [];
const listeners = new Set();
let notFoundPage = { title: "Page not found", render: () => document.createTextNode("Page not found") };
let outlet = null;
let siteName = document.title || "Developer Portal";
let current = 0;

function compile(path) {
  const names = [];
  const pattern = path
    .replace(/\/+$/, "")
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        names.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${pattern || ""}/?$`), names };
}

export function registerPage(page) {
  if (!page || typeof page.path !== "string" || !page.path.startsWith("/") || typeof page.render !== "function") {
    throw new TypeError("registerPage needs { path: '/something', render: (ctx) => Node }");
  }
  routes.push({ ...page, ...compile(page.path) });
}

export function registerNotFound(page) {
  notFoundPage = page;
}

export function setSiteName(name) {
  siteName = name;
}

export function match(pathname) {
  for (const route of routes) {
    const found = route.regex.exec(pathname);
    if (found) {
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      return { route, params };
    }
  }
  return { route: notFoundPage, params: {} };
}

export function onNavigate(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function isAppPath(url) {
  const last = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  return url.origin === window.location.origin && !last.includes(".");
}

export async function render() {
  const ticket = ++current;
  const url = new URL(window.location.href);
  const { route, params } = match(url.pathname);
  let title = route.title ?? "";
  const ctx = {
    path: url.pathname,
    params,
    query: url.searchParams,
    setTitle: (text) => {
      title = text;
      document.title = text ? `${text} · ${siteName}` : siteName;
    },
  };
  outlet.setAttribute("aria-busy", "true");
  let content;
  try {
    content = await route.render(ctx);
  } catch (error) {
    console.error(error);
    content = document.createElement("p");
    content.className = "notice notice-error";
    content.textContent = `This page could not be shown: ${error.message}`;
  }
  if (ticket !== current) return; // a later navigation won
  outlet.replaceChildren(...[content].flat().filter(Boolean));
  outlet.removeAttribute("aria-busy");
  ctx.setTitle(title);
  for (const listener of listeners) listener(url.pathname);
  return ctx;
}

export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, window.location.href);
  if (!isAppPath(url)) {
    window.location.assign(url.href);
    return;
  }
  if (url.href !== window.location.href) {
    history[replace ? "replaceState" : "pushState"]({}, "", url.href);
  }
  return render().then((ctx) => {
    if (url.hash) {
      document.getElementById(url.hash.slice(1))?.scrollIntoView();
    } else {
      window.scrollTo(0, 0);
      // Move focus to the new page's heading, so keyboard and screen-reader users start there.
      const heading = outlet.querySelector("h1") ?? outlet;
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
    return ctx;
  });
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const link = event.target.closest("a[href]");
  if (!link || (link.target && link.target !== "_self") || link.hasAttribute("download")) return;
  const url = new URL(link.href, window.location.href);
  if (!isAppPath(url)) return;
  if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return;
  event.preventDefault();
  navigate(url.href);
}

export function startRouter(main) {
  outlet = main;
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", () => render());
  return render();
}
