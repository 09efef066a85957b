// Starts Swagger UI on /schema (served with the registry; no inline script under the CSP).
(function () {
  "use strict";
  var el = document.getElementById("swagger-container");
  if (!el || typeof SwaggerUIBundle === "undefined") { return; }
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    dom_id: "#swagger-container",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
})();
