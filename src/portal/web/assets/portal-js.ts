/**
 * The portal's only script on ordinary pages (served at /assets/portal.js): copy buttons, and
 * keeping a key value just shown in this tab's sessionStorage so the API reference can pre-fill
 * it. Pages work without it.
 */
export const PORTAL_JS = `
(function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) return;
      var text = target.textContent || "";
      var done = function () { var label = button.textContent; button.textContent = "Copied"; setTimeout(function () { button.textContent = label; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () {});
      else { var range = document.createRange(); range.selectNodeContents(target); var sel = getSelection(); sel.removeAllRanges(); sel.addRange(range); document.execCommand("copy"); done(); }
    });
  });
  document.querySelectorAll("[data-remember-key]").forEach(function (el) {
    try { sessionStorage.setItem("tollgate:key:" + el.getAttribute("data-remember-key"), el.textContent || ""); } catch (e) {}
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) { if (!confirm(form.getAttribute("data-confirm"))) event.preventDefault(); });
  });
})();
`;
