// The customer form: the Street combobox (keyboard and mouse) and a submit button that can't send the
// form twice (copying a generated password is copy.js). htmx fetches the suggestions; this file drives them.
(function () {
  "use strict";

  function setupCombobox(input) {
    var listbox = document.getElementById(input.getAttribute("aria-controls"));
    if (!listbox) return;
    var active = -1;

    function options() { return Array.prototype.slice.call(listbox.querySelectorAll('[role="option"]')); }

    function open() {
      if (!options().length) { close(); return; }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) return;
      active = (index + opts.length) % opts.length;
      opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function setField(id, value) {
      var field = document.getElementById(id);
      if (!field || value === undefined) return;
      if (field.value !== value) {
        field.value = value;
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function choose(option) {
      var d = option.dataset;
      // A place chosen without a street (only "parramatta" typed) empties Street for the street to be typed.
      input.value = d.street || "";
      // Country first: its change reloads the state list that the state value belongs to.
      setField("country", d.country);
      setField("city", d.city);
      setField("state", d.state);
      setField("postcode", d.postcode);
      close();
      input.focus();
    }

    // A reply for text that is no longer in the box is stale: never let it replace a newer one.
    listbox.addEventListener("htmx:beforeSwap", function (evt) {
      var url = evt.detail.xhr && evt.detail.xhr.responseURL;
      if (!url) return;
      var asked = new URL(url).searchParams.get(input.name);
      if (asked !== null && asked !== input.value) evt.detail.shouldSwap = false;
    });

    listbox.addEventListener("htmx:afterSwap", function () {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (document.activeElement === input && input.value.trim()) open(); else close();
    });

    input.addEventListener("keydown", function (evt) {
      var isOpen = !listbox.hidden;
      if (evt.key === "ArrowDown") {
        evt.preventDefault();
        if (!isOpen) open();
        highlight(active + 1);
      } else if (evt.key === "ArrowUp") {
        evt.preventDefault();
        if (!isOpen) open();
        highlight(active < 0 ? -1 : active - 1);
      } else if (evt.key === "Enter" && isOpen && active >= 0) {
        evt.preventDefault();  // choose, don't submit the form
        choose(options()[active]);
      } else if (evt.key === "Escape" && isOpen) {
        evt.preventDefault();
        close();
      } else if (evt.key === "Tab") {
        close();
      }
    });

    input.addEventListener("input", function () { if (!input.value.trim()) { listbox.innerHTML = ""; close(); } });
    input.addEventListener("blur", function () { setTimeout(close, 150); });

    // mousedown, not click: the input would lose focus (and close the list) before a click lands.
    listbox.addEventListener("mousedown", function (evt) {
      var option = evt.target.closest('[role="option"]');
      if (option) { evt.preventDefault(); choose(option); }
    });
  }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var once = form.querySelector("[data-once]");
    if (!once) return;
    if (form.dataset.submitting) { evt.preventDefault(); return; }
    var submitter = evt.submitter;
    if (submitter && submitter !== once) return;  // a generate button without htmx: not the save
    form.dataset.submitting = "1";
    once.setAttribute("aria-disabled", "true");
    once.classList.add("busy");
  });

  // Coming back to the page from history: allow saving again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      var once = form.querySelector("[data-once]");
      if (once) { once.removeAttribute("aria-disabled"); once.classList.remove("busy"); }
    });
  });

  function init() {
    document.querySelectorAll('input[role="combobox"]').forEach(setupCombobox);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
