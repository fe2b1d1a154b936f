// A placeholder until the API catalog replaces this page (it registers "/apis" and "/apis/:apiId/...").
import { h } from "../dom.js";
import { fragmentTitle } from "../fragments.js";
import { registerPage } from "../router.js";

registerPage({
  path: "/apis",
  async render(ctx) {
    const title = await fragmentTitle("APIs");
    ctx.setTitle(title);
    return h(
      "article",
      { class: "page" },
      h("h1", {}, title),
      h("p", { class: "notice" }, "No APIs are published yet."),
    );
  },
});
