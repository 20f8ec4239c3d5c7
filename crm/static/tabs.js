// Keyboard for every tab list (role="tablist"): the tabs are links, so without JavaScript each is an ordinary
// stop of the Tab key. With it, the list is one stop, on the selected tab (a "roving" tabindex); the arrow
// keys move along the tabs (wrapping at the ends), Home and End go to the first and last, and Enter or Space
// opens the focused one. Moving doesn't open a tab: each opening loads a page or swaps the results.
// htmx keeps the focus on a swapped-in element with the same id, so an opened segment tab stays focused.
(function () {
  "use strict";

  function tabsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
  }

  function rove(root) {
    var lists = root.querySelectorAll ? root.querySelectorAll('[role="tablist"]') : [];
    if (root.matches && root.matches('[role="tablist"]')) lists = [root];
    Array.prototype.forEach.call(lists, function (list) {
      var tabs = tabsOf(list);
      var selected = tabs.filter(function (tab) { return tab.getAttribute("aria-selected") === "true"; })[0] || tabs[0];
      tabs.forEach(function (tab) { tab.setAttribute("tabindex", tab === selected ? "0" : "-1"); });
    });
  }

  function moveFocus(from, to) {
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    to.focus();
  }

  document.addEventListener("keydown", function (evt) {
    var tab = evt.target.closest && evt.target.closest('[role="tab"]');
    var list = tab && tab.closest('[role="tablist"]');
    if (!list || evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var tabs = tabsOf(list), at = tabs.indexOf(tab), to = null;
    if (evt.key === "ArrowRight") to = tabs[(at + 1) % tabs.length];
    else if (evt.key === "ArrowLeft") to = tabs[(at - 1 + tabs.length) % tabs.length];
    else if (evt.key === "Home") to = tabs[0];
    else if (evt.key === "End") to = tabs[tabs.length - 1];
    else if (evt.key === " ") { evt.preventDefault(); tab.click(); return; }
    if (!to) return;
    evt.preventDefault();
    moveFocus(tab, to);
  });

  rove(document);
  document.addEventListener("htmx:load", function (evt) { rove(evt.detail.elt); });
})();
