/* The counter and station pages (templates/channels/page.html).
 * A scan is keyboard input ending in Enter: the exact SKU is added at once.
 * Each order submission carries an Idempotency-Key made here and kept (sessionStorage)
 * until an answer arrives: a resend after a timeout or a lost answer returns the first
 * order, never a second one; the page says plainly whether the order went through. */
(function () {
  "use strict";
  var root = document.getElementById("channel");
  if (!root) return;
  var api = root.dataset.api;
  var station = root.dataset.station === "1";
  var t = root.dataset;
  var csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  var lines = {};  // variant id -> {title, sku, price, quantity}
  var KEY = "channel-key:" + root.dataset.slug;
  var TIMEOUT_MS = 10000;

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function newKey() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return "pg-" + Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function call(method, path, body, key) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    return fetch(api + path, {
      method: method, headers: headers, credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined, signal: ctrl.signal
    }).then(function (r) {
      clearTimeout(timer);
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data, replayed: r.headers.get("Idempotent-Replayed") === "true" };
      });
    }, function (err) { clearTimeout(timer); throw err; });
  }
  function say(node, text, bad) { node.textContent = text; node.classList.toggle("bad", !!bad); }
  function errorText(res) {
    var e = (res.data && res.data.error) || {};
    var parts = [e.message || ("HTTP " + res.status)];
    if (e.details && typeof e.details === "object") {
      Object.keys(e.details).forEach(function (k) {
        var v = e.details[k];
        if (Array.isArray(v)) parts.push(k + ": " + v.join(" "));
        else if (v && typeof v === "object") parts.push(k + ": " + JSON.stringify(v));
      });
    }
    return parts.join(" — ");
  }

  function renderLines() {
    var body = $("lines");
    body.textContent = "";
    Object.keys(lines).forEach(function (id) {
      var l = lines[id];
      var tr = el("tr");
      tr.appendChild(el("td", l.title + " (" + l.sku + ")"));
      var td = el("td");
      var q = el("input");
      q.type = "number"; q.min = "1"; q.max = "999"; q.value = l.quantity;
      q.setAttribute("aria-label", l.title);
      q.addEventListener("change", function () { l.quantity = Math.max(1, parseInt(q.value, 10) || 1); });
      td.appendChild(q);
      tr.appendChild(td);
      tr.appendChild(el("td", "¥" + l.price));
      var rm = el("button", "×", "linklike");
      rm.type = "button";
      rm.addEventListener("click", function () { delete lines[id]; renderLines(); });
      var td2 = el("td"); td2.appendChild(rm); tr.appendChild(td2);
      body.appendChild(tr);
    });
  }
  function add(v) {
    if (lines[v.id]) lines[v.id].quantity += 1;
    else lines[v.id] = { title: v.title + " " + v.name, sku: v.sku, price: v.price, quantity: 1 };
    renderLines();
  }

  $("scan-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("scan").value.trim();
    if (!q) return;
    call("GET", "lookup/?q=" + encodeURIComponent(q)).then(function (res) {
      var found = $("found");
      found.textContent = "";
      var items = res.ok ? res.data : [];
      if (items.length === 1 && items[0].sku.toLowerCase() === q.toLowerCase()) {
        add(items[0]); $("scan").value = ""; $("scan").focus(); return;
      }
      if (!items.length) { found.appendChild(el("li", t.tNothing)); return; }
      items.forEach(function (v) {
        var li = el("li");
        li.appendChild(el("span", v.title + " " + v.name + " · " + v.sku + " · ¥" + v.price));
        var b = el("button", "+");
        b.type = "button";
        b.addEventListener("click", function () { add(v); found.textContent = ""; $("scan").value = ""; });
        li.appendChild(b);
        found.appendChild(li);
      });
    });
  });

  function showOrder(o, replayed) {
    var box = $("result");
    box.textContent = "";
    box.hidden = false;
    box.appendChild(el("p", (replayed ? t.tReplayed : t.tPlaced) + ": " + o.number + " · ¥" + o.total, "channel-placed"));
    if (o.pickup_code) {
      var p = el("p"); p.appendChild(el("span", t.tCode + " ")); p.appendChild(el("span", o.pickup_code, "channel-code"));
      box.appendChild(p);
    }
    var receipt = el("a", t.tReceipt);
    receipt.href = "/channels/" + root.dataset.slug + "/orders/" + o.number + "/receipt/";
    receipt.className = "channel-receipt";
    box.appendChild(el("p")).appendChild(receipt);
    if (o.status === "pending_payment") {
      var cash = el("button", t.tCash); cash.type = "button"; cash.id = "take-cash";
      cash.addEventListener("click", function () { payCash(o.number); });
      box.appendChild(cash);
      var wallet = el("button", t.tWallet); wallet.type = "button"; wallet.id = "wallet-qr";
      wallet.addEventListener("click", function () { walletLink(o.number); });
      box.appendChild(document.createTextNode(" "));
      box.appendChild(wallet);
      if (station) {
        var sms = el("button", t.tPayLink); sms.type = "button"; sms.id = "pay-link-sms";
        sms.addEventListener("click", function () { payLinkSms(o.number); });
        box.appendChild(document.createTextNode(" "));
        box.appendChild(sms);
      }
    } else {
      box.appendChild(el("p", t.tPaid));
    }
  }
  function payCash(number) {
    call("POST", "orders/" + number + "/cash/").then(function (res) {
      if (res.ok) { showOrder(res.data, false); say($("status"), t.tPaid + ": " + number); loadMine(); loadDay(); }
      else say($("status"), errorText(res), true);
    }, function () { say($("status"), t.tUnsure, true); });
  }
  function walletLink(number) {
    call("POST", "orders/" + number + "/wallet/").then(function (res) {
      if (!res.ok) { say($("status"), errorText(res), true); return; }
      var box = el("div", undefined, "channel-wallet");
      // The QR is SVG made by the server (segno) from the pay link: no script in it.
      var svg = new DOMParser().parseFromString(res.data.qr_svg, "text/html").body.firstElementChild;
      if (svg) box.appendChild(svg);
      var a = el("a", res.data.pay_url); a.href = res.data.pay_url; a.className = "channel-paylink";
      box.appendChild(el("p")).appendChild(a);
      $("result").appendChild(box);
    });
  }

  function payLinkSms(number) {
    call("POST", "orders/" + number + "/pay-link/").then(function (res) {
      if (res.ok) say($("status"), t.tPayLinkSent + ": " + res.data.sent_to);
      else say($("status"), errorText(res), true);
    }, function () { say($("status"), t.tUnsure, true); });
  }

  $("sale-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { lines: Object.keys(lines).map(function (id) { return { variant: parseInt(id, 10), quantity: lines[id].quantity }; }) };
    if (station) body.villager = { name: $("villager-name").value, phone: $("villager-phone").value };
    var key = sessionStorage.getItem(KEY);
    if (!key) { key = newKey(); sessionStorage.setItem(KEY, key); }
    $("send").disabled = true;
    say($("status"), "…");
    call("POST", "orders/", body, key).then(function (res) {
      $("send").disabled = false;
      if (res.ok) {
        sessionStorage.removeItem(KEY);
        $("resend").hidden = true; $("send").hidden = false;
        lines = {}; renderLines();
        say($("status"), (res.replayed ? t.tReplayed : t.tPlaced) + ": " + res.data.number);
        showOrder(res.data, res.replayed);
        loadMine();
      } else {
        // A refusal is final for this body: a corrected one is a new submission.
        sessionStorage.removeItem(KEY);
        say($("status"), errorText(res), true);
      }
    }, function () {
      // Timed out or the answer was lost: the key stays, so "Send again" cannot order twice.
      $("send").disabled = false;
      $("send").hidden = true; $("resend").hidden = false;
      say($("status"), t.tUnsure, true);
    });
  });

  function loadMine() {
    call("GET", "orders/").then(function (res) {
      if (!res.ok) return;
      var ul = $("mine");
      ul.textContent = "";
      res.data.forEach(function (o) {
        var li = el("li");
        li.appendChild(el("span", o.number + " · ¥" + o.total + " · " + o.status_display + (o.villager_name ? " · " + o.villager_name : "") + (o.buyer_pickup ? " · " + t.tBuyer : "")));
        if (station && o.status !== "pending_payment" && !o.ready_at) {
          var b = el("button", t.tArrived); b.type = "button";
          b.addEventListener("click", function () {
            call("POST", "orders/" + o.number + "/arrived/").then(loadMine);
          });
          li.appendChild(b);
        } else if (o.collected_at) {
          li.appendChild(el("span", t.tCollected, "muted"));
        } else if (o.flagged_at) {
          li.appendChild(el("span", "⚠", "muted"));
        }
        ul.appendChild(li);
      });
    });
  }

  var pickup = $("pickup-form");
  if (pickup) {
    pickup.addEventListener("submit", function (ev) {
      ev.preventDefault();
      call("POST", "pickup/", { code: $("pickup-code").value.trim() }).then(function (res) {
        if (res.ok) { say($("pickup-status"), t.tCollected + ": " + res.data.number); loadMine(); }
        else say($("pickup-status"), errorText(res), true);
      }, function () { say($("pickup-status"), t.tUnsure, true); });
    });
  }
  // End of day: the cash report read from the store's cash ledger, and the clerk's close.
  var day = $("day");
  function loadDay() {
    call("GET", "cash-report/").then(function (res) {
      if (!res.ok) return;
      var rows = $("day-rows");
      rows.textContent = "";
      res.data.clerks.forEach(function (c) {
        var tr = el("tr");
        tr.appendChild(el("td", c.clerk));
        tr.appendChild(el("td", "¥" + c.cash));
        var state = c.handed_over !== null ? day.dataset.tHanded + " ¥" + c.handed_over
          : c.closed !== null ? day.dataset.tClosed + " ¥" + c.closed : day.dataset.tOpen;
        tr.appendChild(el("td", state, c.closed !== null && !c.balanced ? "bad" : ""));
        rows.appendChild(tr);
      });
      $("day-left").textContent = day.dataset.tLeft + ": ¥" + res.data.to_hand_over;
    });
  }
  $("close-day").addEventListener("click", function () {
    $("close-day").disabled = true;
    call("POST", "cash-close/", {}).then(function (res) {
      $("close-day").disabled = false;
      if (res.ok) say($("day-status"), day.dataset.tClosed + ": ¥" + res.data.amount);
      else say($("day-status"), errorText(res), true);
      loadDay();
    }, function () { $("close-day").disabled = false; say($("day-status"), t.tUnsure, true); });
  });
  loadDay();

  if (sessionStorage.getItem(KEY)) { $("send").hidden = true; $("resend").hidden = false; }
  loadMine();
})();
