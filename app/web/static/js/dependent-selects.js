/* Selects that depend on each other (franchisee -> store -> guide): a select with
   data-filter-by="parentId otherId" shows only the options whose data-<parentId>
   equals that parent's value (a parent left empty filters nothing); an option without
   a value (the "any" / "none" choice) always stays. A choice that no longer fits is
   reset to that empty option, and the change cascades to the selects below. */
(function () {
  "use strict";
  function wire(select) {
    var parents = select.getAttribute("data-filter-by").split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(Boolean);
    function apply() {
      var lost = false;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { option.hidden = false; option.disabled = false; return; }
        var fits = parents.every(function (parent) {
          return !parent.value || option.getAttribute("data-" + parent.id) === parent.value;
        });
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) { lost = true; }
      });
      if (lost) {
        select.value = "";
        select.dispatchEvent(new Event("change"));
      }
    }
    parents.forEach(function (parent) { parent.addEventListener("change", apply); });
    apply();
  }
  document.querySelectorAll("select[data-filter-by]").forEach(wire);
})();
