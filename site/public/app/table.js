// The admin pages' tables. Sorting and paging run here, over lists read whole, so they cover every row.
import { h, plural } from "./dom.js";

/** `columns` are header texts or <th>s; `empty` fills the body when there is no row. */
export function dataTable({ className = "", caption, columns, rows, empty }) {
  return h(
    "table",
    { class: `data-table ${className}`.trim() },
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((column) => (typeof column === "string" ? h("th", { scope: "col" }, column) : column)))),
    h("tbody", {}, rows.length || !empty ? rows : h("tr", {}, h("td", { colspan: columns.length }, empty))),
  );
}

/** The page of `items` that `state` ({sort, descending, page}) asks for; `keys[state.sort](item)` orders them. */
export function sortedPage(items, state, keys, size) {
  const key = keys[state.sort];
  const sorted = [...items].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return (x < y ? -1 : x > y ? 1 : 0) * (state.descending ? -1 : 1);
  });
  const pages = Math.max(1, Math.ceil(sorted.length / size));
  state.page = Math.min(state.page, pages - 1);
  return { rows: sorted.slice(state.page * size, (state.page + 1) * size), pages, total: sorted.length };
}

/** A column header that sorts by `key`, and reverses on a second click; focus stays on it after `redraw()`. */
export function sortHeader(label, key, state, redraw) {
  const active = state.sort === key;
  const onclick = async () => {
    state.descending = active && !state.descending;
    state.sort = key;
    state.page = 0;
    await redraw();
    document.querySelector('th[aria-sort]:not([aria-sort="none"]) button')?.focus();
  };
  return h(
    "th",
    { scope: "col", "aria-sort": active ? (state.descending ? "descending" : "ascending") : "none" },
    h("button", { type: "button", class: "sort", onclick }, label,
      h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (state.descending ? " ▼" : " ▲") : "")),
  );
}

export function pager(label, state, { pages, total }, noun, redraw) {
  const go = (text, page, disabled) =>
    h("button", { type: "button", class: "button button-small", disabled, onclick: () => ((state.page = page), redraw()) }, text);
  return h(
    "nav",
    { class: "pager", "aria-label": `${label} pages` },
    go("Previous", state.page - 1, state.page === 0),
    h("span", { "aria-live": "polite" }, `Page ${state.page + 1} of ${pages} · ${plural(total, noun)}`),
    go("Next", state.page + 1, state.page >= pages - 1),
  );
}
