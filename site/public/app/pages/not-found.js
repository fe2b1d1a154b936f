import { h } from "../dom.js";
import { registerNotFound } from "../router.js";

registerNotFound({
  title: "Page not found",
  render: (ctx) =>
    h(
      "article",
      { class: "page not-found" },
      h("h1", {}, "Page not found"),
      h("p", {}, "There is no page at ", h("code", {}, ctx.path), "."),
      h("p", {}, h("a", { href: "/", class: "button button-primary" }, "Back to the portal")),
    ),
});
