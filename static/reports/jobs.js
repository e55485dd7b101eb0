/* Farmgate reports: a running job's page polls its status and moves the progress bar;
   the page reloads once the job has finished (to show the download or the result).
   Without JavaScript the page refreshes itself every few seconds instead. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || !window.fetch) return;
  var bar = box.querySelector("[data-job-progress]");
  var label = box.querySelector("[data-job-label]");
  var count = box.querySelector("[data-job-count]");
  var template = count ? count.textContent.replace(/\d+/, "%(done)s").replace(/\d+/, "%(total)s") : "";

  function poll() {
    fetch(box.dataset.jobStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        if (label) label.textContent = job.status_label;
        if (count) count.textContent = template.replace("%(done)s", job.done).replace("%(total)s", job.total);
        if (job.finished) window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
