// The live view's only script of its own: what the reader opened (a denial's explanation, an
// app's logs) stays open, and the keyboard's place stays where it was, when a region is
// replaced by a live update. htmx and its SSE extension do the rest.
(() => {
  const chosen = new Map();
  let restoring = false;
  document.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (!restoring && details instanceof HTMLDetailsElement && details.id) chosen.set(details.id, details.open);
    },
    true,
  );

  let focused = null;
  document.addEventListener("htmx:sseBeforeMessage", (event) => {
    const active = document.activeElement;
    focused = active?.id && event.target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:sseMessage", (event) => {
    restoring = true;
    for (const details of event.target.querySelectorAll("details[id]")) {
      if (chosen.has(details.id)) details.open = chosen.get(details.id);
    }
    setTimeout(() => {
      restoring = false;
    }, 0);
    if (focused) document.getElementById(focused)?.focus();
  });

  const liveState = (text, ok) => {
    const state = document.getElementById("live-state");
    if (!state) return;
    state.textContent = text;
    state.className = `live-state ${ok ? "ok" : "lost"}`;
  };
  document.addEventListener("htmx:sseOpen", () => liveState("Live: every change shows here as it happens.", true));
  document.addEventListener("htmx:sseError", () =>
    liveState("Live updates interrupted: reconnecting… (is npm start still running?)", false),
  );
})();
