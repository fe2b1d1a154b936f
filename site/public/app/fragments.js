// The operator's content fragments, rendered and sanitized to <Name>.json when uploaded: the browser never
// parses Markdown. A missing fragment falls back to the defaults.

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
