// Starts the portal. Importing a page module registers its route.

import { startSession } from "./auth.js";
import { renderNav } from "./nav.js";
import { fragmentTitle } from "./fragments.js";
import { setSiteName, startRouter } from "./router.js";
import "./pages/home.js";
import "./pages/getting-started.js";
import "./pages/apis.js";
import "./pages/api-detail.js";
import "./pages/register.js";
import "./pages/confirm.js";
import "./pages/sign-in.js";
import "./pages/forgot-password.js";
import "./pages/account-status.js";
import "./pages/dashboard.js";
import "./pages/marketplace.js";
import "./pages/admin.js";
import "./pages/admin-accounts.js";
import "./pages/admin-apis.js";
import "./pages/admin-feedback.js";
import "./feedback.js";
import "./pages/not-found.js";

async function start() {
  const siteName = await fragmentTitle("Home");
  setSiteName(siteName);
  await startSession().catch((error) => console.warn(`Signed out: ${error.message}`));
  await renderNav(document.getElementById("site-header"));
  await startRouter(document.getElementById("main"));
  document.body.classList.add("ready");
}

start();
