// The values written at deploy time (/config.json), fetched once.

let pending = null;

export class ConfigError extends Error {}

export function loadConfig() {
  if (pending === null) {
    pending = fetch("/config.json", { cache: "no-cache", credentials: "same-origin" })
      .then(async (response) => {
        if (!response.ok) {
          throw new ConfigError(`The portal's settings (/config.json) answered ${response.status}; redeploy the stack.`);
        }
        return Object.freeze(await response.json());
      })
      .catch((error) => {
        pending = null; // let a later call try again
        throw error instanceof ConfigError ? error : new ConfigError(`The portal's settings could not be read: ${error.message}`);
      });
  }
  return pending;
}
