/* The dispatch board: drag and drop with native HTML5 drag events (mouse, touch where the
   browser supports it, and Playwright), and a poll that reloads the board's rows and queue when
   another dispatcher changed the visible range, keeping scroll positions and the selection.
   Without this script the board works by links and forms (select a card, fill the form). */
(function () {
  "use strict";
  var POLL_MS = 4000;

  function root() { return document.getElementById("board-root"); }

  function setVersion(version) {
    var board = root();
    board.dataset.version = String(version);
    board.querySelectorAll("[data-board-version]").forEach(function (input) { input.value = String(version); });
  }

  function submitDrop(card, target) {
    var form = document.getElementById("board-drop-form");
    var appointment = card.dataset.appointment || "";
    form.elements.order.value = card.dataset.order || "";
    form.elements.appointment.value = appointment;
    form.elements.technician.value = target.dataset.technician;
    form.elements.date.value = target.dataset.date;
    form.elements.time.value = target.dataset.time || "";
    form.elements.minutes.value = card.dataset.minutes || "";
    form.elements.sel.value = appointment ? "a" + appointment : "o" + card.dataset.order;
    form.action = appointment
      ? form.dataset.moveUrl.replace("/0/", "/" + appointment + "/")
      : form.dataset.assignUrl;
    setStatus(form.dataset.saving || "…");
    form.submit();
  }

  function setStatus(text) {
    var status = document.getElementById("board-status");
    if (status) { status.textContent = text; }
  }

  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-order], [data-appointment]");
    if (!card || !root() || !root().contains(card)) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.order ? "o" + card.dataset.order : "a" + card.dataset.appointment);
    document.body.classList.add("fl-dragging");
  });

  document.addEventListener("dragend", function () {
    dragged = null;
    document.body.classList.remove("fl-dragging");
    document.querySelectorAll(".fl-drop.is-over").forEach(function (el) { el.classList.remove("is-over"); });
  });

  document.addEventListener("dragover", function (event) {
    var target = event.target.closest && event.target.closest(".fl-drop");
    if (!target || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".fl-drop.is-over").forEach(function (el) { if (el !== target) { el.classList.remove("is-over"); } });
    target.classList.add("is-over");
  });

  document.addEventListener("drop", function (event) {
    var target = event.target.closest && event.target.closest(".fl-drop");
    if (!target || !dragged) { return; }
    event.preventDefault();
    var card = dragged;
    dragged = null;
    submitDrop(card, target);
  });

  /* The poll: a cheap check; the board's rows and queue are fetched only when they changed. */
  function scrollState() {
    var scroller = document.getElementById("board-scroll");
    var queue = document.getElementById("board-queue");
    return {
      x: scroller ? scroller.scrollLeft : 0,
      y: scroller ? scroller.scrollTop : 0,
      q: queue ? queue.scrollTop : 0,
      wx: window.scrollX,
      wy: window.scrollY,
      focus: document.activeElement && document.activeElement.dataset ? (document.activeElement.dataset.order ? "o" + document.activeElement.dataset.order : (document.activeElement.dataset.appointment ? "a" + document.activeElement.dataset.appointment : "")) : ""
    };
  }

  function restore(state) {
    var scroller = document.getElementById("board-scroll");
    var queue = document.getElementById("board-queue");
    if (scroller) { scroller.scrollLeft = state.x; scroller.scrollTop = state.y; }
    if (queue) { queue.scrollTop = state.q; }
    window.scrollTo(state.wx, state.wy);
    if (state.focus) {
      var key = state.focus[0] === "o" ? "data-order" : "data-appointment";
      var again = document.querySelector("[" + key + "='" + state.focus.slice(1) + "']");
      if (again) { again.focus({ preventScroll: true }); }
    }
  }

  function refresh(version) {
    return fetch(window.location.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var state = scrollState();
        ["board-grid", "board-queue"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var current = document.getElementById(id);
          if (fresh && current) { current.replaceWith(fresh); }
        });
        restore(state);
        setVersion(version);
        setStatus(root().dataset.updated || "");
      });
  }

  function poll() {
    var board = root();
    if (!board || document.hidden || dragged) { return; }
    var url = board.dataset.changesUrl + "?" + new URLSearchParams({
      since: board.dataset.version, start: board.dataset.start, end: board.dataset.end
    });
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) { return; }
        if (answer.changed) { return refresh(answer.version); }
        if (answer.version > Number(board.dataset.version)) { setVersion(answer.version); }
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!root()) { return; }
    window.setInterval(poll, POLL_MS);
  });
})();
