// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (event) {
  // A double click or tap sends a form once: disable its submit buttons while it is on its way.
  const form = event.target;
  if (form.dataset.allowResubmit !== undefined) return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = true;
      button.dataset.flDisabled = "1";
    });
  }, 0);
});
window.addEventListener("pageshow", function () {
  // Coming back with the browser's Back button re-enables the buttons disabled above.
  document.querySelectorAll("[data-fl-disabled]").forEach(function (button) {
    button.disabled = false;
    delete button.dataset.flDisabled;
  });
});
