// msgstatus console: small progressive enhancements; every page works without them.
//
// * focus: after a search, focus the results heading or the problem, so a screen
//   reader reads what happened;
// * the window form shows its since/until fields for a custom range only;
// * a message that is not final refreshes itself: it fetches /live/{id} (the same
//   server-rendered, escaped HTML as the page) with a growing, jittered wait, swaps
//   that part of the page in, and says what it is doing in a polite live region.
//
// No message data is ever written as HTML here: the fragment is parsed by DOMParser
// (an inert document: no script runs, nothing loads) and moved in as nodes, and
// status text is set with textContent.
"use strict";

(function () {
  const MAX_DELAY_MS = 30000;
  const GIVE_UP_MS = 30 * 60 * 1000;

  function focusFirst() {
    const target = document.querySelector("[data-autofocus]");
    if (target) {
      target.focus();
    }
  }

  function customRange() {
    const range = document.getElementById("range");
    const custom = document.getElementById("custom-range");
    if (!range || !custom) {
      return;
    }
    const sync = function () {
      const on = range.value === "custom";
      custom.hidden = !on;
      custom.querySelectorAll("input").forEach(function (input) {
        input.disabled = !on;
      });
    };
    range.addEventListener("change", sync);
    sync();
  }

  function liveRefresh() {
    let live = document.getElementById("message-live");
    const status = document.getElementById("refresh-status");
    const detail = document.getElementById("refresh-detail");
    const button = document.getElementById("refresh-now");
    if (!live || !status || !detail || !button || live.dataset.final === "true") {
      return;
    }
    const base = Number(live.dataset.intervalMs) || 2000;
    const started = Date.now();
    let attempt = 0;
    let timer = 0;
    let busy = false;
    let calm = status.textContent.trim(); // what to say while all is well

    function say(text) {
      if (status.textContent !== text) {
        status.textContent = text;
      }
    }

    function delay() {
      const full = Math.min(MAX_DELAY_MS, base * Math.pow(2, Math.min(attempt, 16)));
      return full * (0.5 + 0.5 * Math.random());
    }

    function schedule() {
      window.clearTimeout(timer);
      if (Date.now() - started > GIVE_UP_MS) {
        say("Still not final after 30 minutes: automatic checks stopped. Use Check now, or reload the page.");
        detail.textContent = "";
        return;
      }
      const wait = delay();
      attempt += 1;
      detail.textContent = "Next check in " + Math.max(1, Math.round(wait / 1000)) + " s.";
      timer = window.setTimeout(check, wait);
    }

    function finish() {
      say("Status now " + live.dataset.status + " (" + live.dataset.meaning + "). " +
        "Checks stopped: this status will not change.");
      detail.textContent = "";
      button.hidden = true;
    }

    function apply(next) {
      if (next.dataset.state !== live.dataset.state) {
        const fresh = document.importNode(next, true);
        live.replaceWith(fresh);
        live = fresh;
        attempt = 0; // a message that moves is worth watching closely
        calm = "Status now " + live.dataset.status + ", not final yet. This page keeps checking by itself.";
      }
      if (live.dataset.final === "true") {
        finish();
        return;
      }
      say(calm);
      schedule();
    }

    async function check() {
      if (busy) {
        return;
      }
      busy = true;
      window.clearTimeout(timer);
      detail.textContent = "Checking…";
      try {
        let response;
        try {
          response = await fetch(live.dataset.liveUrl, {
            credentials: "same-origin",
            cache: "no-store",
            headers: { Accept: "text/html" },
          });
        } catch (err) {
          say("The console cannot be reached: is msgstatus ui still running? Trying again.");
          schedule();
          return;
        }
        if (response.status === 401) {
          say("The console does not know this browser any more: open the address msgstatus ui printed.");
          detail.textContent = "";
          return;
        }
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const next = doc.getElementById("message-live");
        if (!response.ok || !next) {
          const problem = doc.querySelector("[data-problem]");
          const why = problem ? problem.textContent.trim() : "The console answered " + response.status + ".";
          say(why + " Trying again.");
          schedule();
          return;
        }
        apply(next);
      } finally {
        busy = false;
      }
    }

    button.hidden = false;
    button.addEventListener("click", function () {
      attempt = 0;
      check();
    });
    schedule();
  }

  focusFirst();
  customRange();
  liveRefresh();
})();
