/* Campaign wizard (livestream/admin/campaigns/wizard.html): steps, store count, line-up
   rows and the timeline preview; data from #step-offsets and #wiz-text (JSON blocks). */
(function () {
  var form = document.getElementById("campaign-wizard");
  if (!form) return;
  document.documentElement.classList.add("js");
  var steps = Array.prototype.slice.call(form.querySelectorAll(".wiz-step"));
  var marks = document.querySelectorAll("#wiz-indicator li");
  var back = document.getElementById("wiz-back"), next = document.getElementById("wiz-next");
  var text = JSON.parse(document.getElementById("wiz-text").textContent);
  var current = parseInt(form.dataset.start, 10) || 1;
  steps.forEach(function (s) {
    if (s.querySelector(".field-error")) {
      var li = document.querySelector('#wiz-indicator li[data-for="' + s.dataset.step + '"]');
      if (li) li.classList.add("has-error");
    }
  });
  function show(n) {
    current = Math.max(1, Math.min(steps.length, n));
    steps.forEach(function (s) { s.hidden = parseInt(s.dataset.step, 10) !== current; });
    marks.forEach(function (m) { m.classList.toggle("current", parseInt(m.dataset.for, 10) === current); });
    back.disabled = current === 1;
    next.style.visibility = current === steps.length ? "hidden" : "";
    if (current === steps.length) preview();
    window.scrollTo(0, 0);
  }
  back.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  marks.forEach(function (m) { m.addEventListener("click", function () { show(parseInt(m.dataset.for, 10)); }); });

  function checked(name) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'), function (i) { return i.value; });
  }
  function countStores() {
    var regions = checked("region_ids"), fr = checked("franchisee_ids"), n = 0;
    form.querySelectorAll("input[data-store]").forEach(function (box) {
      if (box.dataset.ok !== "1") return;
      if (box.checked || regions.indexOf(box.dataset.region) >= 0 || fr.indexOf(box.dataset.franchisee) >= 0) n++;
    });
    document.getElementById("store-count").textContent = n;
    return n;
  }
  form.addEventListener("change", countStores);
  countStores();

  var rows = document.getElementById("lineup-rows");
  document.getElementById("add-row").addEventListener("click", function () {
    var tpl = document.getElementById("lineup-template");
    rows.appendChild(tpl.content.cloneNode(true));
  });
  rows.addEventListener("click", function (e) {
    if (e.target.hasAttribute("data-remove-row")) e.target.closest("[data-row]").remove();
  });
  if (!rows.children.length) document.getElementById("add-row").click();

  function iso(d) { return d.toISOString().slice(0, 10); }
  function preview() {
    var body = document.querySelector("#timeline-preview tbody");
    var day = form.querySelector("#live_date").value;
    body.innerHTML = "";
    if (!day) { body.innerHTML = "<tr><td colspan=3></td></tr>"; body.querySelector("td").textContent = text.pick_date; return; }
    var t = new Date(day + "T00:00:00Z"), floor = new Date(form.dataset.floor + "T00:00:00Z");
    if (floor > t) floor = t;
    JSON.parse(document.getElementById("step-offsets").textContent).forEach(function (s) {
      var start = new Date(t.getTime() + s[2] * 864e5), due = new Date(t.getTime() + s[3] * 864e5);
      if (start < floor) start = floor;
      if (due < start) due = start;
      var tr = document.createElement("tr");
      [s[1], iso(start), iso(due)].forEach(function (v) { var td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      tr.dataset.kind = s[0];
      body.appendChild(tr);
    });
    var products = Array.prototype.filter.call(form.querySelectorAll('select[name="lineup_product_id"]'), function (s) { return s.value; }).length;
    document.getElementById("summary-line").textContent = countStores() + " " + text.stores + " · " + products + " " + text.products;
  }
  show(current);
})();
