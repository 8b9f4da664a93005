/* Live dashboard (livestream/admin/live/dashboard.html): refresh the figures from the
   JSON API every few seconds; URL, period and texts come from the #live-config JSON block. */
(function () {
  "use strict";
  var config = document.getElementById("live-config");
  if (!config) { return; }
  var C = JSON.parse(config.textContent);
  var url = C.api_url, every = C.refresh_ms;
  var T = C.text;
  var yuan = function (fen) {
    return "¥" + (fen / 100).toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  };
  var num = function (n) { return Number(n || 0).toLocaleString("zh-CN"); };
  var time = function (iso) {
    return new Date(iso).toLocaleTimeString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
  };
  var text = {gmv_fen: yuan, aov_fen: yuan, conversion_pct: function (v) { return Number(v).toFixed(1) + "%"; }};
  function fill(root, values) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var key = el.dataset.figure;
      if (!(key in values)) return;
      el.textContent = (text[key] || num)(values[key]);
    });
  }
  function bar(root, key, value, money) {
    var box = root.querySelector('[data-progress="' + key + '"]');
    if (!box) return;
    var target = Number(box.dataset.target || 0), pct = target > 0 ? value / target * 100 : 0;
    var span = box.querySelector(".progress-track span");
    if (!span) return;
    span.style.width = Math.max(0, Math.min(100, pct)).toFixed(1) + "%";
    box.querySelector(".progress-percent").textContent = target > 0 ? pct.toFixed(0) + "%" : "—";
    var fmt = money ? yuan : num;
    box.querySelector(".progress-figures").textContent = fmt(value) + " / " + (target ? fmt(target) : "—");
  }
  function cell(tr, value) { var td = document.createElement("td"); td.textContent = value; tr.appendChild(td); return td; }
  function update(data) {
    var head = document.querySelector(".live-headline");
    fill(head, data.totals.actual);
    bar(head, "gmv_fen", data.totals.actual.gmv_fen, true);
    data.rows.forEach(function (r) {
      var tr = document.querySelector('#live-rows tr[data-ref="' + r.ref_id + '"]');
      if (tr) { fill(tr, r.actual); bar(tr, "gmv_fen", r.actual.gmv_fen, true); }
    });
    data.sessions.forEach(function (s) {
      var tr = document.querySelector('#live-sessions tr[data-session="' + s.id + '"]');
      if (tr) fill(tr, s.viewers_source === "wecom" ? s : {viewer_count: s.viewer_count});
    });
    data.lineup.forEach(function (p) {
      var tr = document.querySelector('#live-lineup tr[data-product="' + p.product_id + '"]');
      if (tr) { fill(tr, p); bar(tr, "sold", p.sold, false); }
    });
    var body = document.querySelector("#live-orders tbody");
    body.textContent = "";
    data.orders.forEach(function (o) {
      var tr = document.createElement("tr");
      cell(tr, time(o.paid_at)); cell(tr, o.order_no); cell(tr, o.store_name || "—");
      cell(tr, o.guide_name || "—"); cell(tr, yuan(o.amount_fen)).className = "num";
      body.appendChild(tr);
    });
    if (!data.orders.length) {
      var tr = document.createElement("tr"), td = cell(tr, T.empty);
      td.colSpan = 5; td.className = "muted"; body.appendChild(tr);
    }
    document.getElementById("live-prices").textContent = data.live_prices ? T.on : T.off;
    var stamp = document.getElementById("live-updated");
    stamp.setAttribute("datetime", data.updated_at);
    stamp.textContent = time(data.updated_at);
  }
  function refresh() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (res) { if (!res.ok) throw new Error(res.status); return res.json(); })
      .then(function (data) { update(data); document.getElementById("live-error").style.display = "none"; })
      .catch(function () { document.getElementById("live-error").style.display = "block"; })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
