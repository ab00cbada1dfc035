// Filters apply on change; the overview refreshes itself every 30 s unless switched off; commands copy.
(function () {
  "use strict";
  const form = document.getElementById("filters");
  if (form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
    const box = document.getElementById("autorefresh");
    const key = "virt-doctor-autorefresh";
    if (box) {
      box.checked = localStorage.getItem(key) !== "off";
      box.addEventListener("change", function () { localStorage.setItem(key, box.checked ? "on" : "off"); });
      setInterval(function () { if (box.checked) { location.reload(); } }, 30000);
    }
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      const text = button.getAttribute("data-copy") || "";
      const done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else { fallback(text); done(); }
    });
  });
  function fallback(text) {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
})();
