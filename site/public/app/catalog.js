// The published catalog (GET /catalog, schema in runtime/portal_common/catalog.py), read once per session and
// searched here: it is small, and a search then answers on every keystroke without a request.

import { api } from "./api.js";
import { onAuthChange } from "./auth.js";
import { number } from "./dom.js";

const VERSION = 1;
let pending = null;

// The catalog may require sign-in, and an admin's changes should show after signing in again.
onAuthChange(() => {
  pending = null;
});

export function loadCatalog({ fresh = false } = {}) {
  if (fresh || pending === null) {
    pending = api("/catalog")
      .then((catalog) => {
        if (catalog?.version !== VERSION) {
          throw new Error(
            `The catalog is version ${catalog?.version}, and this site reads version ${VERSION}; ` +
              "deploy the portal's site and backend from the same release.",
          );
        }
        return catalog;
      })
      .catch((error) => {
        pending = null;
        throw error;
      });
  }
  return pending;
}

export function allApis(catalog) {
  return [...catalog.apis, ...catalog.generic];
}

/** Entries grouped by API: an API Gateway API's stages together, each generic API on its own. */
export function groupApis(entries) {
  const groups = new Map();
  for (const entry of entries) {
    const key = entry.kind === "apiGateway" ? `api:${entry.apiId}` : `generic:${entry.id}`;
    if (!groups.has(key)) groups.set(key, { key, title: entry.title, entries: [] });
    groups.get(key).entries.push(entry);
  }
  return [...groups.values()];
}

function words(query) {
  return (query ?? "").toLowerCase().split(/\s+/).filter(Boolean);
}

function searchable(entry) {
  return [entry.title, entry.description, entry.version, entry.stage, ...(entry.tags ?? []), ...(entry.paths ?? [])]
    .filter(Boolean)
    .join("\n")
    .toLowerCase();
}

/** The entries where every word of `query` appears in the title, description, version, stage, tags or paths. */
export function searchApis(entries, query) {
  const wanted = words(query);
  if (!wanted.length) return entries;
  return entries.filter((entry) => {
    const text = searchable(entry);
    return wanted.every((word) => text.includes(word));
  });
}

/** The first path of `entry` that a word of `query` matches, to show why it was found. */
export function matchedPath(entry, query) {
  const wanted = words(query);
  return wanted.length ? (entry.paths ?? []).find((path) => wanted.some((word) => path.toLowerCase().includes(word))) : undefined;
}

export function apiLabel(entry) {
  return entry.stage ? `${entry.title} · ${entry.stage}` : entry.title;
}

const PERIODS = { DAY: "day", WEEK: "week", MONTH: "month" };

export function describeThrottle(throttle) {
  if (!throttle || (throttle.rateLimit == null && throttle.burstLimit == null)) return "No rate limit";
  const parts = [];
  if (throttle.rateLimit != null) parts.push(`${number(throttle.rateLimit)} requests a second`);
  if (throttle.burstLimit != null) parts.push(`bursts of ${number(throttle.burstLimit)}`);
  return parts.join(", ");
}

export function describeQuota(quota) {
  if (!quota) return "No quota";
  return `${number(quota.limit)} requests a ${PERIODS[quota.period] ?? quota.period.toLowerCase()}`;
}
