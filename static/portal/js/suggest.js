// As-you-type suggestions of laws, paragraphs and decision numbers for the header's search field.
// A progressive enhancement: without this script the field and the search work the same.
(() => {
  const input = document.getElementById("site-search-q");
  const list = document.getElementById("site-search-suggestions");
  if (!input || !list || !window.fetch) return;
  let timer, controller;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = input.value.trim();
      if (query.length < 2) { list.replaceChildren(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const url = `${input.dataset.suggestUrl}?q=${encodeURIComponent(query)}`;
        const response = await fetch(url, { signal: controller.signal });
        if (!response.ok) return;
        const { suggestions } = await response.json();
        list.replaceChildren(...suggestions.map((item) => {
          const option = document.createElement("option");
          option.value = item.text;
          option.label = item.label;
          return option;
        }));
      } catch (error) {
        if (error.name !== "AbortError") list.replaceChildren();
      }
    }, 150);
  });
})();
