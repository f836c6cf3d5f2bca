// Focus and announcements after htmx swaps. No inline script anywhere: the CSP stays strict.
(function () {
  "use strict";

  // After a swap, put focus where the person expects it: the first field in error, or an
  // element marked data-focus (a confirmation or the updated row).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    // An outerHTML swap replaces the target: look for its successor (same id) in the page.
    if (target && !target.isConnected && target.id) {
      target = document.getElementById(target.id);
    }
    if (!target || event.detail.requestConfig.verb === "get" && !target.querySelector("[data-focus]")) {
      return;
    }
    var next = target.querySelector("[aria-invalid='true']") || target.querySelector("[data-focus]");
    if (next) {
      if (!next.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(next.tagName)) {
        next.setAttribute("tabindex", "-1");
      }
      next.focus();
    }
  });

  // A page that comes back with errors (a full-page 422): start at the first field to fix,
  // so keyboard and screen-reader users do not have to search for it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".portal-error-summary");
    if (!summary) {
      return;
    }
    var form = summary.closest("form") || document;
    var first = form.querySelector("[aria-invalid='true']");
    (first || summary).focus();
  });

  // A "Print" button (the officers' pocket card): the browser's print dialog.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });

  // A session that expired mid-request answers 401 with HX-Redirect; htmx follows it.
  // A file too large to send (413) is refused before it is read, an attempt over a rate
  // limit (429) before it is looked at, and anything while the database is down (503): say
  // so, in the server's words.
  var FALLBACK = {
    413: "The file is too large to send.",
    429: "Too many attempts. Wait a minute, then try again.",
    503: "The portal is temporarily unavailable. Please try again in a few minutes."
  };
  document.addEventListener("htmx:responseError", function (event) {
    var flash = document.getElementById("flash");
    var xhr = event.detail.xhr;
    if (flash && FALLBACK[xhr.status]) {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var text = page.querySelector(".usa-alert__text");
      flash.textContent = text ? text.textContent : FALLBACK[xhr.status];
    } else if (flash && xhr.status >= 500) {
      flash.textContent = "Something went wrong. Please try again.";
    }
  });
})();
