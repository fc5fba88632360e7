/**
 * Starts Swagger UI on the reference page (served at /assets/reference.js). The page says where
 * the OpenAPI document is and which organization's key to pre-fill, in data attributes (no
 * inline script, so the CSP needs no 'unsafe-inline' for scripts).
 */
export const REFERENCE_JS = `
(function () {
  var root = document.getElementById("reference");
  if (!root || !window.SwaggerUIBundle) return;
  var org = root.getAttribute("data-org");
  var key = "";
  try { key = (org && sessionStorage.getItem("tollgate:key:" + org)) || ""; } catch (e) {}
  var field = document.getElementById("reference-key");
  if (field) {
    if (key) field.value = key;
    field.addEventListener("change", function () {
      try { if (org) sessionStorage.setItem("tollgate:key:" + org, field.value); } catch (e) {}
      if (ui) ui.preauthorizeApiKey("api_key", field.value);
    });
  }
  var ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: false,
    tryItOutEnabled: true,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () { var value = field ? field.value : key; if (value) ui.preauthorizeApiKey("api_key", value); }
  });
  window.tollgateReference = ui;
  // Swagger UI leaves its server list unlabelled and its scrolling code blocks out of the tab order.
  var mend = function () {
    var servers = root.querySelector("#servers");
    if (servers && !servers.getAttribute("aria-label")) servers.setAttribute("aria-label", "Server");
    root.querySelectorAll(".microlight, .highlight-code pre").forEach(function (el) { if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0"); });
  };
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });
})();
`;
