// Gatehouse console: progressive enhancement only. Every form works without this file.
(function () {
  "use strict";

  function focusMessage() {
    var message = document.querySelector("main [role=alert], main [role=status]");
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  }

  function setButtons(form, disabled) {
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = disabled;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) {
      return;
    }
    // After the browser has taken the submission (and its submitter's value): only then.
    window.setTimeout(function () { setButtons(form, true); }, 0);
    // Should the answer never come, the form becomes usable again.
    window.setTimeout(function () { setButtons(form, false); }, 10000);
  });

  // A page restored from the back/forward cache gets its buttons back.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      setButtons(forms[i], false);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusMessage);
  } else {
    focusMessage();
  }
})();

