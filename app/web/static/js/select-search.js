/* A searchable select: a select with data-search="placeholder" gets a search box above
   it; typing keeps only the options whose text contains the words (name, department),
   and picks the first match when the current choice no longer fits. Works at 375 px;
   without JavaScript the plain select still works. */
(function () {
  "use strict";
  function wire(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "input select-search";
    box.placeholder = select.getAttribute("data-search");
    box.setAttribute("aria-label", box.placeholder);
    box.setAttribute("aria-controls", select.id);
    box.id = select.id + "-search";
    select.parentNode.insertBefore(box, select);
    function apply() {
      var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var text = option.text.toLowerCase();
        var fits = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !fits;
        option.disabled = !fits;
        if (fits && first === null) { first = option; }
      });
      var chosen = select.options[select.selectedIndex];
      if (words.length && (!chosen || !chosen.value || chosen.hidden)) {
        select.value = first ? first.value : "";
      }
    }
    box.addEventListener("input", apply);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
  }
  document.querySelectorAll("select[data-search]").forEach(wire);
})();
