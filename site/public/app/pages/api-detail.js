// One API's page, /apis/:apiId with the catalog id (such as "a1b2c3d4e5_prod"). Try it out sends the user's
// key only for API Gateway stages; a generic API is not served by API Gateway.

import { api, apiUrl } from "../api.js";
import { currentUser, getToken, isAdmin } from "../auth.js";
import { describeQuota, describeThrottle, loadCatalog } from "../catalog.js";
import { formDialog } from "../dialog.js";
import { h, optionalImage, sanitizedHtml, saveBlob } from "../dom.js";
import { busy, statusLine } from "../forms.js";
import { registerPage } from "../router.js";
import { renderOperations } from "../swagger.js";
import { apiLink, apiSidebar, catalogProblem } from "./apis.js";

const DEFAULT_LOGO = "/custom-content/api-logos/default.png";
// API Gateway's SDK types and the parameters each requires.
const SDKS = {
  javascript: ["JavaScript"],
  java: ["Java", "serviceName"],
  android: ["Android", "groupId", "invokerPackage", "artifactId", "artifactVersion"],
  objectivec: ["Objective-C", "classPrefix"],
  swift: ["Swift", "classPrefix"],
  ruby: ["Ruby", "service.name"],
};
let counter = 0;

// api-logos/index.json lists the operator's logos, so a stage without one costs no failed request.
let logos = null;
async function logo(entry) {
  logos ??= fetch("/custom-content/api-logos/index.json").then((answer) => answer.json()).then((found) => new Set(found.logos), () => new Set());
  const src = (await logos).has(entry.id) && entry.logo ? entry.logo : DEFAULT_LOGO;
  return optionalImage({ class: "api-logo", src, alt: "", width: 64, height: 64 });
}

/** Save the answer to `path` (the portal's API, with the user's token) as a file. */
async function download(path, name) {
  const token = await getToken();
  const response = await fetch(await apiUrl(path), { credentials: "omit", headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error((await response.json().catch(() => null))?.message ?? `The portal's API answered ${response.status}.`);
  saveBlob(await response.blob(), /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? name);
}

function choice(type, name, value, label, checked = false) {
  const id = `choice-${++counter}`;
  return h("div", { class: "field-check" }, h("input", { type, id, name, value, checked }), h("label", { for: id }, label));
}

const group = (legend, ...options) => h("fieldset", { class: "choice-group" }, h("legend", {}, legend), options);

function exportDialog(entry) {
  const extensions = [["postman", "Postman"]];
  if (isAdmin()) extensions.push(["integrations", "Integrations"], ["authorizers", "Authorizers"], ["apigateway", "All API Gateway extensions"]);
  formDialog(
    `Export ${entry.title}`,
    "API Gateway exports the deployed stage as a definition file.",
    [
      group("Definition", choice("radio", "type", "oas30", "OpenAPI 3", true), choice("radio", "type", "swagger", "Swagger 2")),
      group("Format", choice("radio", "format", "json", "JSON", true), choice("radio", "format", "yaml", "YAML")),
      group("Extensions", extensions.map(([value, label]) => choice("checkbox", "extensions", value, label))),
    ],
    "Download",
    (data) => {
      const query = new URLSearchParams({ type: data.get("type"), format: data.get("format") });
      if (data.getAll("extensions").length) query.set("extensions", data.getAll("extensions").join(","));
      return download(`/catalog/${encodeURIComponent(entry.id)}/export?${query}`, `${entry.id}.${data.get("format")}`);
    },
  );
}

function sdkDialog(entry) {
  const select = h("select", { id: "sdk-type", name: "sdkType" }, Object.entries(SDKS).map(([value, [label]]) => h("option", { value }, label)));
  const parameters = h("div", { class: "account-form" });
  const draw = () =>
    parameters.replaceChildren(
      ...SDKS[select.value].slice(1).map((name) => {
        const id = `sdk-${++counter}`;
        return h("div", { class: "field" }, h("label", { for: id }, name), h("input", { id, name, required: true }));
      }),
    );
  select.addEventListener("change", draw);
  draw();
  formDialog(
    `SDK for ${entry.title}`,
    "API Gateway generates a client library for this stage, as a zip file.",
    [h("div", { class: "field" }, h("label", { for: "sdk-type" }, "Language"), select), parameters],
    "Generate",
    (data) => download(`/catalog/${encodeURIComponent(entry.id)}/sdk?${new URLSearchParams(data)}`, `${entry.id}-sdk.zip`),
  );
}

async function mySubscriptions() {
  return currentUser() ? new Set((await api("/subscriptions")).map((plan) => plan.id)) : null;
}

function plansSection(entry, subscribed, say, redraw) {
  if (entry.kind === "generic") return h("p", { class: "notice" }, "This API is not served by API Gateway, so it needs no subscription here.");
  if (!entry.plans.length) return h("p", { class: "notice" }, "No usage plan includes this stage yet, so no one can subscribe to it.");
  const act = (button, method, plan) =>
    busy(button, say, async () => {
      const answer = await api(`/subscriptions/${encodeURIComponent(plan.id)}`, { method });
      const replaced = (answer?.replaced ?? []).map((id) => entry.plans.find((tier) => tier.id === id)?.name ?? id);
      say(method === "PUT" ? `You are subscribed to ${plan.name}${replaced.length ? `, which replaces ${replaced.join(", ")}` : ""}.` : `You left ${plan.name}.`);
      await redraw();
    });
  return h(
    "ul",
    { class: "plan-tiers" },
    entry.plans.map((plan) => {
      const mine = subscribed?.has(plan.id);
      const [method, text, kind] = mine ? ["DELETE", "Unsubscribe from", "button"] : ["PUT", "Subscribe to", "button button-primary"];
      return h(
        "li",
        { class: "plan-tier" },
        h("h3", {}, plan.name, mine ? h("span", { class: "badge" }, "Subscribed") : null),
        plan.description ? h("p", {}, plan.description) : null,
        h("dl", {}, h("dt", {}, "Rate"), h("dd", {}, describeThrottle(plan.throttle)), h("dt", {}, "Quota"), h("dd", {}, describeQuota(plan.quota))),
        subscribed
          ? h("button", { type: "button", class: kind, onclick: (event) => act(event.currentTarget, method, plan) }, `${text} ${plan.name}`)
          : h("a", { class: "button", href: `/sign-in?next=${encodeURIComponent(apiLink(entry))}` }, "Sign in to subscribe"),
      );
    }),
  );
}

function keyHint(entry, subscribed) {
  if (entry.kind === "generic") return "";
  if (!subscribed) return "Sign in and subscribe to a plan to try these operations with your API key.";
  if (!entry.plans.some((plan) => subscribed.has(plan.id))) return "Subscribe to a plan above: Try it out then sends your API key.";
  return "Try it out sends your API key (x-api-key). My Dashboard shows it, and rotates it.";
}

const failure = (text) => h("p", { class: "notice notice-error", role: "alert" }, text);

registerPage({
  path: "/apis/:apiId",
  title: "API",
  async render(ctx) {
    const catalog = await loadCatalog().catch((error) => ({ error }));
    if (catalog.error) return h("article", { class: "page" }, h("h1", {}, "API"), catalogProblem(catalog.error));
    const id = ctx.params.apiId;
    const entry = [...catalog.apis, ...catalog.generic].find((candidate) => candidate.id === id);
    if (!entry) {
      ctx.setTitle("API not found");
      return h("article", { class: "page" }, h("h1", {}, "API not found"), h("p", { class: "notice" }, `The catalog has no API ${id}; it may have been hidden. `, h("a", { href: "/apis" }, "See all APIs")));
    }
    ctx.setTitle(entry.stage ? `${entry.title} (${entry.stage})` : entry.title);
    const signedIn = Boolean(currentUser());
    const gateway = entry.kind === "apiGateway";
    const [spec, subscribed, key, docs, image] = await Promise.all([
      api(`/catalog/${encodeURIComponent(id)}/spec`).catch((error) => ({ error })),
      mySubscriptions().catch(() => null),
      signedIn && gateway ? api("/apikey?reveal=true").then((found) => found.value, () => null) : null,
      entry.hasDocs ? api(`/catalog/${encodeURIComponent(id)}/docs`).catch(() => null) : null,
      logo(entry),
    ]);

    const { lines, say } = statusLine();
    const plans = h("div", {});
    const hint = h("p", { class: "api-key-hint" });
    const drawPlans = async (mine) => {
      plans.replaceChildren(plansSection(entry, mine, say, async () => drawPlans(await mySubscriptions().catch(() => null))));
      hint.textContent = keyHint(entry, mine);
    };
    drawPlans(subscribed);

    const button = (label, onclick) => h("button", { type: "button", class: "button", onclick }, label);
    const actions = h(
      "div",
      { class: "row-actions" },
      spec.error ? null : button("Download spec", () => saveBlob(new Blob([JSON.stringify(spec, null, 2)], { type: "application/json" }), `${id}.json`)),
      gateway && signedIn ? button("Export", () => exportDialog(entry)) : null,
      gateway && signedIn && entry.sdkGeneration ? button("Generate SDK", () => sdkDialog(entry)) : null,
    );

    const problem = h("p", { class: "notice notice-error try-it-problem", role: "alert", hidden: true });
    const operations = h("div", { class: "api-operations" }, spec.error ? failure(`The spec could not be loaded: ${spec.error.message}`) : h("p", {}, "Loading the operations…"));
    if (!spec.error) {
      const onProblem = (message) => {
        problem.textContent = message ?? "";
        problem.hidden = !message;
      };
      renderOperations(operations, spec, { apiKey: key, onProblem }).catch((error) => operations.replaceChildren(failure(error.message)));
    }
    const kind = `${entry.openapi.startsWith("2") ? "Swagger" : "OpenAPI"} ${entry.openapi}`;
    return h(
      "div",
      { class: "catalog-layout" },
      apiSidebar(catalog, { current: id }),
      h(
        "article",
        { class: "catalog-content" },
        h(
          "header",
          { class: "api-header" },
          image,
          h("div", {}, h("h1", {}, entry.title, entry.stage ? [" ", h("span", { class: "badge" }, entry.stage)] : null), h("p", { class: "api-meta" }, entry.version ? `Version ${entry.version} · ${kind}` : kind)),
        ),
        entry.description ? h("p", {}, entry.description) : null,
        entry.endpoint ? h("p", {}, "Endpoint: ", h("code", { class: "api-endpoint" }, entry.endpoint)) : null,
        actions,
        h("h2", {}, "Plans"),
        ...lines,
        plans,
        docs?.html ? h("section", { "aria-label": "Documentation" }, sanitizedHtml(docs.html)) : null,
        h("h2", {}, "Operations"),
        hint,
        problem,
        operations,
      ),
    );
  },
});
