// The preview's only script: live reload over server-sent events, the draft frame,
// the index's status badges and keyboard navigation. Served from the preview's own
// static folder; the drafts themselves never run a script.
"use strict";

(function () {
  const root = document.documentElement;
  let generation = Number(root.dataset.generation);
  const instance = root.dataset.instance;

  // -- the live indicator ------------------------------------------------------
  function say(text, state) {
    const live = document.querySelector(".live");
    if (!live) return;
    live.classList.toggle("is-live", state === "live");
    live.classList.toggle("is-off", state === "off");
    live.querySelector(".live-text").textContent = text;
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  // -- the draft frame: reload into a hidden frame, then swap (no blank flash, scroll kept)
  function frame() {
    return document.getElementById("draft");
  }

  let pending = null;
  function reloadFrame() {
    const old = frame();
    if (pending) pending.remove();
    const next = old.cloneNode(false);
    next.removeAttribute("id");
    next.classList.add("is-loading");
    next.addEventListener("load", function () {
      if (pending !== next) return;
      pending = null;
      let x = 0, y = 0;
      try { x = old.contentWindow.scrollX; y = old.contentWindow.scrollY; } catch (e) { /* not loaded */ }
      try { next.contentWindow.scrollTo(x, y); } catch (e) { /* an error page */ }
      const focused = document.activeElement === old;
      next.classList.remove("is-loading");
      next.id = "draft";
      old.remove();
      if (focused) next.focus();
      watchKeys(next);
      document.dispatchEvent(new CustomEvent("draft-reloaded"));
    }, { once: true });
    pending = next;
    old.after(next);
    next.src = old.getAttribute("src");
  }

  function refresh(data) {
    generation = data.generation;
    if (frame()) {
      reloadFrame();
    } else {
      window.location.reload();
    }
  }

  // -- the event stream ----------------------------------------------------------
  function connect() {
    if (!window.EventSource) return;
    const events = new EventSource("/_preview/events");
    events.addEventListener("hello", function (e) {
      const data = JSON.parse(e.data);
      say("Live", "live");
      if (data.instance !== instance || data.generation !== generation) refresh(data);
    });
    events.addEventListener("reload", function (e) {
      const data = JSON.parse(e.data);
      say("Reloaded " + clock() + ": " + data.paths.join(", ") + " changed", "live");
      refresh(data);
    });
    events.addEventListener("error", function () {
      say("Server unreachable: retrying", "off");
    });
  }

  // -- the index's status badges -------------------------------------------------
  function loadStatuses() {
    const badges = document.querySelectorAll("[data-status-of]");
    if (!badges.length) return;
    fetch("/_preview/status", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (found) {
        if (!found) return;
        badges.forEach(function (badge) {
          const s = found[badge.dataset.statusOf];
          if (!s) return;
          badge.className = "badge badge-" + s.state;
          badge.textContent = s.label;
        });
      })
      .catch(function () { /* the badges keep saying "Checking" */ });
  }

  // -- keys ----------------------------------------------------------------------
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    const links = Array.from(document.querySelectorAll("a.nav"));
    if (links.length && ["j", "k", "ArrowDown", "ArrowUp"].includes(e.key)) {
      const at = links.indexOf(document.activeElement);
      if (at < 0 && e.key.startsWith("Arrow")) return;  // arrows scroll until a bulletin has focus
      const step = e.key === "j" || e.key === "ArrowDown" ? 1 : -1;
      const to = links[Math.min(links.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
      to.focus();
      e.preventDefault();
      return;
    }
    const link = document.querySelector('.pager a[data-key="' + CSS.escape(e.key) + '"]');
    if (link) {
      e.preventDefault();
      window.location.href = link.href;
    }
  }

  function watchKeys(target) {
    try { target.contentDocument.addEventListener("keydown", onKey); } catch (e) { /* not ours */ }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("DOMContentLoaded", function () {
    const f = frame();
    if (f) {
      f.addEventListener("load", function () { watchKeys(f); }, { once: true });
      if (f.contentDocument && f.contentDocument.readyState === "complete") watchKeys(f);
    }
    loadStatuses();
    connect();
  });
})();
