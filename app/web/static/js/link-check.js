/* Link check (livestream/admin/readiness/link_check.html): while stores are pending,
   poll the status URL in #lc-progress[data-url] and reload when none is left. */
(function () {
  "use strict";
  var box = document.getElementById("lc-progress");
  if (!box) { return; }
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          document.getElementById("lc-done").textContent = data.done;
          if (data.pending === 0) { window.location.reload(); return; }
        }
        if (tries < 300) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { if (tries < 300) { window.setTimeout(poll, 4000); } });
  }
  window.setTimeout(poll, 1500);
})();
