/* Farmgate: a little progressive enhancement. Every page works without it. */
(function () {
  "use strict";

  /* Product gallery: thumbnails are links (?photo=N) that also work without
     JavaScript; with it, the main photo swaps in place. */
  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector("[data-gallery-main]");
    if (!main) return;
    gallery.querySelectorAll("a[data-full]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        main.src = link.dataset.full;
        main.alt = link.dataset.alt || "";
        main.width = +link.dataset.width || main.width;
        main.height = +link.dataset.height || main.height;
        gallery.querySelectorAll("a[aria-current]").forEach(function (a) { a.removeAttribute("aria-current"); });
        link.setAttribute("aria-current", "true");
      });
    });
  });

  /* Photo upload: one request per photo so a slow phone connection shows real
     progress, and a refused photo says why without losing the others. */
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var inputs = form.querySelectorAll("input[type=file]");
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    var list = form.querySelector("[data-upload-errors]");
    var button = form.querySelector("button[type=submit]");
    var t = form.dataset;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
    }

    function sendOne(file, index, total) {
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
        data.append("photos", file, file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.onprogress = function (e) {
          if (e.lengthComputable) bar.value = ((index + e.loaded / e.total) / total) * 100;
        };
        xhr.onload = function () {
          var body = {};
          try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
          resolve({ ok: xhr.status < 300, file: file.name, message: body.message || t.failed });
        };
        xhr.onerror = function () { resolve({ ok: false, file: file.name, message: t.offline }); };
        xhr.send(data);
      });
    }

    form.addEventListener("submit", function (event) {
      var files = [];
      inputs.forEach(function (input) { Array.prototype.push.apply(files, input.files); });
      if (!files.length || !window.FormData || !window.Promise) return; // plain form post
      event.preventDefault();
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      list.innerHTML = "";
      var failures = 0;
      var chain = Promise.resolve();
      files.forEach(function (file, i) {
        chain = chain.then(function () {
          say(t.uploading.replace("%(n)s", i + 1).replace("%(total)s", files.length));
          return sendOne(file, i, files.length).then(function (result) {
            if (!result.ok) {
              failures += 1;
              var li = document.createElement("li");
              li.textContent = result.file + ": " + result.message;
              list.appendChild(li);
            }
          });
        });
      });
      chain.then(function () {
        bar.value = 100;
        button.disabled = false;
        inputs.forEach(function (input) { input.value = ""; });
        if (failures) {
          say(t.refused, true);
          list.setAttribute("tabindex", "-1");
          list.focus();
        } else {
          say(t.done);
          window.location.reload();
        }
      });
    });
  });
})();
