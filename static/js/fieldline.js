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

// Confirmations (web.confirm): a button with hx-get loads the confirmation into the page's one
// <dialog>, which then opens as a modal; without JavaScript the same link opens the
// confirmation page. A refused action (409, someone else was first) still shows its message.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false },
    ];
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  const dialog = event.detail.target;
  if (!dialog || dialog.id !== "fl-dialog") return;
  if (!dialog.open) dialog.showModal();
  const field = dialog.querySelector("textarea, input:not([type=hidden]), select");
  const button = dialog.querySelector("[data-testid=confirm]");
  (field || button || dialog).focus();
});
document.addEventListener("click", function (event) {
  const close = event.target.closest("[data-fl-dialog-close]");
  if (close) close.closest("dialog").close();
});
document.addEventListener("close", function (event) {
  if (event.target.id === "fl-dialog") event.target.replaceChildren();
}, true);

// Searchable pickers (web.pickers.PickerSelect): Tom Select on a plain <select>, which keeps
// working on its own without JavaScript. With data-fl-search-url and a long list the picker also
// asks the server as the user types.
const FL_PICKER_REMOTE_FROM = 200;
function flPickers(root) {
  if (!window.TomSelect) return;
  root.querySelectorAll("select[data-fl-picker]").forEach(function (select) {
    if (select.tomselect) return;
    const url = select.dataset.flSearchUrl;
    const settings = {
      maxOptions: 50,
      allowEmptyOption: true,
      selectOnTab: true,
      openOnFocus: true,
      hidePlaceholder: true,
      placeholder: select.dataset.flPlaceholder || "",
      render: {
        no_results: function () {
          return '<div class="no-results">' + (select.dataset.flNoResults || "") + "</div>";
        },
        // The chosen text is cut with an ellipsis when it is longer than the box: its title
        // holds all of it.
        item: function (data, escape) {
          return '<div title="' + escape(data.text) + '">' + escape(data.text) + "</div>";
        },
      },
    };
    // Short lists are searched in the page; a long one also asks the server (which matches on
    // numbers and cities the option text may not show).
    // A select marked data-fl-search-only holds just the chosen option: always ask the server.
    const searchOnly = select.dataset.flSearchOnly !== undefined;
    if (url && (searchOnly || select.options.length > FL_PICKER_REMOTE_FROM)) {
      // What the server found, by query: offered whatever their text says. Tom Select scores
      // options on their text alone and would drop a match on what the text does not show
      // (a customer's city, an agreement's customer).
      const found = {};
      settings.score = function (query) {
        const local = this.getScoreFunction(query);
        return function (option) {
          const answer = found[query];
          return answer && answer.has(String(option.value)) ? 1 : local(option);
        };
      };
      settings.load = function (query, callback) {
        const picker = this;
        const extra = select.dataset.flSearchParams || "";
        fetch(url + "?q=" + encodeURIComponent(query) + (extra ? "&" + extra : ""), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then(
            function (data) {
              found[query] = new Set(data.results.map(function (row) { return String(row.value); }));
              // An answer that arrives after the user chose (or typed on) is not shown now: it is
              // kept for when they go back to that text, which Tom Select asks the server once.
              if (picker.inputValue() !== query) {
                picker.addOptions(data.results);
                return callback();
              }
              callback(data.results);
            },
            function () {
              // Not answered (offline, a server error): asked again when that text is typed
              // again.
              delete picker.loadedSearches[query];
              callback();
            },
          );
      };
      settings.shouldLoad = function (query) { return query.length >= 1; };
    }
    const control = new TomSelect(select, settings);
    const label = select.id && document.querySelector("label[for='" + select.id + "']");
    if (label) {
      // The label names the typing box too, and clicking it focuses the box.
      control.control_input.setAttribute("aria-label", label.textContent.replace("*", "").trim());
      label.setAttribute("for", control.control_input.id || (control.control_input.id = select.id + "-ts"));
    }
  });
}
document.addEventListener("DOMContentLoaded", function () { flPickers(document); });
document.addEventListener("htmx:load", function (event) { flPickers(event.detail.elt); });

// Fields that belong to one role only (data-fl-for-role, e.g. the customer of a customer contact
// on the invitation form): shown while that role is chosen in the form's role field. Without
// JavaScript they are always shown and the server ignores them for the other roles.
function flRoleFields(root) {
  root.querySelectorAll("form").forEach(function (form) {
    const role = form.querySelector("select[name=role]");
    const fields = form.querySelectorAll("[data-fl-for-role]");
    if (!role || !fields.length) return;
    const update = function () {
      fields.forEach(function (field) {
        const group = field.closest(".fl-field") || field;
        group.hidden = field.dataset.flForRole !== role.value;
      });
    };
    role.addEventListener("change", update);
    update();
  });
}
document.addEventListener("DOMContentLoaded", function () { flRoleFields(document); });
