// Admin → Accounts. Each status's list is read whole (GET /admin/accounts, 60 at a time) when its tab opens,
// then searched, sorted and paged here, so search and sort cover every account, not only the page on screen.

import { api } from "../api.js";
import { currentUser } from "../auth.js";
import { confirmDialog } from "../dialog.js";
import { day, h, saveBlob } from "../dom.js";
import { busy, field, onSubmit, statusLine } from "../forms.js";
import { registerPage } from "../router.js";
import { dataTable, pager, sortHeader, sortedPage } from "../table.js";
import { adminOnly, registerAdminSection } from "./admin.js";

const PAGE_SIZE = 10;
const MAX_ACCOUNTS = 6000;

const TABS = [
  { status: "registered", label: "Registered users", date: "dateRegistered", dateLabel: "Registered" },
  { status: "admin", label: "Admins", date: "datePromoted", dateLabel: "Promoted" },
  { status: "pending_request", label: "Pending requests", date: "dateRequested", dateLabel: "Requested" },
  { status: "pending_invite", label: "Pending invites", date: "dateInvited", dateLabel: "Invited" },
  { status: "denied", label: "Denied", date: "dateDenied", dateLabel: "Denied" },
];

// What each action does, how it is confirmed and what is said afterwards.
const ACTIONS = {
  approve: {
    label: "Approve",
    title: "Approve this registration?",
    message: (a) => `${a.email} will be able to sign in and get an API key.`,
    done: (a) => `${a.email} is approved.`,
  },
  deny: {
    label: "Deny",
    title: "Deny this registration?",
    message: (a) => `${a.email} will not be able to sign in. You can still approve them later.`,
    done: (a) => `${a.email} is denied.`,
    danger: true,
  },
  promote: {
    label: "Promote",
    title: "Make this user an administrator?",
    message: (a) => `${a.email} will manage the portal's APIs and accounts. They get admin rights at their next sign-in.`,
    done: (a) => `${a.email} is now an administrator.`,
  },
  demote: {
    label: "Demote",
    title: "Remove administrator rights?",
    message: (a) => `${a.email} will become a registered user.`,
    done: (a) => `${a.email} is no longer an administrator.`,
    danger: true,
  },
  "resend-invite": {
    label: "Resend invite",
    title: "Resend the invitation?",
    message: (a) => `${a.email} gets a new email with a new temporary password.`,
    done: (a) => `The invitation to ${a.email} is sent again.`,
  },
  delete: {
    label: "Delete",
    title: "Delete this account?",
    message: (a) => `This deletes ${a.email}'s sign-in, account record and API key. It cannot be undone.`,
    done: (a) => `${a.email} is deleted.`,
    danger: true,
    method: "DELETE",
  },
};

function actionsFor(account, status) {
  if (status === "pending_request") return ["approve", "deny", "delete"];
  if (status === "pending_invite") return ["resend-invite", "delete"];
  if (status === "denied") return ["approve", "delete"];
  return [account.isAdmin ? "demote" : "promote", "delete"];
}

function accountsConsole() {
  const lists = new Map(); // status -> Promise<accounts[]>
  const state = { tab: TABS[0], query: "", sort: "email", descending: false, page: 0 };
  const { lines, say } = statusLine();
  const panel = h("div", { class: "tab-panel", role: "tabpanel", id: "accounts-panel", tabindex: 0 });
  const search = h("input", { type: "search", id: "accounts-search", autocomplete: "off" });
  const tabs = TABS.map((tab) =>
    h("button", { type: "button", role: "tab", id: `tab-${tab.status}`, "aria-controls": panel.id, dataset: { status: tab.status } }, tab.label),
  );
  const tablist = h("div", { role: "tablist", "aria-label": "Accounts", class: "tabs" }, tabs);

  function load(status) {
    if (!lists.has(status)) {
      const all = (async () => {
        const accounts = [];
        let nextToken = null;
        do {
          const query = new URLSearchParams({ status, limit: "60" });
          if (nextToken) query.set("nextToken", nextToken);
          const found = await api(`/admin/accounts?${query}`);
          accounts.push(...found.accounts);
          nextToken = found.nextToken;
        } while (nextToken && accounts.length < MAX_ACCOUNTS);
        return accounts;
      })();
      all.catch(() => lists.delete(status));
      lists.set(status, all);
    }
    return lists.get(status);
  }

  async function act(name, account, button) {
    const action = ACTIONS[name];
    const confirmed = await confirmDialog({
      title: action.title,
      message: action.message(account),
      confirm: action.label,
      danger: action.danger,
    });
    if (!confirmed) return;
    const path = `/admin/accounts/${encodeURIComponent(account.userId)}${name === "delete" ? "" : `/${name}`}`;
    await busy(button, say, async () => {
      await api(path, { method: action.method ?? "POST" });
      lists.clear();
      await show();
      say(action.done(account)).focus();
    });
  }

  function table(accounts) {
    const { tab } = state;
    const me = currentUser()?.sub;
    const dateOf = (account) => account[tab.date] ?? account.dateRegistered ?? account.dateCreated ?? "";
    const needle = state.query.trim().toLowerCase();
    const found = accounts.filter((account) => !needle || account.email.toLowerCase().includes(needle));
    const shown = sortedPage(found, state, { email: (account) => account.email, date: dateOf }, PAGE_SIZE);
    const badge = (text) => h("span", { class: "badge" }, text);
    const rows = shown.rows.map((account) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, account.email, account.isAdmin && tab.status !== "admin" ? badge("admin") : null,
          account.userId === me ? badge("you") : null),
        h("td", {}, day(dateOf(account))),
        h("td", {}, h("div", { class: "row-actions" },
          actionsFor(account, tab.status).map((name) => {
            const button = h("button", {
              type: "button",
              class: `button button-small${ACTIONS[name].danger ? " button-danger" : ""}`,
              "aria-label": `${ACTIONS[name].label} ${account.email}`,
            }, ACTIONS[name].label);
            button.addEventListener("click", () => act(name, account, button));
            return button;
          }),
        )),
      ),
    );
    return [
      dataTable({
        caption: `${tab.label}, sorted by ${state.sort === "email" ? "email" : tab.dateLabel.toLowerCase()}`,
        columns: [sortHeader("Email", "email", state, show), sortHeader(tab.dateLabel, "date", state, show), "Actions"],
        rows,
        empty: needle ? `No account matches “${state.query}”.` : "No accounts here.",
      }),
      pager(tab.label, state, shown, "account", show),
    ];
  }

  async function show() {
    for (const tab of tabs) {
      const selected = tab.dataset.status === state.tab.status;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", `tab-${state.tab.status}`);
    panel.setAttribute("aria-busy", "true");
    try {
      panel.replaceChildren(...table(await load(state.tab.status)));
    } catch (error) {
      panel.replaceChildren(h("p", { class: "notice notice-error" }, `The accounts could not be loaded: ${error.message}`));
    }
    panel.removeAttribute("aria-busy");
  }

  const select = (index) => {
    state.tab = TABS[index];
    state.page = 0;
    tabs[index].focus();
    show();
  };
  tabs.forEach((tab, index) => tab.addEventListener("click", () => select(index)));
  tablist.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (index < 0 || !(event.key in moves)) return;
    event.preventDefault();
    select((moves[event.key] + tabs.length) % tabs.length);
  });
  search.addEventListener("input", () => {
    state.query = search.value;
    state.page = 0;
    show();
  });

  const invite = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-labelledby": "invite-heading" },
    field({ label: "Email address", name: "email", type: "email", autocomplete: "off" }),
    h("button", { type: "submit", class: "button button-primary" }, "Send invitation"),
  );
  onSubmit(invite, async ({ email }) => {
    const account = await api("/admin/accounts", { method: "POST", body: { email: email.trim() } });
    invite.reset();
    lists.clear();
    await show();
    say(`${account.email} is invited: they get an email with a temporary password.`).focus();
  });

  const exporter = h("button", { type: "button", class: "button" }, "Export CSV");
  exporter.addEventListener("click", () =>
    busy(exporter, (text) => say(`The export failed: ${text}`, true), async () => {
      const csv = await api("/admin/accounts/export", { headers: { Accept: "text/csv" } });
      saveBlob(new Blob([csv], { type: "text/csv" }), "accounts.csv");
    }),
  );

  show();
  return [
    ...lines,
    h("section", { class: "admin-box", "aria-labelledby": "invite-heading" },
      h("h2", { id: "invite-heading" }, "Invite a developer"), invite),
    h("section", { class: "admin-box", "aria-labelledby": "accounts-heading" },
      h("div", { class: "section-head" }, h("h2", { id: "accounts-heading" }, "Accounts by status"), exporter),
      tablist,
      h("div", { class: "field field-search" }, h("label", { for: search.id }, "Search by email"), search),
      panel,
    ),
  ];
}

registerAdminSection({
  href: "/admin/accounts",
  label: "Accounts",
  description: "Approve registrations, invite developers, promote, demote and delete accounts, export them.",
  order: 10,
});

registerPage({
  path: "/admin/accounts",
  title: "Accounts",
  render: (ctx) => adminOnly(ctx) ?? h("article", { class: "page page-wide" }, h("h1", {}, "Accounts"), ...accountsConsole()),
});
