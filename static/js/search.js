/* Farmgate: suggestions under a search box as the buyer types (pinyin, initials or
   Chinese). The box is a plain GET form without JavaScript; with it, inputs marked
   data-suggest get a list of matching products from /api/v1/search/suggest/. */
(function () {
  "use strict";
  if (!window.fetch || !window.AbortController) return;

  document.querySelectorAll("input[data-suggest]").forEach(function (input, n) {
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var timer = null;
    var request = null;
    var active = -1;
    list.id = (input.id || "search") + "-suggestions-" + n;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
    }

    function show(suggestions) {
      list.innerHTML = "";
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        a.href = input.dataset.productBase + encodeURIComponent(s.product) + "/";
        a.textContent = s.text;
        a.tabIndex = -1;
        li.appendChild(a);
        list.appendChild(li);
      });
      status.textContent = suggestions.length ? input.dataset.suggestCount.replace("{n}", suggestions.length) : "";
      if (!suggestions.length) { close(); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask(text) {
      if (request) request.abort();
      request = new AbortController();
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {
        headers: { Accept: "application/json" },
        signal: request.signal
      })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) { if (input.value.trim() === text) show(body.suggestions || []); })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      var text = input.value.trim();
      clearTimeout(timer);
      if (!text) { close(); return; }
      timer = setTimeout(function () { ask(text); }, 150);
    });

    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 200); });
  });
})();
