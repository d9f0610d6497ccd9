// Offline search of the built-in renderer's HTML book. The renderer writes this file once as
// search.js, after the book's index `window.GZ_SEARCH_INDEX`; every page loads it.
(function () {
  "use strict";
  var input = document.getElementById("gz-search");
  var list = document.getElementById("gz-search-results");
  var index = window.GZ_SEARCH_INDEX;
  if (!input || !list || !index) { return; }

  function snippet(text, term) {
    var pos = text.toLowerCase().indexOf(term);
    if (pos < 0) { return text.slice(0, 60); }
    var start = Math.max(0, pos - 20);
    return (start > 0 ? "……" : "") + text.slice(start, pos + term.length + 40);
  }

  function add(parent, tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    parent.appendChild(node);
    return node;
  }

  function search() {
    var terms = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (terms.length === 0) { list.hidden = true; return; }
    var hits = 0;
    for (var i = 0; i < index.length && hits < 30; i++) {
      var entry = index[i];
      var hay = (entry.t + " " + entry.h + " " + entry.x).toLowerCase();
      var ok = terms.every(function (term) { return hay.indexOf(term) >= 0; });
      if (!ok) { continue; }
      hits += 1;
      var item = add(list, "li");
      var link = add(item, "a", "", entry.h || entry.t);
      link.href = entry.p + (entry.a ? "#" + entry.a : "");
      add(item, "span", "where", entry.t);
      add(item, "span", "snippet", snippet(entry.x, terms[0]));
    }
    if (hits === 0) { add(list, "li", "", "未找到匹配内容"); }
    list.hidden = false;
  }

  input.addEventListener("input", search);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { input.value = ""; search(); }
    if (event.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { window.location.href = first.getAttribute("href"); }
    }
  });
})();
