// APIs: the catalog's cards and the sidebar that API pages share. The search keeps its words in ?q= so a
// result can be linked and survives a reload.

import { ApiError } from "../api.js";
import { isSignedIn } from "../auth.js";
import { allApis, apiLabel, groupApis, loadCatalog, matchedPath, searchApis } from "../catalog.js";
import { h, plural, sanitizedHtml } from "../dom.js";
import { fragmentTitle, getFragment } from "../fragments.js";
import { registerPage } from "../router.js";

export function apiLink(entry) {
  return `/apis/${encodeURIComponent(entry.id)}`;
}

/** What to show instead of the catalog when it cannot be read. */
export function catalogProblem(error) {
  if (error instanceof ApiError && error.status === 401 && !isSignedIn()) {
    return h("p", { class: "notice" }, "Sign in to see the APIs. ", h("a", { href: "/sign-in?next=/apis" }, "Sign in"));
  }
  return h("p", { class: "notice notice-error", role: "alert" }, `The APIs could not be loaded: ${error.message}`);
}

/** The sidebar: a search field, then each API with its stages, and each stage's plan tiers. */
export function apiSidebar(catalog, { current = null, query = "", onSearch = () => {} } = {}) {
  const tree = h("ul", { class: "api-tree" });
  const stage = (entry) =>
    h(
      "li",
      {},
      h("a", { href: apiLink(entry), "aria-current": entry.id === current ? "page" : undefined }, entry.stage ?? (entry.version ? `v${entry.version}` : "Spec")),
      entry.plans.length ? h("span", { class: "api-tree-tiers" }, entry.plans.map((plan) => plan.name).join(", ")) : null,
    );
  const draw = (text) => {
    const groups = groupApis(searchApis(allApis(catalog), text));
    tree.replaceChildren(...groups.map((group) => h("li", {}, h("span", { class: "api-tree-title" }, group.title), h("ul", {}, group.entries.map(stage)))));
    if (!groups.length) tree.replaceChildren(h("li", { class: "api-tree-empty" }, "No API matches."));
  };
  const search = h("input", { type: "search", id: "api-search", value: query, placeholder: "Title, tag or path, e.g. /pets", autocomplete: "off" });
  search.addEventListener("input", () => {
    draw(search.value);
    onSearch(search.value);
  });
  draw(query);
  return h(
    "aside",
    { class: "catalog-sidebar", "aria-label": "APIs" },
    h("div", { class: "field" }, h("label", { for: "api-search" }, "Search APIs"), search),
    h("nav", { "aria-label": "APIs and stages" }, tree),
  );
}

function apiCard(entry, query) {
  const path = matchedPath(entry, query);
  return h(
    "li",
    { class: "api-card" },
    h("h3", {}, h("a", { href: apiLink(entry) }, apiLabel(entry))),
    h(
      "p",
      { class: "api-meta" },
      entry.version ? `Version ${entry.version}` : null,
      entry.plans.length ? ` · Plans: ${entry.plans.map((plan) => plan.name).join(", ")}` : null,
    ),
    entry.description ? h("p", { class: "api-description" }, entry.description) : null,
    path ? h("p", { class: "api-match" }, "Matches ", h("code", {}, path)) : null,
  );
}

registerPage({
  path: "/apis",
  async render(ctx) {
    const title = await fragmentTitle("APIs");
    ctx.setTitle(title);
    const [intro, catalog] = await Promise.all([getFragment("APIs"), loadCatalog().catch((error) => ({ error }))]);
    const head = [h("h1", {}, title), intro.html ? sanitizedHtml(intro.html) : null];
    if (catalog.error) return h("article", { class: "page" }, ...head, catalogProblem(catalog.error));
    const entries = allApis(catalog);
    if (!entries.length) {
      return h("article", { class: "page" }, ...head, h("p", { class: "notice" }, "No APIs are published yet."));
    }
    const list = h("ul", { class: "api-cards" });
    const status = h("p", { class: "api-search-status", role: "status", "aria-live": "polite" });
    const show = (query) => {
      const found = searchApis(entries, query);
      list.replaceChildren(...found.map((entry) => apiCard(entry, query)));
      status.textContent = !query.trim()
        ? plural(entries.length, "API")
        : found.length
          ? `${found.length} of ${entries.length} match “${query.trim()}”`
          : `No API matches “${query.trim()}”. Try a word of its title, a tag or a path such as /users.`;
      const url = new URL(location.href);
      if (query.trim()) url.searchParams.set("q", query.trim());
      else url.searchParams.delete("q");
      history.replaceState(history.state, "", url.href);
    };
    const query = ctx.query.get("q") ?? "";
    show(query);
    return h(
      "div",
      { class: "catalog-layout" },
      apiSidebar(catalog, { query, onSearch: show }),
      h("article", { class: "catalog-content" }, ...head, status, list),
    );
  },
});
