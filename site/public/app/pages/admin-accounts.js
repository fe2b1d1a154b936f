// Admin → Accounts: registered users, admins, pending requests, pending invites and denied registrations, with
// search, sort and pagination, every account action behind a confirmation dialog, invitations and a CSV export.
//
// Each list is read whole (pages of 60 from GET /admin/accounts) when its tab opens, then searched, sorted and
// paged here, so search and sort cover every account, not only the page on screen.

import { api } from "../api.js";
import { currentUser } from "../auth.js";
import { confirmDialog } from "../dialog.js";
import { h, saveBlob } from "../dom.js";
import { field, onSubmit } from "../forms.js";
import { registerPage } from "../router.js";
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

function day(value) {
  return value ? value.slice(0, 10) : "—";
}

function accountsConsole() {
  const lists = new Map(); // status -> Promise<accounts[]>
  const state = { tab: TABS[0], query: "", sort: "email", descending: false, page: 0 };
  const said = h("p", { class: "notice", role: "status", tabindex: -1, hidden: true });
  const alarm = h("p", { class: "notice notice-error", role: "alert", tabindex: -1, hidden: true });
  const panel = h("div", { class: "tab-panel", role: "tabpanel", id: "accounts-panel", tabindex: 0 });
  const search = h("input", { type: "search", id: "accounts-search", autocomplete: "off" });
  const tabs = TABS.map((tab) =>
    h("button", { type: "button", role: "tab", id: `tab-${tab.status}`, "aria-controls": panel.id, dataset: { status: tab.status } }, tab.label),
  );
  const tablist = h("div", { role: "tablist", "aria-label": "Accounts", class: "tabs" }, tabs);

  const tell = (text, problem = null) => {
    said.textContent = text ?? "";
    said.hidden = !text;
    alarm.textContent = problem ?? "";
    alarm.hidden = !problem;
  };

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
    button.disabled = true;
    const path = `/admin/accounts/${encodeURIComponent(account.userId)}${name === "delete" ? "" : `/${name}`}`;
    try {
      await api(path, { method: action.method ?? "POST" });
      tell(action.done(account));
      lists.clear();
      await show();
      said.focus();
    } catch (error) {
      button.disabled = false;
      tell(null, error.message);
      alarm.focus();
    }
  }

  function sortButton(key, label) {
    const active = state.sort === key;
    const th = h(
      "th",
      { scope: "col", "aria-sort": active ? (state.descending ? "descending" : "ascending") : "none" },
      h("button", {
        type: "button",
        class: "sort",
        onclick: () => {
          state.descending = active ? !state.descending : false;
          state.sort = key;
          state.page = 0;
          show().then(() => panel.querySelector(`th[aria-sort]:not([aria-sort="none"]) button`)?.focus());
        },
      }, label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (state.descending ? " ▼" : " ▲") : "")),
    );
    return th;
  }

  function table(accounts) {
    const { tab } = state;
    const me = currentUser()?.sub;
    const dateOf = (account) => account[tab.date] ?? account.dateRegistered ?? account.dateCreated ?? "";
    const needle = state.query.trim().toLowerCase();
    const shown = accounts
      .filter((account) => !needle || account.email.toLowerCase().includes(needle))
      .sort((a, b) => {
        const [x, y] = state.sort === "email" ? [a.email, b.email] : [dateOf(a), dateOf(b)];
        return (x < y ? -1 : x > y ? 1 : 0) * (state.descending ? -1 : 1);
      });
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const rows = shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).map((account) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, account.email, account.isAdmin && tab.status !== "admin" ? h("span", { class: "badge" }, "admin") : null,
          account.userId === me ? h("span", { class: "badge" }, "you") : null),
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
    const pager = (label, page, disabled) =>
      h("button", { type: "button", class: "button button-small", disabled, onclick: () => { state.page = page; show(); } }, label);
    return [
      h("table", { class: "data-table" },
        h("caption", { class: "visually-hidden" }, `${tab.label}, sorted by ${state.sort === "email" ? "email" : tab.dateLabel.toLowerCase()}`),
        h("thead", {}, h("tr", {}, sortButton("email", "Email"), sortButton("date", tab.dateLabel), h("th", { scope: "col" }, "Actions"))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 3 }, needle ? `No account matches “${state.query}”.` : "No accounts here."))),
      ),
      h("nav", { class: "pager", "aria-label": `${tab.label} pages` },
        pager("Previous", state.page - 1, state.page === 0),
        h("span", { "aria-live": "polite" }, `Page ${state.page + 1} of ${pages} · ${shown.length} account${shown.length === 1 ? "" : "s"}`),
        pager("Next", state.page + 1, state.page >= pages - 1),
      ),
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
    tell(`${account.email} is invited: they get an email with a temporary password.`);
    lists.clear();
    await show();
    said.focus();
  });

  const exporter = h("button", { type: "button", class: "button" }, "Export CSV");
  exporter.addEventListener("click", async () => {
    exporter.disabled = true;
    try {
      const csv = await api("/admin/accounts/export", { headers: { Accept: "text/csv" } });
      saveBlob(new Blob([csv], { type: "text/csv" }), "accounts.csv");
    } catch (error) {
      tell(null, `The export failed: ${error.message}`);
    } finally {
      exporter.disabled = false;
    }
  });

  show();
  return [
    said,
    alarm,
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
