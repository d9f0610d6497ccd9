// Offline search of the built-in renderer's HTML book. The renderer writes this file once as
// search.js, after the book's index `window.GZ_SEARCH_INDEX` (the book's sections and, in the
// internal edition, the profiles volume's enterprises); every page loads it. Matches are marked in
// the results, and the page a result opens marks them too (the terms travel as ?hl=… in its link).
(function () {
  "use strict";
  var input = document.getElementById("gz-search");
  var list = document.getElementById("gz-search-results");
  var index = window.GZ_SEARCH_INDEX;

  // <mark> every occurrence of the terms in the text nodes under root (scripts and styles left alone)
  function highlight(root, terms) {
    if (!root || terms.length === 0) { return 0; }
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) {
      var parent = walker.currentNode.parentNode;
      if (parent && !/^(SCRIPT|STYLE|MARK|TEXTAREA)$/.test(parent.nodeName)) { nodes.push(walker.currentNode); }
    }
    var count = 0;
    nodes.forEach(function (node) {
      var text = node.nodeValue, lower = text.toLowerCase(), pieces = [], at = 0;
      while (at < text.length) {
        var best = -1, size = 0;
        terms.forEach(function (t) {
          var pos = lower.indexOf(t, at);
          if (pos >= 0 && (best < 0 || pos < best)) { best = pos; size = t.length; }
        });
        if (best < 0) { break; }
        if (best > at) { pieces.push(document.createTextNode(text.slice(at, best))); }
        var mark = document.createElement("mark");
        mark.className = "gz-hit";
        mark.textContent = text.slice(best, best + size);
        pieces.push(mark);
        count += 1;
        at = best + size;
      }
      if (pieces.length === 0) { return; }
      if (at < text.length) { pieces.push(document.createTextNode(text.slice(at))); }
      var frag = document.createDocumentFragment();
      pieces.forEach(function (p) { frag.appendChild(p); });
      node.parentNode.replaceChild(frag, node);
    });
    return count;
  }

  // the terms a search result passed on (?hl=…): marked on this page, the first one scrolled into view
  var wanted = new URLSearchParams(window.location.search).get("hl");
  if (wanted) {
    var found = highlight(document.querySelector("main article") || document.body,
                          wanted.toLowerCase().split(/\s+/).filter(Boolean));
    var first = document.querySelector("mark.gz-hit");
    if (found && first && !window.location.hash) { first.scrollIntoView({block: "center"}); }
  }
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
      link.href = entry.p + "?hl=" + encodeURIComponent(terms.join(" ")) + (entry.a ? "#" + entry.a : "");
      add(item, "span", "where", entry.t);
      add(item, "span", "snippet", snippet(entry.x, terms[0]));
      highlight(item, terms);
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
