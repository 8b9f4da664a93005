/* Push-plan editor (community/plans/form.html): show only the schedule fields of the
   chosen kind (weekly / dates / relative). */
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  function sync() {
    var kind = (form.querySelector('input[name="schedule_kind"]:checked') || {}).value || "weekly";
    form.querySelectorAll(".sched").forEach(function (el) { el.hidden = el.dataset.kind !== kind; });
  }
  form.addEventListener("change", sync);
  sync();
})();
