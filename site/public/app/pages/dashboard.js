// My Dashboard. The backend works on the caller's own key only (/apikey, /subscriptions, .../usage), so this
// page never names a user or a key in a request.

import { api } from "../api.js";
import { currentUser, signInFirst } from "../auth.js";
import { describeQuota, describeThrottle, loadCatalog } from "../catalog.js";
import { confirmDialog } from "../dialog.js";
import { day, h } from "../dom.js";
import { busy, notice, statusLine } from "../forms.js";
import { registerPage } from "../router.js";
import { usageChart } from "../usage-chart.js";

const MASK = "•".repeat(24);

function details(pairs) {
  return h("dl", { class: "details" }, pairs.filter(Boolean).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function keySection(initial, onRotated) {
  let key = initial;
  let value = null;
  let shown = false;
  const { lines, say } = statusLine();
  const code = h("code", { class: "api-key-value", id: "api-key-value" }, MASK);
  const about = h("div");
  const revealButton = h("button", { type: "button", class: "button button-small", "aria-controls": code.id }, "Reveal");
  const show = (visible) => {
    shown = visible;
    code.textContent = visible ? value : MASK;
    code.classList.toggle("masked", !visible);
    revealButton.textContent = visible ? "Hide" : "Reveal";
  };
  const fetchValue = async () => {
    value ??= (await api("/apikey?reveal=true")).value;
    return value;
  };
  const describe = () =>
    about.replaceChildren(
      details([
        ["Key id", key.id],
        ["State", key.enabled ? "Active" : "Disabled: it works again once your account is approved"],
        key.createdDate ? ["Created", day(key.createdDate)] : null,
      ]),
    );
  revealButton.addEventListener("click", () =>
    busy(revealButton, say, async () => {
      if (!shown) await fetchValue();
      show(!shown);
    }),
  );
  const copyButton = h("button", { type: "button", class: "button button-small" }, "Copy");
  copyButton.addEventListener("click", () =>
    busy(copyButton, say, async () => {
      await fetchValue();
      try {
        await navigator.clipboard.writeText(value);
        say("Your API key is copied to the clipboard.");
      } catch {
        show(true);
        getSelection()?.selectAllChildren(code);
        say("Your browser did not let the portal copy it: the key is selected, copy it yourself.");
      }
    }),
  );
  const rotateButton = h("button", { type: "button", class: "button button-small button-danger" }, "Rotate key");
  rotateButton.addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: "Rotate your API key?",
      message:
        "A new key replaces this one, with the same subscriptions. The current key stops working at once: " +
        "programs that use it need the new key.",
      confirm: "Rotate key",
      danger: true,
    });
    if (!sure) return;
    await busy(rotateButton, say, async () => {
      const rotation = await api("/apikey/rotate", { method: "POST" });
      key = rotation.key;
      value = rotation.key.value;
      describe();
      show(true);
      say(rotation.message);
      onRotated();
    });
  });
  describe();
  show(false);
  return h(
    "section",
    { class: "dashboard-box", "aria-labelledby": "api-key-heading" },
    h("h2", { id: "api-key-heading" }, "Your API key"),
    h("p", {}, "Send it in the ", h("code", {}, "x-api-key"), " header of every request to the APIs you subscribe to."),
    h("p", { class: "api-key" }, h("span", { class: "visually-hidden" }, "API key: "), code),
    h("div", { class: "row-actions" }, revealButton, copyButton, rotateButton),
    ...lines,
    about,
  );
}

function usageSection(subscription) {
  const base = `field-usage-${subscription.id}`;
  const start = h("input", { type: "date", id: `${base}-start`, name: "start", required: true });
  const end = h("input", { type: "date", id: `${base}-end`, name: "end", required: true });
  const area = h("div", { class: "usage-area", "aria-live": "polite" });
  const load = async (range) => {
    area.setAttribute("aria-busy", "true");
    try {
      const query = range ? `?${new URLSearchParams(range)}` : "";
      const usage = await api(`/subscriptions/${encodeURIComponent(subscription.id)}/usage${query}`);
      start.value = usage.start;
      end.value = usage.end;
      area.replaceChildren(usageChart(usage));
    } catch (error) {
      area.replaceChildren(notice(`The usage could not be shown: ${error.message}`, "notice-error"));
    } finally {
      area.removeAttribute("aria-busy");
    }
  };
  const form = h(
    "form",
    { class: "inline-form usage-range", "aria-label": `Usage range for ${subscription.name}` },
    h("div", { class: "field" }, h("label", { for: start.id }, "From"), start),
    h("div", { class: "field" }, h("label", { for: end.id }, "To"), end),
    h("button", { type: "submit", class: "button button-small" }, "Show"),
    h("button", { type: "button", class: "button-link", onclick: () => load(null) }, "Current quota period"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (start.value > end.value) {
      area.replaceChildren(notice(`From (${start.value}) is after To (${end.value}): swap them.`, "notice-error"));
    } else {
      load({ start: start.value, end: end.value });
    }
  });
  load(null);
  return h("div", { class: "usage" }, h("h4", {}, "Usage"), form, area);
}

/** The catalog's other plans for the stages this subscription opens: the tiers one can switch to. */
function otherTiers(subscription, catalog) {
  const tiers = new Map();
  for (const stage of subscription.apis) {
    const entry = catalog?.apis?.find((candidate) => candidate.id === stage.id);
    for (const plan of entry?.plans ?? []) if (plan.id !== subscription.id) tiers.set(plan.id, plan);
  }
  return [...tiers.values()];
}

function subscriptionCard(subscription, catalog, actions) {
  const headingId = `plan-${subscription.id}`;
  const apis = subscription.apis.length
    ? h("ul", { class: "plain-list" }, subscription.apis.map((entry) =>
        h("li", {}, h("a", { href: `/apis/${encodeURIComponent(entry.id)}` }, entry.title), ` (stage ${entry.stage})`)))
    : "No published API";
  const switches = otherTiers(subscription, catalog).map((tier) =>
    h("button", { type: "button", class: "button button-small", title: `${describeThrottle(tier.throttle)}; ${describeQuota(tier.quota)}`,
      onclick: (event) => actions.switchTo(tier, subscription, event.currentTarget) }, `Switch to ${tier.name}`),
  );
  return h(
    "li",
    { class: "subscription", "aria-labelledby": headingId },
    h("h3", { id: headingId }, subscription.name),
    subscription.description ? h("p", {}, subscription.description) : null,
    details([
      ["APIs", apis],
      ["Throttle", describeThrottle(subscription.throttle)],
      ["Quota", describeQuota(subscription.quota)],
    ]),
    h(
      "div",
      { class: "row-actions" },
      switches,
      h("button", { type: "button", class: "button button-small button-danger",
        onclick: (event) => actions.unsubscribe(subscription, event.currentTarget) }, "Unsubscribe"),
    ),
    usageSection(subscription),
  );
}

function subscriptionsSection(catalog) {
  const { lines, say } = statusLine();
  const heading = h("h2", { id: "subscriptions-heading", tabindex: -1 }, "Your subscriptions");
  const list = h("div");
  const reload = async () => {
    try {
      const subscriptions = await api("/subscriptions");
      list.replaceChildren(
        subscriptions.length
          ? h("ul", { class: "subscriptions" }, subscriptions.map((item) => subscriptionCard(item, catalog, actions)))
          : h("div", { class: "empty-state" },
              h("p", {}, "You have no subscriptions yet. Subscribe to a usage plan on an API's page, then call the API with your key."),
              h("a", { href: "/apis", class: "button button-primary" }, "Browse the APIs")),
      );
    } catch (error) {
      list.replaceChildren(notice(`Your subscriptions could not be loaded: ${error.message}`, "notice-error"));
    }
  };
  const actions = {
    async unsubscribe(subscription, button) {
      const names = subscription.apis.map((entry) => entry.title).join(", ") || "its APIs";
      const sure = await confirmDialog({
        title: `Unsubscribe from ${subscription.name}?`,
        message: `Your key stops working for ${names} at once. You can subscribe again from the API's page.`,
        confirm: "Unsubscribe",
        danger: true,
      });
      if (!sure) return;
      await busy(button, say, async () => {
        await api(`/subscriptions/${encodeURIComponent(subscription.id)}`, { method: "DELETE" });
        await reload();
        say(`You are unsubscribed from ${subscription.name}.`);
        heading.focus();
      });
    },
    async switchTo(tier, subscription, button) {
      await busy(button, say, async () => {
        const change = await api(`/subscriptions/${encodeURIComponent(tier.id)}`, { method: "PUT" });
        await reload();
        const left = change.replaced.length ? ` instead of ${subscription.name}` : "";
        say(`You are subscribed to ${change.subscription.name}${left}.`);
        heading.focus();
      });
    },
  };
  const section = h("section", { class: "dashboard-box", "aria-labelledby": heading.id }, heading, ...lines, list);
  return { section, reload };
}

registerPage({
  path: "/dashboard",
  title: "My Dashboard",
  async render(ctx) {
    if (!currentUser()) return signInFirst(ctx);
    const [key, catalog] = await Promise.allSettled([api("/apikey"), loadCatalog()]);
    const title = h("h1", {}, "My Dashboard");
    if (key.status === "rejected") {
      return h("article", { class: "page dashboard" }, title, notice(key.reason.message, "notice-error"));
    }
    const subscriptions = subscriptionsSection(catalog.status === "fulfilled" ? catalog.value : null);
    await subscriptions.reload();
    return h(
      "article",
      { class: "page dashboard" },
      title,
      keySection(key.value, () => subscriptions.reload()),
      subscriptions.section,
    );
  },
});
