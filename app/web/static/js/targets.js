/* Targets editor (livestream/admin/targets/targets.html): fold a franchisee's store rows
   open and shut, open the one named in the URL hash or holding an error, and ask before
   clicks on [data-confirm]. */
(function () {
  "use strict";
  document.querySelectorAll(".toggle-stores").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "▾" : "▸";
      document.querySelectorAll('tr[data-parent="' + button.dataset.toggle + '"]').forEach(function (row) {
        row.hidden = !open;
      });
    });
  });
  function expand(key) {
    var button = document.querySelector('.toggle-stores[data-toggle="' + key + '"]');
    if (button && button.getAttribute("aria-expanded") !== "true") { button.click(); }
  }
  if (location.hash.length > 1) { expand(location.hash.slice(1)); }
  document.querySelectorAll("tr[data-parent]").forEach(function (row) {
    if (row.querySelector(".field-error")) { expand(row.dataset.parent); }
  });
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
