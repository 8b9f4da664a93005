/* Post editor (community/content/form.html): attachment rows show the fields of their
   type, a WeCom-like live preview, and a debounced server check (POST to the form's
   data-check-url with the form's own csrf_token) that reports bytes and errors. */
(function () {
  "use strict";
  var form = document.getElementById("post-form");
  if (!form) { return; }
  var FIELDS = {link: ["title", "url", "desc", "picurl"], miniprogram: ["title", "appid", "page", "pic_media_id"], image: ["media_id", "pic_url", "file"]};
  function showFields(row) {
    var kind = row.querySelector("select").value;
    row.querySelectorAll("label.att-field").forEach(function (box) {
      box.hidden = !kind || (FIELDS[kind] || []).indexOf(box.dataset.field) < 0;
    });
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s || ""; return d.innerHTML; }
  function preview() {
    var box = document.querySelector("#wc-preview .wc-msgs");
    var html = "";
    var text = form.text.value;
    if (text) html += '<div class="wc-bubble" data-preview="text">' + esc(text) + "</div>";
    form.querySelectorAll(".att-row").forEach(function (row) {
      var kind = row.querySelector("select").value;
      var v = function (n) { var i = row.querySelector('input[data-field="' + n + '"]'); return i ? i.value : ""; };
      if (kind === "link") html += '<div class="wc-card wc-link" data-preview="link"><div class="wc-title">' + esc(v("title")) + '</div><div class="wc-body"><span class="wc-desc">' + esc(v("desc")) + "</span></div></div>";
      if (kind === "miniprogram") html += '<div class="wc-card wc-mp" data-preview="miniprogram"><div class="wc-small">' + esc(document.getElementById("text-bytes").dataset.mp) + '</div><div class="wc-title">' + esc(v("title")) + '</div><div class="wc-cover">' + esc(v("page")) + "</div></div>";
      if (kind === "image") html += '<div class="wc-card wc-image" data-preview="image">' + (v("pic_url") ? '<img alt="" src="' + esc(v("pic_url")) + '">' : esc(v("media_id"))) + "</div>";
    });
    box.innerHTML = html;
  }
  var timer = null;
  function check() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.dataset.checkUrl, {method: "POST", body: new FormData(form), credentials: "same-origin"})
        .then(function (r) { return r.json(); }).then(function (res) {
          var bytes = document.getElementById("text-bytes");
          bytes.textContent = bytes.dataset.format.replace("{n}", res.text_bytes);
          bytes.classList.toggle("over", res.text_bytes > 4000);
          var msgs = [];
          Object.keys(res.errors || {}).forEach(function (k) { if (k !== "title") msgs.push(res.errors[k].join(" ")); });
          document.getElementById("live-errors").textContent = msgs.join(" · ");
        }).catch(function () {});
    }, 250);
  }
  form.querySelectorAll(".att-row").forEach(showFields);
  form.addEventListener("input", function () { preview(); check(); });
  form.addEventListener("change", function (e) {
    if (e.target.matches(".att-row select")) showFields(e.target.closest(".att-row"));
    preview(); check();
  });
  document.getElementById("add-attachment").addEventListener("click", function () {
    var hidden = form.querySelector(".att-row[hidden]");
    if (hidden) hidden.hidden = false;
  });
  check();
})();
