/* Farmgate: province → city → district selects. Without JavaScript each level is a
   plain select and a "Show the next level" button reloads the page with the next one
   filled; with it, the buttons go and the next select fills from /api/v1/regions/. */
(function () {
  "use strict";
  if (!window.fetch) return;

  document.querySelectorAll("[data-region-selects]").forEach(function (box) {
    var province = box.querySelector("[data-region-level=province]");
    var city = box.querySelector("[data-region-level=city]");
    var district = box.querySelector("[data-region-level=district]");
    if (!province || !city || !district) return;
    // Removed, not hidden: the first submit button is the one Enter presses.
    box.querySelectorAll("[data-region-refresh]").forEach(function (b) { b.remove(); });

    function placeholder(select, text) {
      select.innerHTML = "";
      var option = document.createElement("option");
      option.value = "";
      option.textContent = text;
      select.appendChild(option);
    }

    function fill(select, regions, prompt) {
      placeholder(select, prompt);
      regions.forEach(function (r) {
        var option = document.createElement("option");
        option.value = r.code;
        option.textContent = r.name;
        select.appendChild(option);
      });
    }

    function children(code) {
      return fetch(province.dataset.regionApi + "?page_size=100&parent=" + encodeURIComponent(code), {
        headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { return body.results || []; });
    }

    province.addEventListener("change", function () {
      placeholder(district, box.dataset.cityFirst);
      if (!province.value) { placeholder(city, box.dataset.provinceFirst); return; }
      children(province.value).then(function (cities) { fill(city, cities, box.dataset.chooseCity); });
    });

    city.addEventListener("change", function () {
      if (!city.value) { placeholder(district, box.dataset.cityFirst); return; }
      var chosen = city.options[city.selectedIndex];
      children(city.value).then(function (districts) {
        if (districts.length) { fill(district, districts, box.dataset.chooseDistrict); return; }
        // A city without districts (Dongguan…) is itself the last level.
        district.innerHTML = "";
        var option = document.createElement("option");
        option.value = city.value;
        option.textContent = chosen.textContent;
        district.appendChild(option);
      });
    });
  });
})();
