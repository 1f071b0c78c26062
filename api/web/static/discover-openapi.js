// Renders an API's OpenAPI document with the vendored Swagger UI (openapi.html).
// No "Try it out": the catalogue documents other agencies' APIs, it does not call them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("openapi-viewer");
  if (!target || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-url"),
    domNode: target,
    deepLinking: false,
    validatorUrl: null,
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
  });
});
