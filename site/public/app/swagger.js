// Swagger UI (vendored under /vendor/, outside the size budget), loaded only when an API page shows operations.
// Try it out explains what to fix when the browser cannot reach the API: CORS, or this portal's CSP.

const BASE = "/vendor/swagger-ui/";
let loading = null;
const refused = new Set(); // URLs this page's CSP refused to connect to

document.addEventListener("securitypolicyviolation", (event) => {
  if (event.effectiveDirective === "connect-src") refused.add(event.blockedURI);
});

export function loadSwaggerUi() {
  loading ??= new Promise((resolve, reject) => {
    const style = Object.assign(document.createElement("link"), { rel: "stylesheet", href: `${BASE}swagger-ui.css` });
    const script = Object.assign(document.createElement("script"), { src: `${BASE}swagger-ui-bundle.js` });
    script.addEventListener("load", () => resolve(window.SwaggerUIBundle));
    script.addEventListener("error", () => {
      loading = null;
      script.remove();
      reject(new Error("Swagger UI could not be loaded; reload the page."));
    });
    document.head.append(style, script);
  });
  return loading;
}

/** The spec's API key schemes that API Gateway reads: `api_key`, or any sent in an x-api-key header. */
export function apiKeySchemes(spec) {
  const schemes = spec.components?.securitySchemes ?? spec.securityDefinitions ?? {};
  return Object.entries(schemes)
    .filter(([name, scheme]) => scheme?.type === "apiKey" && (name === "api_key" || /^x-api-key$/i.test(scheme.name ?? "")))
    .map(([name]) => name);
}

function origin(url) {
  try {
    return new URL(url, location.href).origin;
  } catch {
    return url;
  }
}

export function unreachableMessage(url, blockedByCsp) {
  const target = origin(url);
  if (blockedByCsp) {
    return `This portal's Content-Security-Policy does not allow calls to ${target}, so Try it out cannot reach it. An operator can allow it: add ${target} to the CSP's connect-src (custom_domain.add_connect_source) and deploy. Until then, use the curl command shown.`;
  }
  return `No answer the browser may read came from ${target}. Most often the API does not allow calls from this portal (CORS); it may also be down. To allow them, the API must answer OPTIONS requests and send Access-Control-Allow-Origin: ${location.origin} and Access-Control-Allow-Headers: Content-Type,x-api-key, errors included (in API Gateway: Enable CORS on the resources and on the DEFAULT_4XX and DEFAULT_5XX gateway responses, then deploy the stage). Until then, use the curl command shown.`;
}

/** Render `spec`'s operations into `container`; resolves once Swagger UI has drawn them. */
export async function renderOperations(container, spec, { apiKey = null, onProblem = () => {} } = {}) {
  const SwaggerUIBundle = await loadSwaggerUi();
  const guardedFetch = async (url, init) => {
    try {
      return await fetch(url, init);
    } catch (error) {
      // The CSP reports its refusal just after the fetch fails; wait for it before explaining.
      await new Promise((resolve) => setTimeout(resolve, 20));
      onProblem(unreachableMessage(url, refused.has(url) || [...refused].some((blocked) => url.startsWith(blocked))));
      throw error;
    }
  };
  await new Promise((resolve) => {
    const ui = SwaggerUIBundle({
      domNode: container,
      spec,
      layout: "BaseLayout",
      presets: [SwaggerUIBundle.presets.apis],
      deepLinking: false,
      validatorUrl: null,
      defaultModelsExpandDepth: 0,
      requestInterceptor: (request) => {
        onProblem(null);
        request.userFetch = guardedFetch;
        return request;
      },
      responseInterceptor: (response) => {
        if (response.status === 403 && apiKey) {
          onProblem("The API refused your key (403). Subscribe to a usage plan of this stage above, then try again.");
        }
        return response;
      },
      onComplete: () => {
        // Swagger UI draws its own <main>; the page has one already, so it becomes a region of it.
        for (const main of container.querySelectorAll("main")) main.setAttribute("role", "region");
        if (apiKey) for (const name of apiKeySchemes(spec)) ui.preauthorizeApiKey(name, apiKey);
        resolve(ui);
      },
    });
  });
}
