// Swagger UI (/api/docs/) renders some controls without a name or keyboard access, in markup of its
// own that no setting changes: named and made reachable here as they appear. Its own texts are
// English, and so are these. (axe: select-name, button-name, label-content-name-mismatch,
// scrollable-region-focusable.)
(() => {
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  const mend = () => {
    // A parameter's list of values (an enum), named after the parameter.
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach((select) => {
      select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
    });
    root.querySelectorAll(".examples-select-element:not([aria-label])").forEach((select) => {
      select.setAttribute("aria-label", "Examples");
    });
    root.querySelectorAll(".close-modal:not([aria-label])").forEach((button) => {
      button.setAttribute("aria-label", "Close");
    });
    // The Authorize dialog's button says "Authorize" but is named "Apply credentials".
    root.querySelectorAll(".auth-btn-wrapper button[type=submit][aria-label]").forEach((button) => {
      button.removeAttribute("aria-label");
    });
    // Example answers and commands scroll sideways: the keyboard must reach them to scroll them.
    root.querySelectorAll("pre:not([tabindex]), .curl:not([tabindex])").forEach((block) => {
      block.tabIndex = 0;
    });
  };
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });
})();
