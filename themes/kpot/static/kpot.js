// kpot theme script: small enhancements only; every page works without it.
(function () {
  "use strict";

  // Sortable tables (the councils directory): a button in each header
  // sorts by that column; aria-sort tells screen readers the order.
  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, index) { row.dataset.order = row.dataset.order || index; });
        rows.sort(function (a, b) {
          var x = a.cells[column].textContent.trim();
          var y = b.cells[column].textContent.trim();
          var c = column === 0 ? (a.dataset.order - b.dataset.order) : x.localeCompare(y, document.documentElement.lang);
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);

  // Live search: the server renders results for the form's GET request, so
  // the page works without this; with it, results follow typing and ticked
  // filters, and the address bar follows the state so it can be shared.
  var form = document.querySelector("form.search-form");
  if (form && window.fetch && window.URLSearchParams) {
    var timer = null;
    var pending = null;
    var refresh = function () {
      var params = new URLSearchParams(new FormData(form));
      var query = params.toString();
      history.replaceState(null, "", form.getAttribute("action") + (query ? "?" + query : ""));
      if (pending) { pending.abort(); }
      pending = window.AbortController ? new AbortController() : null;
      fetch(form.getAttribute("action") + "?" + query, {
        headers: { "Accept": "text/html" },
        signal: pending ? pending.signal : undefined
      })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, "text/html");
          // Keyboard users keep their place: the focused filter (or field)
          // is focused again in the fresh copy of the form.
          var focused = document.activeElement;
          var again = focused && focused.name && form.contains(focused)
            ? [focused.name, focused.value] : null;
          ["search-results", "search-facets"].forEach(function (id) {
            var fresh = next.getElementById(id);
            var old = document.getElementById(id);
            if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
          });
          if (again && !document.contains(focused)) {
            Array.prototype.some.call(form.elements, function (el) {
              if (el.name === again[0] && el.value === again[1]) { el.focus(); return true; }
              return false;
            });
          }
          // Screen readers hear the new count once, not the whole list.
          var status = document.getElementById("search-status");
          var count = document.querySelector("#search-results .result-count");
          if (status) { status.textContent = count ? count.textContent : ""; }
        })
        .catch(function () { /* keep the current results; the form still submits */ });
    };
    form.addEventListener("input", function (event) {
      if (event.target.name === "q") {
        clearTimeout(timer);
        timer = setTimeout(refresh, 250);
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") { refresh(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      refresh();
    });
  }
})();
