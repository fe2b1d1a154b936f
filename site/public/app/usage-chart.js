// Requests per day as bars (left scale) against the quota left as a line (right scale). The SVG is hidden from
// screen readers: they read the same numbers in the table, which anyone can show with "Show the numbers".

import { h, number, plural } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 56, bottom: 28, left: 44 };

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** A round upper bound for a scale, so that its ticks read 0, 5, 10 rather than 0, 3.7, 7.4. */
function niceMax(value) {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value / 4));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= value / 4) * magnitude;
  return Math.ceil(step) * 4;
}

let counter = 0;

export function usageChart(usage) {
  const id = `usage-${++counter}`;
  const days = usage.days;
  const quota = usage.quota?.limit ?? null;
  const usedMax = niceMax(Math.max(0, ...days.map((day) => day.used)));
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerWidth / Math.max(days.length, 1);
  const y = (value, max) => PAD.top + innerHeight - (value / max) * innerHeight;

  const grid = [0, 1, 2, 3, 4].map((tick) => {
    const at = y((usedMax * tick) / 4, usedMax);
    return s(
      "g",
      { class: "chart-tick" },
      s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: at, y2: at }),
      s("text", { x: PAD.left - 6, y: at + 4, "text-anchor": "end" }, number((usedMax * tick) / 4)),
      quota === null
        ? ""
        : s("text", { x: WIDTH - PAD.right + 6, y: at + 4 }, number(Math.round((quota * tick) / 4))),
    );
  });
  const bars = days.map((day, index) =>
    s("rect", {
      class: "chart-used",
      x: PAD.left + index * slot + slot * 0.15,
      y: y(day.used, usedMax),
      width: Math.max(slot * 0.7, 1),
      height: innerHeight - (y(day.used, usedMax) - PAD.top),
      "data-date": day.date,
      "data-used": day.used,
    }),
  );
  const labelEvery = Math.ceil(days.length / 8);
  const labels = days.map((day, index) =>
    index % labelEvery === 0
      ? s("text", { x: PAD.left + (index + 0.5) * slot, y: HEIGHT - 8, "text-anchor": "middle" }, day.date.slice(5))
      : "",
  );
  const line =
    quota === null
      ? ""
      : s("polyline", {
          class: "chart-remaining",
          points: days.map((day, index) => `${PAD.left + (index + 0.5) * slot},${y(day.remaining ?? 0, quota)}`).join(" "),
        });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "usage-svg", "aria-hidden": "true", focusable: "false" },
    ...grid,
    ...bars,
    ...labels,
    line,
  );

  const summary =
    `${plural(usage.used, "request")} from ${usage.start} to ${usage.end}` +
    (usage.remaining === null || usage.remaining === undefined ? "." : `; ${number(usage.remaining)} left in the quota period.`);
  const table = h(
    "table",
    { class: "data-table usage-table visually-hidden", id: `${id}-table` },
    h("caption", {}, `Requests per day, ${usage.start} to ${usage.end}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Used"), h("th", { scope: "col" }, "Remaining"))),
    h(
      "tbody",
      {},
      days.map((day) =>
        h("tr", {}, h("th", { scope: "row" }, day.date), h("td", {}, number(day.used)),
          h("td", {}, day.remaining === null || day.remaining === undefined ? "—" : number(day.remaining))),
      ),
    ),
  );
  const toggle = h("button", { type: "button", class: "button-link", "aria-controls": table.id, "aria-expanded": "false" }, "Show the numbers");
  toggle.addEventListener("click", () => {
    const shown = table.classList.toggle("visually-hidden") === false;
    toggle.setAttribute("aria-expanded", String(shown));
    toggle.textContent = shown ? "Hide the numbers" : "Show the numbers";
  });
  const legend = h(
    "ul",
    { class: "chart-legend", "aria-hidden": "true" },
    h("li", { class: "legend-used" }, "Used per day (left scale)"),
    quota === null ? null : h("li", { class: "legend-remaining" }, "Remaining in the quota period (right scale)"),
  );
  return h("figure", { class: "usage-chart" }, h("div", { class: "chart-scroll" }, svg), legend, h("figcaption", {}, summary, " ", toggle), table);
}
