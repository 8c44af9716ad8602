// Copy buttons for the cite line: shown only when the browser can copy; the text stays selectable without them.
document.querySelectorAll(".js-copy").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copyTarget);
    await navigator.clipboard.writeText(field.value);
    button.textContent = "✓ " + label;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
});
