// The operator's content fragments, rendered at deploy time (and on upload) to
// /custom-content/content-fragments/<Name>.json as {"frontMatter": {...}, "html": "..."}.
// The HTML was sanitized when it was rendered; the browser never parses Markdown.
//
//   import { getFragment } from "./fragments.js";
//   const { frontMatter, html } = await getFragment("Home");

const DEFAULTS = {
  Home: {
    title: "Developer Portal",
    header: "Developer Portal",
    tagline: "Your gateway to the data.",
    gettingStartedButton: "Get Started",
    apiListButton: "Our APIs",
  },
  GettingStarted: { title: "Getting Started" },
  APIs: { title: "APIs" },
};

const loaded = new Map();

async function fetchFragment(name) {
  const fallback = { frontMatter: { ...(DEFAULTS[name] ?? {}) }, html: "" };
  try {
    const response = await fetch(`/custom-content/content-fragments/${encodeURIComponent(name)}.json`);
    if (!response.ok) return fallback;
    const rendered = await response.json();
    return {
      frontMatter: { ...fallback.frontMatter, ...(rendered.frontMatter ?? {}) },
      html: typeof rendered.html === "string" ? rendered.html : "",
    };
  } catch {
    return fallback;
  }
}

export function getFragment(name) {
  if (!loaded.has(name)) loaded.set(name, fetchFragment(name));
  return loaded.get(name);
}

export async function fragmentTitle(name) {
  return (await getFragment(name)).frontMatter.title ?? DEFAULTS[name]?.title ?? name;
}
