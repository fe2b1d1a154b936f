// Admin → Feedback, newest first. The backend pages it with a token, so older feedback is read on request.

import { api } from "../api.js";
import { loadConfig } from "../config.js";
import { confirmDialog } from "../dialog.js";
import { h, minute } from "../dom.js";
import { busy, loadFailed, notice, page, statusLine } from "../forms.js";
import { registerPage } from "../router.js";
import { dataTable } from "../table.js";
import { adminOnly, registerAdminSection } from "./admin.js";

const PAGE_SIZE = 25;

registerAdminSection({
  href: "/admin/feedback",
  label: "Feedback",
  description: "Read and delete what users sent with the feedback form.",
  order: 30,
});

registerPage({
  path: "/admin/feedback",
  title: "Feedback",
  async render(ctx) {
    const refused = adminOnly(ctx);
    if (refused) return refused;
    const config = await loadConfig();
    const { lines, say } = statusLine();
    const table = dataTable({
      className: "feedback-table",
      caption: "Feedback, newest first",
      columns: ["Sent", "From", "Page", "Message", "Actions"],
      rows: [],
    });
    const rows = table.tBodies[0];
    const empty = notice("No feedback yet.");
    const more = h("button", { type: "button", class: "button button-small", hidden: true }, "Show older feedback");
    const showEmpty = () => {
      empty.hidden = rows.children.length > 0;
      table.hidden = !empty.hidden;
    };
    let nextToken = null;

    const row = (item) => {
      const from = item.email || item.userId;
      const remove = h("button", { type: "button", class: "button button-small button-danger" }, "Delete");
      const tr = h("tr", {},
        h("td", {}, h("time", { datetime: item.dateCreated }, minute(item.dateCreated))),
        h("td", {}, from),
        h("td", {}, item.page ? h("a", { href: item.page }, item.page) : "—"),
        h("td", { class: "feedback-text" }, item.message),
        h("td", {}, remove));
      remove.addEventListener("click", async () => {
        const sure = await confirmDialog({
          title: "Delete this feedback?",
          message: `The feedback from ${from} is deleted for good.`,
          confirm: "Delete",
          danger: true,
        });
        if (!sure) return;
        await busy(remove, (text) => say(`The feedback could not be deleted: ${text}`, true), async () => {
          await api(`/admin/feedback/${encodeURIComponent(item.feedbackId)}`, { method: "DELETE" });
          tr.remove();
          say(`The feedback from ${from} is deleted.`);
          showEmpty();
        });
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
      showEmpty();
    };
    more.addEventListener("click", () => busy(more, (text) => say(`Older feedback could not be loaded: ${text}`, true), load));
    try {
      await load();
    } catch (error) {
      return page("Feedback", loadFailed("The feedback", error));
    }
    return h(
      "article",
      { class: "page admin-feedback" },
      h("h1", {}, "Feedback"),
      config.features?.feedback
        ? null
        : notice("The feedback form is off: set admin_email on the DevPortal (DevPortalAdminEmail in the example) to turn it on."),
      ...lines,
      empty,
      table,
      more,
    );
  },
});
