// Starts the portal: the navbar, the pages, the router. A feature adds a page by importing a module that
// calls registerPage() (router.js) and, if it wants a navbar entry, registerNavItem() (nav.js).

import { renderNav } from "./nav.js";
import { fragmentTitle } from "./fragments.js";
import { setSiteName, startRouter } from "./router.js";
import "./pages/home.js";
import "./pages/getting-started.js";
import "./pages/apis.js";
import "./pages/not-found.js";

async function start() {
  const siteName = await fragmentTitle("Home");
  setSiteName(siteName);
  await renderNav(document.getElementById("site-header"));
  await startRouter(document.getElementById("main"));
  document.body.classList.add("ready");
}

start();
