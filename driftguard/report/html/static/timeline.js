// The timeline's client-side filters and pages. Data comes from index.js (window.DRIFTGUARD_INDEX); every value
// reaches the page through textContent or a link's href to one of our own object pages, never as markup.
(function () {
  "use strict";
  var index = window.DRIFTGUARD_INDEX;
  if (!index) { return; }
  var F = {};
  index.fields.forEach(function (name, i) { F[name] = i; });
  var rows = index.rows;
  var pageSize = index.pageSize;
  var page = 0;
  var shown = rows;
  var $ = function (id) { return document.getElementById(id); };
  var inputs = { object: $("f-object"), kind: $("f-kind"), user: $("f-user"), status: $("f-status"), path: $("f-path") };
  var BADGE = { attributed: ["\u2713", "attributed"], unattributed: ["\u26a0", "unattributed"], unknown: ["?", "unknown"] };

  function glob(text) {
    // "network.*" or "cpu": * matches anything, everything else literally; case-insensitive substring otherwise
    var escaped = text.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp(escaped);
  }

  function matcher() {
    var object = inputs.object.value.trim().toLowerCase();
    var kind = inputs.kind.value, user = inputs.user.value, status = inputs.status.value;
    var path = inputs.path.value.trim() ? glob(inputs.path.value.trim()) : null;
    return function (r) {
      if (object && r[F.name].toLowerCase().indexOf(object) < 0 && r[F.id].toLowerCase() !== object) { return false; }
      if (kind && r[F.kind] !== kind) { return false; }
      if (user === "-" ? r[F.user] !== "" : (user && r[F.user] !== user)) { return false; }
      if (status && r[F.status] !== status) { return false; }
      if (path && !path.test(r[F.path].toLowerCase())) { return false; }
      return true;
    };
  }

  function cell(tr, text, code) {
    var td = document.createElement("td");
    if (code) {
      var c = document.createElement("code");
      if (code === "val") { c.className = "val"; }
      c.textContent = text;
      td.appendChild(c);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
    return td;
  }

  function row(r) {
    var tr = document.createElement("tr");
    tr.className = "row-" + r[F.status];
    cell(tr, r[F.seen]);
    var name = cell(tr, "");
    var a = document.createElement("a");
    a.href = r[F.page];
    a.textContent = r[F.name];
    name.appendChild(a);
    cell(tr, r[F.kind]);
    cell(tr, r[F.change]);
    cell(tr, r[F.path], true).className = "path";
    cell(tr, r[F.old], "val");
    cell(tr, r[F["new"]], "val");
    var st = cell(tr, "");
    var badge = BADGE[r[F.status]] || BADGE.unknown;
    var span = document.createElement("span");
    span.className = "badge st-" + badge[1];
    var icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = badge[0];
    span.appendChild(icon);
    span.appendChild(document.createTextNode(" " + badge[1]));
    st.appendChild(span);
    cell(tr, r[F.user]);
    return tr;
  }

  function draw() {
    var body = $("rows");
    var pages = Math.max(1, Math.ceil(shown.length / pageSize));
    page = Math.min(page, pages - 1);
    var start = page * pageSize, end = Math.min(shown.length, start + pageSize);
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) { fragment.appendChild(row(shown[i])); }
    body.replaceChildren(fragment);
    $("count").textContent = shown.length === 0 ? "No change matches these filters." :
      shown.length + " of " + rows.length + " changes; showing " + (start + 1) + "\u2013" + end + ".";
    $("page").textContent = "page " + (page + 1) + " of " + pages;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
  }

  function apply() {
    var keep = matcher();
    shown = rows.filter(keep);
    page = 0;
    draw();
    var query = new URLSearchParams();
    Object.keys(inputs).forEach(function (k) { if (inputs[k].value) { query.set(k, inputs[k].value); } });
    var search = query.toString();
    history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  // filters given in the address (links from the overview: ?user=..., ?status=unattributed)
  var given = new URLSearchParams(location.search);
  Object.keys(inputs).forEach(function (k) {
    var v = given.get(k);
    if (v === null) { return; }
    var el = inputs[k];
    if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) { return; }
    el.value = v;
  });

  Object.keys(inputs).forEach(function (k) { inputs[k].addEventListener("input", apply); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("filters").addEventListener("reset", function () { setTimeout(apply, 0); });
  $("prev").addEventListener("click", function () { page -= 1; draw(); });
  $("next").addEventListener("click", function () { page += 1; draw(); });
  apply();
}());
