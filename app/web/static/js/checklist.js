/* Guide training checklist (livestream/guide/campaigns/checklist.html): answer an item
   without a reload (POST the form, csrf_token included, as JSON) and update the card, the
   count and the bar; on a network error the form is submitted normally. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.ck-form");
    if (!form || !window.fetch || !window.FormData) { return; }
    event.preventDefault();
    var card = form.closest(".ck-item"), msg = card.querySelector(".ck-msg");
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (d) { return {ok: r.ok, d: d}; }); })
      .then(function (res) {
        button.disabled = false;
        msg.textContent = res.d.message || "";
        if (!res.ok || !res.d.correct) {
          msg.className = "ck-msg ck-wrong";
          if (res.ok) { card.classList.add("is-wrong"); card.setAttribute("data-state", "wrong"); }
          return;
        }
        var given = form.querySelector("input[name=answer]");
        var shown = card.querySelector(".ck-given");
        if (given && shown) { shown.textContent = given.value; }
        card.classList.remove("is-wrong");
        card.classList.add("is-done");
        card.setAttribute("data-state", "done");
        card.querySelector(".ck-ok").hidden = false;
        form.remove();
        msg.remove();
        document.getElementById("ck-count").textContent = res.d.done + " / " + res.d.total;
        document.getElementById("ck-bar").style.width = (res.d.total ? 100 * res.d.done / res.d.total : 0) + "%";
        if (res.d.completed) {
          var note = document.getElementById("ck-complete"), overdue = document.getElementById("ck-overdue");
          note.hidden = false;
          if (res.d.is_late) { note.classList.add("ck-late"); }
          if (overdue) { overdue.remove(); }
        }
      })
      .catch(function () { form.submit(); });
  });
})();
