// Renders an API's OpenAPI document with the vendored Swagger UI (openapi.html).
//
// Our own layout ("TillitLayout") instead of Swagger UI's BaseLayout: the base layout wraps
// the operations in a second <main> (the page has one: axe's landmark-no-duplicate-main and
// landmark-unique) and shows a server <select> without a label (select-name) and an
// "Authorize" button for "Try it out", which the catalogue does not offer: it documents other
// agencies' APIs, it does not call them (the entry page lists the endpoints).
"use strict";

function tillitLayoutPlugin(operationsLabel) {
  return function (system) {
    var h = system.React.createElement;
    function TillitLayout(props) {
      var get = props.getComponent;
      var Svg = get("SvgAssets");
      var Errors = get("errors", true);
      var Info = get("InfoContainer", true);
      var Operations = get("operations", true);
      var Models = get("Models", true);
      return h("div", { className: "swagger-ui" },
        h(Svg),
        h(Errors),
        h("div", { className: "information-container wrapper" }, h(Info)),
        // Headings in order: the page's h1, the document's title (h2), then its tags (h3).
        h("h2", { className: "visually-hidden" }, operationsLabel),
        h("div", { className: "wrapper" }, h(Operations)),
        h("div", { className: "wrapper" }, h(Models)));
    }
    return { components: { TillitLayout: TillitLayout } };
  };
}

document.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("openapi-viewer");
  if (!target || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-url"),
    domNode: target,
    plugins: [tillitLayoutPlugin(target.getAttribute("data-operations-label") || "Operations")],
    layout: "TillitLayout",
    deepLinking: false,
    validatorUrl: null,
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
  });
});
