import { h, optionalImage, sanitizedHtml } from "../dom.js";
import { getFragment } from "../fragments.js";
import { registerPage } from "../router.js";

registerPage({
  path: "/",
  async render(ctx) {
    const { frontMatter: fm, html } = await getFragment("Home");
    ctx.setTitle("");
    return [
      h(
        "section",
        { class: "hero", "aria-labelledby": "home-header" },
        optionalImage({
          src: "/custom-content/home-image.png",
          alt: fm.homeImageAlt ?? "",
          class: "hero-image",
          width: 640,
          height: 360,
        }),
        h(
          "div",
          { class: "hero-text" },
          h("h1", { id: "home-header" }, fm.header),
          h("p", { class: "tagline" }, fm.tagline),
          h(
            "div",
            { class: "hero-actions" },
            h("a", { href: "/getting-started", class: "button button-primary" }, fm.gettingStartedButton),
            h("a", { href: "/apis", class: "button" }, fm.apiListButton),
          ),
        ),
      ),
      html ? sanitizedHtml(html, "fragment home-body") : null,
    ];
  },
});
