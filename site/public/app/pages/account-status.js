// What someone whose registration is not (or not yet) accepted sees instead of the portal.
import { h } from "../dom.js";
import { page } from "../forms.js";
import { registerPage } from "../router.js";

registerPage({
  path: "/account/pending",
  title: "Registration pending",
  render: (ctx) =>
    page(
      "Your registration is waiting for approval",
      h("p", {}, `An administrator reviews each registration${ctx.query.get("email") ? `, including ${ctx.query.get("email")}` : ""}.`),
      h("p", {}, "You can sign in once it is approved. There is no need to register again."),
      h("p", {}, h("a", { href: "/", class: "button" }, "Back to the portal")),
    ),
});

registerPage({
  path: "/account/denied",
  title: "Registration declined",
  render: () =>
    page(
      "Your registration was declined",
      h("p", {}, "You cannot sign in to this portal. Contact the portal's administrators if you think this is a mistake."),
      h("p", {}, h("a", { href: "/", class: "button" }, "Back to the portal")),
    ),
});
