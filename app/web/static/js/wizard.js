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

/* Step checks as you go: "Next" stays on a step until its required fields are right
   (name, mode, a live date in the future; at least one store; live prices within the
   list price, and those under HQ's floor confirmed). The server checks the same again. */
(function () {
  var form = document.getElementById("campaign-wizard");
  if (!form) return;
  var text = JSON.parse(document.getElementById("wiz-text").textContent);
  var floorPct = parseInt(form.dataset.priceFloorPct, 10) || 0;
  var confirmBox = document.getElementById("low-price-confirm");

  function clear(step) {
    step.querySelectorAll("[data-client-error]").forEach(function (e) { e.remove(); });
  }
  function complain(field, message) {
    var box = field.closest(".field") || field.parentNode;
    var div = document.createElement("div");
    div.className = "field-error";
    div.setAttribute("data-client-error", "");
    div.textContent = message;
    box.appendChild(div);
  }
  function yuanToFen(raw) {
    var m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(raw || "");
    return m ? parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10) : NaN;
  }
  function lowRows() {
    var low = 0;
    form.querySelectorAll("#lineup-rows [data-row]").forEach(function (row) {
      var old = row.querySelector(".price-warning");
      if (old) old.remove();
      var option = row.querySelector('select[name="lineup_product_id"]').selectedOptions[0];
      var fen = yuanToFen(row.querySelector('input[name="lineup_live_price"]').value);
      if (!option || !option.value || isNaN(fen)) return;
      var list = parseInt(option.dataset.price, 10);
      if (fen > 0 && fen <= list && fen * 100 < list * floorPct) {
        low++;
        var warn = document.createElement("div");
        warn.className = "price-warning";
        warn.textContent = text.low;
        row.querySelector('input[name="lineup_live_price"]').parentNode.appendChild(warn);
      }
    });
    confirmBox.hidden = low === 0;
    return low;
  }
  form.addEventListener("input", lowRows);
  form.addEventListener("change", lowRows);
  lowRows();

  var checks = {
    1: function (step) {
      var ok = true;
      var name = step.querySelector("#name");
      if (!name.value.trim()) { complain(name, text.required); ok = false; }
      if (!step.querySelector('input[name="mode"]:checked')) {
        complain(step.querySelector('input[name="mode"]'), text.mode); ok = false;
      }
      var day = step.querySelector("#live_date"), at = step.querySelector("#live_time").value || "20:00";
      if (!day.value) { complain(day, text.required); ok = false; }
      else if (new Date(day.value + "T" + at + ":00+08:00").getTime() <= Date.now()) {
        complain(day, text.future); ok = false;
      }
      return ok;
    },
    2: function (step) {
      if (parseInt(document.getElementById("store-count").textContent, 10) > 0) return true;
      complain(step.querySelector('input[name="store_ids"]') || step.querySelector("h2"), text.no_stores);
      return false;
    },
    3: function (step) {
      var ok = true;
      step.querySelectorAll("#lineup-rows [data-row]").forEach(function (row) {
        var option = row.querySelector('select[name="lineup_product_id"]').selectedOptions[0];
        if (!option || !option.value) return;
        var input = row.querySelector('input[name="lineup_live_price"]');
        var fen = yuanToFen(input.value);
        if (isNaN(fen) || fen <= 0 || fen > parseInt(option.dataset.price, 10)) {
          complain(input, text.price); ok = false;
        }
      });
      if (lowRows() && !form.querySelector('input[name="confirm_low_prices"]').checked) {
        complain(form.querySelector('input[name="confirm_low_prices"]'), text.confirm); ok = false;
      }
      return ok;
    }
  };
  function currentStep() {
    return form.querySelector(".wiz-step:not([hidden])");
  }
  function guard(event) {
    var step = currentStep();
    if (!step) return;
    clear(step);
    var check = checks[step.dataset.step];
    if (check && !check(step)) {
      event.stopImmediatePropagation();
      event.preventDefault();
    }
  }
  // runs before the step switcher's own listener (capture on the button's parent)
  document.getElementById("wiz-next").parentNode.addEventListener("click", function (event) {
    if (event.target.id === "wiz-next") guard(event);
  }, true);
  form.addEventListener("submit", function (event) {
    [1, 2, 3].forEach(function (n) {
      var step = form.querySelector('.wiz-step[data-step="' + n + '"]');
      clear(step);
      if (!checks[n](step) && !event.defaultPrevented) {
        event.preventDefault();
        document.querySelector('#wiz-indicator li[data-for="' + n + '"]').click();
      }
    });
  });
})();
