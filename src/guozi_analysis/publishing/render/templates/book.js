// Page behaviours of the built-in renderer's HTML book (written once as book.js, after the
// book's contents `window.GZ_BOOK_TOC`): the contents in the sidebar, the 目录 button on
// phones, the page contents (本页目录) collapsed on narrow screens and following the reader.
(function () {
  "use strict";
  var body = document.body;
  var current = body.getAttribute("data-page") || "index.html";

  // The book's contents, from the one copy in this file.
  var host = document.getElementById("gz-toc");
  if (host && window.GZ_BOOK_TOC) {
    var list = document.createElement("ul");
    list.className = "toc";
    window.GZ_BOOK_TOC.forEach(function (entry) {
      var item = document.createElement("li");
      if (entry.part) {
        item.className = "part";
        item.textContent = entry.part;
      } else {
        var link = document.createElement("a");
        link.href = entry.href;
        if (entry.num) {
          var num = document.createElement("span");
          num.className = "num";
          num.textContent = entry.num;
          link.appendChild(num);
        }
        link.appendChild(document.createTextNode(entry.title));
        if (entry.href === current) {
          link.className = "active";
          link.setAttribute("aria-current", "page");
        }
        item.appendChild(link);
      }
      list.appendChild(item);
    });
    host.textContent = "";
    host.appendChild(list);
  }

  // Phones: the contents stay folded behind the 目录 button, the text comes first.
  var toggle = document.getElementById("gz-nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? "收起目录" : "目录";
    });
    var sidebar = document.getElementById("sidebar");
    if (sidebar) {
      sidebar.addEventListener("click", function (event) {
        if (event.target.tagName === "A" && body.classList.contains("nav-open")) {
          body.classList.remove("nav-open");
          toggle.setAttribute("aria-expanded", "false");
          toggle.textContent = "目录";
        }
      });
    }
  }

  // 本页目录: open beside the text on wide screens, folded above it on narrow ones.
  var pageToc = document.getElementById("gz-page-toc");
  if (pageToc) {
    var details = pageToc.querySelector("details");
    var wide = window.matchMedia ? window.matchMedia("(min-width: 1300px)") : null;
    if (details && wide && !wide.matches) { details.removeAttribute("open"); }
    if (details && wide && wide.addEventListener) {
      wide.addEventListener("change", function (event) { if (event.matches) { details.setAttribute("open", ""); } });
    }
    var links = Array.prototype.slice.call(pageToc.querySelectorAll("a[href^='#']"));
    var targets = links.map(function (a) {
      return document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    });
    var pending = false;
    var follow = function () {
      pending = false;
      var active = -1;
      for (var i = 0; i < targets.length; i++) {
        if (targets[i] && targets[i].getBoundingClientRect().top < 120) { active = i; }
      }
      links.forEach(function (a, k) { a.classList.toggle("active", k === active); });
    };
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(follow); }
    }, { passive: true });
    follow();
  }
})();
