// What every htmx request shows while it runs and when it fails (the list's tabs, sorts, pages, search and
// filters; Insights' periods; any swap):
// - a tab clicked shows selected at once (and goes back to the one before if the request fails);
// - after 150 ms the part being replaced dims under a moving bar (.is-loading) and says it is busy
//   (aria-busy), so a quick answer doesn't flicker;
// - a request the server doesn't answer (a network error, a timeout, a 5xx) says so above that part, with
//   "Try again" (for a page of the list: a link to the same address) instead of leaving the old content as if
//   nothing had happened. 4xx answers are the app's own (a form's errors) and are left to the page; a request
//   cut short on purpose (hx-sync) says nothing.
(function () {
  "use strict";

  var DIM_AFTER = 150;  // ms
  var timers = new WeakMap();
  var previousTabs = new WeakMap();

  function selectTab(tab) {
    var list = tab.closest('[role="tablist"]');
    if (!list) return;
    var tabs = list.querySelectorAll('[role="tab"]');
    previousTabs.set(tab, list.querySelector('[role="tab"][aria-selected="true"]'));
    Array.prototype.forEach.call(tabs, function (each) {
      each.setAttribute("aria-selected", each === tab ? "true" : "false");
    });
  }

  function restoreTab(tab) {
    var before = tab && previousTabs.get(tab);
    if (!before || !before.isConnected) return;
    selectTab(before);
  }

  function problemBefore(target) {
    var box = target.previousElementSibling;
    return box && box.classList.contains("request-problem") ? box : null;
  }

  function sayProblem(detail) {
    var target = detail.target;
    if (!target || !target.isConnected) return;
    var old = problemBefore(target);
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "request-problem";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    var status = detail.xhr && detail.xhr.status;
    var isGet = (detail.requestConfig && detail.requestConfig.verb || "get").toLowerCase() === "get";
    var what = isGet ? (status ? "This didn't load: the server answered with an error (%(status)s)."
                               : "This didn't load: the server didn't answer.")
                     : (status ? "This may not have been saved: the server answered with an error (%(status)s). Check, then send it again."
                               : "This may not have been saved: the server didn't answer. Check, then send it again.");
    text.textContent = crmWord(what, {status: status});
    box.appendChild(text);
    // "Try again" goes to the address only for a request that is a page of its own (a link, or one that
    // pushes its URL: the list's tabs, sorts, pages, search and filters), never for a part of a form.
    var isPage = detail.elt && (detail.elt.hasAttribute("href") || detail.elt.closest('[hx-push-url="true"]'));
    if (isGet && isPage && detail.pathInfo && detail.pathInfo.finalRequestPath) {
      var again = document.createElement("a");
      again.className = "button";
      again.href = detail.pathInfo.finalRequestPath;
      again.textContent = crmWord("Try again");
      box.appendChild(again);
    }
    target.insertAdjacentElement("beforebegin", box);
  }

  function settle(target) {
    if (!target) return;
    clearTimeout(timers.get(target));
    target.classList.remove("is-loading");
    target.removeAttribute("aria-busy");
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var target = evt.detail.target, elt = evt.detail.elt;
    if (!target) return;
    var old = problemBefore(target);
    if (old) old.remove();
    var tab = elt.closest && elt.closest('[role="tab"]');
    if (tab) selectTab(tab);
    target.setAttribute("aria-busy", "true");
    clearTimeout(timers.get(target));
    timers.set(target, setTimeout(function () { target.classList.add("is-loading"); }, DIM_AFTER));
  });

  function failed(evt) {
    var tab = evt.detail.elt.closest && evt.detail.elt.closest('[role="tab"]');
    restoreTab(tab);
    sayProblem(evt.detail);
  }

  // afterRequest ends every request, answered or not; a server error is known there. No answer at all is
  // known only from the events after it (sendError, timeout), which a request cut short on purpose (hx-sync
  // replacing it, htmx:sendAbort) doesn't fire.
  document.addEventListener("htmx:afterRequest", function (evt) {
    settle(evt.detail.target);
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status >= 500) failed(evt);
  });
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
})();
