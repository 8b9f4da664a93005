/* Guide share page (livestream/guide/share/share.html): [data-copy] buttons copy the
   named input and say so in #share-copied (its text comes from data-copied-text). */
(function () {
  "use strict";
  var note = document.getElementById("share-copied");
  if (!note) { return; }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copy);
      input.focus(); input.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      if (!copied && navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () {}); }
      note.textContent = note.dataset.copiedText;
    });
  });
})();
