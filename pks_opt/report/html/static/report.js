// pks report: sortable, filterable tables with a CSV download each. No network, no libraries.
(function () {
  "use strict";
  function cellValue(td, numeric) {
    var v = td.getAttribute("data-v");
    if (v === null) { v = td.textContent; }
    if (numeric) { var x = parseFloat(v); return isNaN(x) ? -Infinity : x; }
    return v.toLowerCase();
  }
  function sortBy(table, col, th) {
    var tbody = table.tBodies[0];
    var numeric = th.classList.contains("num");
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col], numeric), y = cellValue(b.cells[col], numeric);
      return x < y ? -dir : x > y ? dir : 0;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function csvField(s) {
    s = String(s);
    return /[",\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function download(table) {
    var head = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return csvField(th.getAttribute("data-col") || th.textContent);
    }).join(",");
    var lines = [head];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      if (r.style.display === "none") { return; }
      lines.push(Array.prototype.map.call(r.cells, function (td) {
        var v = td.getAttribute("data-v");
        return csvField(v === null ? td.textContent : v);
      }).join(","));
    });
    var blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = (table.getAttribute("data-name") || "table") + ".csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function filter(table, text) {
    var q = text.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      var hay = r.textContent + " " + Array.prototype.map.call(r.cells, function (c) { return c.getAttribute("data-v") || ""; }).join(" ");
      var hit = !q || hay.toLowerCase().indexOf(q) >= 0;
      r.style.display = hit ? "" : "none";
      if (hit) { shown += 1; }
    });
    var count = document.getElementById(table.id + "-count");
    if (count) { count.textContent = String(shown); }
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener("click", function () { sortBy(table, i, th); });
    });
    var box = table.closest(".table-box");
    var input = box && box.querySelector("input.filter");
    if (input) { input.addEventListener("input", function () { filter(table, input.value); }); }
    var button = box && box.querySelector("button.csv");
    if (button) { button.addEventListener("click", function () { download(table); }); }
  });
  // the sticky contents bar's height, for the headings' scroll-margin-top (report.css)
  var nav = document.querySelector("nav.toc");
  function navHeight() {
    var h = nav ? nav.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty("--nav-h", Math.ceil(h) + "px");
  }
  navHeight();
  window.addEventListener("resize", navHeight);
  // a link opens the "more tables" block its target sits in; a section, part or table is
  // shown from its top (below the contents bar), a trace row in the middle of the screen
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) { return; }
    var d = el.closest("details");
    while (d) { d.open = true; d = d.parentElement && d.parentElement.closest("details"); }
    el.scrollIntoView({ block: el.tagName === "TR" ? "center" : "start" });
  }
  window.addEventListener("hashchange", reveal);
  // a second click on the link already followed changes no hash: show its target again
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#']");
    if (a && a.getAttribute("href") === location.hash) { e.preventDefault(); reveal(); }
  });
  reveal();
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("table.sortable").forEach(function (t) { filter(t, ""); });
  });
}());
