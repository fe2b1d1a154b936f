// Admin → APIs. The catalog publishes a change asynchronously, so after one the page reloads until it shows,
// and only then says that the catalog is updated.

import { api } from "../api.js";
import { loadCatalog } from "../catalog.js";
import { confirmDialog } from "../dialog.js";
import { h } from "../dom.js";
import { loadFailed, page, statusLine } from "../forms.js";
import { registerPage } from "../router.js";
import { dataTable } from "../table.js";
import { adminOnly, registerAdminSection } from "./admin.js";

registerAdminSection({ href: "/admin/apis", label: "APIs", description: "Choose the API Gateway stages the portal shows, upload generic specs, see invalid files.", order: 20 });

const label = (stage) => `${stage.apiName} ${stage.stage}`;
const UPDATED = / The catalog is updated within a minute\.$/;

async function fetchState() {
  const [visibility, status] = await Promise.all([api("/admin/catalog/visibility"), api("/admin/catalog/status")]);
  return { visibility, status };
}

function toggle(name, stage, checked, disabled, onchange) {
  return h("input", { type: "checkbox", role: "switch", checked, disabled, "aria-label": `${name}: ${label(stage)}`, onchange });
}

function stageRows(stages, act) {
  return stages.map((stage) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, stage.apiName, h("span", { class: "api-id" }, ` ${stage.apiId}`), stage.missing ? h("span", { class: "badge" }, "gone from API Gateway") : null),
      h("td", {}, stage.stage),
      h("td", {}, toggle("Displayed", stage, stage.displayed, false, (event) => act("display", stage, event.target))),
      h("td", {}, h("button", { type: "button", class: "button button-small", disabled: !stage.exported, "aria-label": `Update ${label(stage)}`, onclick: (event) => act("update", stage, event.currentTarget) }, "Update")),
      h("td", {}, toggle("SDK generation", stage, stage.sdkGeneration, !stage.displayed, (event) => act("sdk", stage, event.target))),
    ),
  );
}

function planGroups(visibility) {
  const groups = visibility.usagePlans.map((plan) => [`Usage plan ${plan.name}`, visibility.stages.filter((stage) => stage.plans.some((tier) => tier.id === plan.id))]);
  groups.push(["In no usage plan", visibility.stages.filter((stage) => !stage.plans.length)]);
  return groups.filter(([, stages]) => stages.length);
}

registerPage({
  path: "/admin/apis",
  title: "Admin: APIs",
  async render(ctx) {
    const refused = adminOnly(ctx);
    if (refused) return refused;
    const { lines, say } = statusLine();
    const [stagesBox, genericBox, statusBox] = [h("div"), h("div"), h("div")];
    let state;

    const draw = () => {
      const groups = planGroups(state.visibility);
      stagesBox.replaceChildren(
        ...groups.map(([title, stages]) => h("section", { class: "admin-box", "aria-label": title }, h("h3", {}, title), dataTable({ columns: ["API", "Stage", "Displayed", "Update", "SDK"], rows: stageRows(stages, act) }))),
      );
      if (!groups.length) stagesBox.replaceChildren(h("p", {}, "This account has no REST API stage besides the portal's own."));
      const generic = state.visibility.generic;
      genericBox.replaceChildren(
        generic.length
          ? dataTable({ columns: ["File", "Title", "State", ""], rows: generic.map((file) => h("tr", {}, h("th", { scope: "row" }, file.key), h("td", {}, file.title ?? ""), h("td", {}, file.state), h("td", {}, h("button", { type: "button", class: "button button-small button-danger", onclick: () => remove(file) }, `Delete ${file.key.split("/").pop()}`)))) })
          : h("p", {}, "No generic API yet."),
      );
      const { status } = state;
      const invalid = status.files.filter((file) => file.state !== "published");
      statusBox.replaceChildren(
        h("p", {}, `${status.published} published, ${status.invalid} invalid.`),
        invalid.length
          ? dataTable({ className: "catalog-problems", columns: ["File", "Problem"], rows: invalid.map((file) => h("tr", {}, h("th", { scope: "row" }, file.key), h("td", {}, file.error ?? file.state))) })
          : h("p", {}, "Every file is valid."),
      );
    };
    /** Reload until `done(state)` holds (the catalog publishes within seconds, a minute at most), then draw. */
    const reload = async (done = () => true) => {
      state = await fetchState();
      let ok = await done(state);
      for (let poll = 0; !ok && poll < 20; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        state = await fetchState();
        ok = await done(state);
      }
      draw();
      loadCatalog({ fresh: true }).catch(() => null);
      return ok;
    };
    const has = (id, field, value) => (current) => current.visibility.stages.some((stage) => stage.id === id && stage[field] === value);

    const act = async (what, stage, control) => {
      const path = `/admin/catalog/visibility/${encodeURIComponent(stage.id)}`;
      const inCatalog = (catalog) => catalog.apis.find((entry) => entry.id === stage.id);
      const on = control.checked;
      if (what === "display" && !on && stage.plans.length) {
        const names = stage.plans.map((plan) => plan.name).join(", ");
        const sure = await confirmDialog({
          title: `Hide ${label(stage)}?`,
          message: `It leaves the catalog, but keys subscribed to ${names} keep working for it: API Gateway still accepts them. To cut them off, remove the stage from those usage plans in API Gateway.`,
          confirm: "Hide",
          danger: true,
        });
        if (!sure) return void (control.checked = true);
      }
      control.disabled = true;
      try {
        let answer;
        let done;
        if (what === "display") {
          answer = await api(path, { method: on ? "PUT" : "DELETE" });
          done = async (current) => has(stage.id, "displayed", on)(current) && Boolean(inCatalog(await loadCatalog({ fresh: true }))) === on;
        } else if (what === "update") {
          answer = await api(`${path}/update`, { method: "POST" });
        } else {
          await api(`/admin/catalog/${encodeURIComponent(stage.id)}/sdk-generation`, { method: on ? "PUT" : "DELETE" });
          answer = { message: `SDK generation is ${on ? "on" : "off"} for ${label(stage)}.` };
          done = async () => inCatalog(await loadCatalog({ fresh: true }))?.sdkGeneration === on;
        }
        say(`${answer.message} Publishing…`);
        const shown = await reload(done);
        const invalid = state.status.files.find((file) => file.id === stage.id && file.state !== "published");
        if (!shown && invalid) say(`${label(stage)} is not in the catalog: ${invalid.error ?? invalid.state}`, true);
        else say(shown ? answer.message.replace(UPDATED, " The catalog is updated.") : answer.message);
      } catch (error) {
        say(error.message, true);
        await reload().catch(() => null);
      }
    };
    const remove = async (file) => {
      if (!(await confirmDialog({ title: `Delete ${file.key}?`, message: "Its API leaves the catalog.", confirm: "Delete", danger: true }))) return;
      try {
        say((await api(`/admin/catalog/generic/${encodeURIComponent(file.id)}`, { method: "DELETE" })).message);
        await reload((current) => !current.visibility.generic.some((item) => item.key === file.key));
      } catch (error) {
        say(error.message, true);
      }
    };

    const files = h("input", { type: "file", id: "generic-files", multiple: true, accept: ".json,.yaml,.yml", required: true });
    const results = h("ul", { class: "upload-results" });
    const upload = h(
      "form",
      { class: "inline-form" },
      h("div", { class: "field" }, h("label", { for: "generic-files" }, "OpenAPI or Swagger files (.json, .yaml, .yml)"), files),
      h("button", { type: "submit", class: "button button-primary" }, "Upload"),
    );
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      upload.setAttribute("aria-busy", "true");
      results.replaceChildren();
      const added = [];
      for (const file of files.files) {
        try {
          const answer = await api("/admin/catalog/generic", { method: "POST", body: { filename: file.name, content: await file.text() } });
          results.append(h("li", { class: "upload-ok" }, `${file.name}: added as ${answer.title}. ${answer.message}`));
          added.push(answer.key);
        } catch (error) {
          results.append(h("li", { class: "upload-error", role: "alert" }, `${file.name}: ${error.message}`));
        }
      }
      upload.removeAttribute("aria-busy");
      upload.reset();
      const listed = (current) => added.every((key) => current.visibility.generic.some((item) => item.key === key));
      if (added.length) await reload(listed).catch((error) => say(error.message, true));
    });

    try {
      state = await fetchState();
      draw();
    } catch (error) {
      return page("APIs", loadFailed("The API settings", error));
    }
    return h(
      "article",
      { class: "page admin-apis" },
      h("h1", {}, "APIs"),
      ...lines,
      h("h2", {}, "API Gateway stages"),
      h("p", {}, "Displayed stages are in the catalog. Update exports a redeployed stage again. SDK lets users generate client libraries."),
      stagesBox,
      h("h2", {}, "Generic APIs"),
      h("p", {}, "APIs outside API Gateway, described by a spec file. A file of the same name replaces the old one."),
      upload,
      results,
      genericBox,
      h("h2", {}, "Catalog status"),
      statusBox,
    );
  },
});
