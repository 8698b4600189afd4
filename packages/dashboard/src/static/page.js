// The live view's only script of its own: what the reader opened (a denial's explanation, an
// app's logs) stays open, and the keyboard's place stays where it was, when a region is
// replaced by a live update. htmx and its SSE extension do the rest.
(function () {
  "use strict";
  var chosen = new Map();
  var restoring = false;
  document.addEventListener(
    "toggle",
    function (event) {
      var details = event.target;
      if (!restoring && details instanceof HTMLDetailsElement && details.id) chosen.set(details.id, details.open);
    },
    true,
  );

  var focused = null;
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var active = document.activeElement;
    focused = active && active.id && event.target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    restoring = true;
    event.target.querySelectorAll("details[id]").forEach(function (details) {
      if (chosen.has(details.id)) details.open = chosen.get(details.id);
    });
    setTimeout(function () {
      restoring = false;
    }, 0);
    if (focused) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  });

  function liveState(text, ok) {
    var state = document.getElementById("live-state");
    if (!state) return;
    state.textContent = text;
    state.className = "live-state " + (ok ? "ok" : "lost");
  }
  document.addEventListener("htmx:sseOpen", function () {
    liveState("Live: every change shows here as it happens.", true);
  });
  document.addEventListener("htmx:sseError", function () {
    liveState("Live updates interrupted: reconnecting… (is npm start still running?)", false);
  });
})();
