import { h, sanitizedHtml } from "../dom.js";
import { getFragment } from "../fragments.js";
import { registerPage } from "../router.js";

registerPage({
  path: "/getting-started",
  async render(ctx) {
    const { frontMatter, html } = await getFragment("GettingStarted");
    ctx.setTitle(frontMatter.title);
    const body = sanitizedHtml(html, "fragment");
    // The fragment usually opens with its own heading; give the page one when it does not.
    const heading = body.querySelector("h1") ? null : h("h1", {}, frontMatter.title);
    return h("article", { class: "page" }, heading, body);
  },
});
