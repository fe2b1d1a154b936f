// The AWS Marketplace landing page. /marketplace-confirm/{plan} redirects here with the registration token in
// the fragment (#token=...), so it never reaches a server log. The token waits in sessionStorage while the
// buyer registers or signs in, then links the subscription to their account.

import { api, ApiError } from "../api.js";
import { currentUser, signOut } from "../auth.js";
import { h } from "../dom.js";
import { notice, page } from "../forms.js";
import { navigate, onNavigate, registerPage } from "../router.js";

const STORE = "devportal.marketplace";
// AWS Marketplace's registration tokens are short-lived; an older one would only be refused.
const MAX_AGE_MS = 60 * 60 * 1000;
const POLL_MS = 3000;
const PATH = /^\/marketplace\/([^/]+)\/?$/;
// Where the sign-in page sends a user who signed in without saying where to go next (after registering).
const LANDINGS = new Set(["/dashboard"]);

const STATUS = {
  pending: {
    label: "Pending",
    text: "AWS Marketplace is confirming your subscription. This usually takes a minute; this page updates by itself.",
  },
  active: { label: "Active", text: "Your subscription is active: your API key can call this plan's APIs." },
  failed: {
    label: "Failed",
    text: "AWS Marketplace could not start your subscription, so your API key has no access to this plan. Check the subscription in your AWS account, then subscribe again.",
  },
  unsubscribing: {
    label: "Ending",
    text: "Your subscription is ending. Your API key keeps its access until AWS Marketplace completes the cancellation.",
  },
  unsubscribed: {
    label: "Ended",
    text: "Your subscription has ended and your API key no longer has access to this plan. Subscribe again on AWS Marketplace to restore it.",
  },
};

function saved() {
  try {
    const entry = JSON.parse(sessionStorage.getItem(STORE) || "null");
    if (entry && entry.token && entry.usagePlanId && Date.now() - entry.savedAt < MAX_AGE_MS) return entry;
  } catch {
    // unreadable: forget it below
  }
  sessionStorage.removeItem(STORE);
  return null;
}

function forget() {
  sessionStorage.removeItem(STORE);
}

/** The token AWS Marketplace sent, moved from the address bar (and history) into this tab's storage. */
function keepTokenFromUrl(usagePlanId) {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (!token) return;
  sessionStorage.setItem(STORE, JSON.stringify({ usagePlanId, token, savedAt: Date.now() }));
  history.replaceState(history.state, "", location.pathname + location.search);
}

// A buyer who registered, confirmed their address and signed in lands on the dashboard: bring them back here.
onNavigate((path) => {
  const entry = currentUser() && !PATH.test(path) && LANDINGS.has(path) ? saved() : null;
  if (entry) navigate(`/marketplace/${encodeURIComponent(entry.usagePlanId)}`, { replace: true });
});

async function planName(usagePlanId) {
  const catalog = await api("/catalog").catch(() => null);
  const plan = catalog?.usagePlans?.find((item) => item.id === usagePlanId);
  return plan?.name ?? null;
}

function welcome(usagePlanId, name) {
  const back = encodeURIComponent(`/marketplace/${usagePlanId}`);
  return page(
    "Set up your subscription",
    h("p", {}, `Thank you for subscribing to ${name ?? "our API"} on AWS Marketplace.`),
    h("p", {}, "Register, or sign in if you have an account, to link the subscription to your portal account. Your API key gets access as soon as AWS Marketplace confirms the subscription."),
    h(
      "p",
      { class: "hero-actions" },
      h("a", { href: "/register", class: "button button-primary" }, "Register"),
      h("a", { href: `/sign-in?next=${back}`, class: "button" }, "Sign in"),
    ),
    h("p", { class: "field-hint" }, "This page remembers your subscription while you register, in this browser tab, for an hour."),
  );
}

function confirmation(ctx, entry, name, user) {
  const status = h("div", { class: "form-status notice notice-error", role: "alert", hidden: true });
  const link = h("button", { type: "button", class: "button button-primary" }, "Link subscription");
  link.addEventListener("click", async () => {
    link.disabled = true;
    status.hidden = true;
    try {
      await api(`/marketplace-subscriptions/${encodeURIComponent(entry.usagePlanId)}`, {
        method: "PUT",
        body: { token: entry.token },
      });
      forget();
      await navigate(ctx.path, { replace: true });
    } catch (error) {
      // A refused token or plan stays refused; only a failure to get an answer is worth retrying as it is.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401) forget();
      status.textContent = error.message;
      status.hidden = false;
      link.disabled = !saved();
    }
  });
  return page(
    "Confirm your subscription",
    h("p", {}, `Link your AWS Marketplace subscription to ${name ?? "this plan"} to the portal account `, h("strong", {}, user.email), "."),
    status,
    h(
      "p",
      { class: "hero-actions" },
      link,
      h("button", { type: "button", class: "button", onclick: () => signOut().then(() => navigate(ctx.path)) }, "Use another account"),
    ),
  );
}

function statusView(usagePlanId, name, subscription) {
  if (!subscription) {
    return page(
      "Your AWS Marketplace subscription",
      notice(`Your account has no AWS Marketplace subscription to ${name ?? "this plan"}. To subscribe, open the product on AWS Marketplace and choose to set up your account.`),
      h("p", {}, h("a", { href: "/dashboard" }, "Go to My Dashboard")),
    );
  }
  const state = STATUS[subscription.status] ?? { label: subscription.status, text: "" };
  const waiting = subscription.status === "pending" || subscription.status === "unsubscribing";
  const check = h("button", { type: "button", class: "button" }, "Check now");
  const view = page(
    "Your AWS Marketplace subscription",
    h(
      "dl",
      { class: "marketplace-subscription" },
      h("dt", {}, "Plan"),
      h("dd", {}, name ?? usagePlanId),
      h("dt", {}, "Product code"),
      h("dd", {}, h("code", {}, subscription.productCode)),
      h("dt", {}, "Status"),
      h("dd", { class: "marketplace-status", dataset: { status: subscription.status } }, state.label),
    ),
    h("div", { "aria-live": "polite" }, notice(state.text, subscription.status === "failed" ? "notice-error" : "")),
    h(
      "p",
      { class: "hero-actions" },
      subscription.status === "active" ? h("a", { href: "/dashboard", class: "button button-primary" }, "Go to My Dashboard") : null,
      waiting ? check : null,
    ),
  );
  if (waiting) {
    // Replace this view in place with a fresh one (which keeps checking) once the status is read again.
    let timer = 0;
    const update = async () => {
      clearTimeout(timer);
      if (!view.isConnected) return;
      check.disabled = true;
      const next = await subscriptionView(usagePlanId, name).catch(() => null);
      check.disabled = false;
      if (!view.isConnected) return;
      if (next) view.replaceWith(next);
      else timer = setTimeout(update, POLL_MS);
    };
    check.addEventListener("click", update);
    timer = setTimeout(update, POLL_MS);
  }
  return view;
}

async function subscriptionView(usagePlanId, name) {
  const found = await api("/marketplace-subscriptions");
  const subscription = (found.subscriptions ?? []).find((item) => item.usagePlanId === usagePlanId);
  return statusView(usagePlanId, name, subscription);
}

registerPage({
  path: "/marketplace/:usagePlanId",
  title: "AWS Marketplace subscription",
  async render(ctx) {
    const { usagePlanId } = ctx.params;
    keepTokenFromUrl(usagePlanId);
    const entry = saved();
    const mine = entry && entry.usagePlanId === usagePlanId ? entry : null;
    const name = await planName(usagePlanId);
    const user = currentUser();
    if (!user) {
      if (mine) return welcome(usagePlanId, name);
      const next = encodeURIComponent(ctx.path);
      return page(
        "Your AWS Marketplace subscription",
        notice("Sign in to see your AWS Marketplace subscription. To subscribe, open the product on AWS Marketplace and choose to set up your account."),
        h("p", {}, h("a", { href: `/sign-in?next=${next}`, class: "button button-primary" }, "Sign in")),
      );
    }
    if (mine) return confirmation(ctx, mine, name, user);
    try {
      return await subscriptionView(usagePlanId, name);
    } catch (error) {
      return page("Your AWS Marketplace subscription", notice(`Your subscriptions could not be loaded: ${error.message}`, "notice-error"));
    }
  },
});
