/* Siyu shell behaviour (tiny, no dependencies): flash dismiss, side-nav toggle,
   confirm prompts on forms with data-confirm, auto-submit on [data-autosubmit],
   select-all on click for [data-select-on-click] inputs. Page scripts live in js/. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var close = event.target.closest(".flash-close");
    if (close) { close.closest(".flash").remove(); return; }
    var selectable = event.target.closest("[data-select-on-click]");
    if (selectable) { selectable.select(); }
    if (event.target.closest(".nav-toggle")) {
      document.body.classList.toggle("nav-open");
      return;
    }
    if (document.body.classList.contains("nav-open") && !event.target.closest(".sidebar")) {
      document.body.classList.remove("nav-open");
    }
    var menu = document.querySelector("details.m-menu[open]");
    if (menu && !event.target.closest("details.m-menu")) { menu.removeAttribute("open"); }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.form && el.hasAttribute("data-autosubmit")) { el.form.submit(); }
  });
})();
