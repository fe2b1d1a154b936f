// The /admin index; each admin page adds itself with registerAdminSection().

import { currentUser, isAdmin, signInFirst } from "../auth.js";
import { h } from "../dom.js";
import { notice, page } from "../forms.js";
import { registerPage } from "../router.js";

const sections = [];

export function registerAdminSection(section) {
  sections.push({ order: 50, ...section });
  sections.sort((a, b) => a.order - b.order);
}

/** For admin pages: null when the caller may see them, otherwise what to show instead. */
export function adminOnly(ctx) {
  if (!currentUser()) return signInFirst(ctx);
  return isAdmin() ? null : page("Admin", notice("Only portal administrators may see this page.", "notice-error"));
}

registerPage({
  path: "/admin",
  title: "Admin",
  render(ctx) {
    return (
      adminOnly(ctx) ??
      page(
        "Admin",
        h("ul", { class: "admin-sections" },
          sections.map((section) =>
            h("li", {}, h("a", { href: section.href }, section.label), section.description ? h("p", {}, section.description) : null),
          ),
        ),
      )
    );
  },
});
