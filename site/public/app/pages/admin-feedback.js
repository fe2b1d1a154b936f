// Admin → Feedback: what users sent with the feedback form, newest first, a page at a time, each deletable
// behind a confirmation. Only administrators reach it (the backend refuses anyone else too).

import { api } from "../api.js";
import { loadConfig } from "../config.js";
import { confirmDialog } from "../dialog.js";
import { h } from "../dom.js";
import { notice, page } from "../forms.js";
import { registerPage } from "../router.js";
import { adminOnly, registerAdminSection } from "./admin.js";

const PAGE_SIZE = 25;

registerAdminSection({
  href: "/admin/feedback",
  label: "Feedback",
  description: "Read and delete what users sent with the feedback form.",
  order: 30,
});

function when(value) {
  return value ? value.slice(0, 16).replace("T", " ") : "—";
}

registerPage({
  path: "/admin/feedback",
  title: "Feedback",
  async render(ctx) {
    const refused = adminOnly(ctx);
    if (refused) return refused;
    const config = await loadConfig();
    const line = h("p", { class: "action-status", role: "status" });
    const rows = h("tbody");
    const table = h("table", { class: "data-table feedback-table" },
      h("caption", { class: "visually-hidden" }, "Feedback, newest first"),
      h("thead", {}, h("tr", {}, ["Sent", "From", "Page", "Message", "Actions"].map((name) => h("th", { scope: "col" }, name)))),
      rows);
    const empty = notice("No feedback yet.");
    const more = h("button", { type: "button", class: "button button-small", hidden: true }, "Show older feedback");
    let nextToken = null;

    const row = (item) => {
      const remove = h("button", { type: "button", class: "button button-small button-danger" }, "Delete");
      const tr = h("tr", {},
        h("td", {}, h("time", { datetime: item.dateCreated }, when(item.dateCreated))),
        h("td", {}, item.email || item.userId),
        h("td", {}, item.page ? h("a", { href: item.page }, item.page) : "—"),
        h("td", { class: "feedback-text" }, item.message),
        h("td", {}, remove));
      remove.addEventListener("click", async () => {
        const sure = await confirmDialog({
          title: "Delete this feedback?",
          message: `The feedback from ${item.email || item.userId} is deleted for good.`,
          confirm: "Delete",
          danger: true,
        });
        if (!sure) return;
        remove.disabled = true;
        try {
          await api(`/admin/feedback/${encodeURIComponent(item.feedbackId)}`, { method: "DELETE" });
          tr.remove();
          line.textContent = `The feedback from ${item.email || item.userId} is deleted.`;
          empty.hidden = rows.children.length > 0;
          table.hidden = !empty.hidden;
        } catch (error) {
          line.textContent = `The feedback could not be deleted: ${error.message}`;
          remove.disabled = false;
        }
      });
      return tr;
    };
    const load = async () => {
      const query = new URLSearchParams({ limit: PAGE_SIZE });
      if (nextToken) query.set("nextToken", nextToken);
      const answer = await api(`/admin/feedback?${query}`);
      rows.append(...answer.feedback.map(row));
      nextToken = answer.nextToken ?? null;
      more.hidden = !nextToken;
      empty.hidden = rows.children.length > 0;
      table.hidden = !empty.hidden;
    };
    more.addEventListener("click", async () => {
      more.disabled = true;
      await load().catch((error) => (line.textContent = `Older feedback could not be loaded: ${error.message}`));
      more.disabled = false;
    });
    try {
      await load();
    } catch (error) {
      return page("Feedback", notice(`The feedback could not be loaded: ${error.message}`, "notice-error"));
    }
    return h(
      "article",
      { class: "page admin-feedback" },
      h("h1", {}, "Feedback"),
      config.features?.feedback
        ? null
        : notice("The feedback form is off: set admin_email on the DevPortal (DevPortalAdminEmail in the example) to turn it on."),
      line,
      empty,
      table,
      more,
    );
  },
});
