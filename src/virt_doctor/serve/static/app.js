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
  // a mitigation step's preview (a server-side dry run) and apply (with the remediate token, never stored)
  document.querySelectorAll("div.act[data-step]").forEach(function (box) {
    const out = box.querySelector("pre.result");
    const base = "/api/v1/incidents/" + box.getAttribute("data-incident");
    const step = box.getAttribute("data-step");
    const show = function (text) { out.hidden = false; out.textContent = text; };
    const preview = box.querySelector("button.preview");
    if (preview) {
      preview.addEventListener("click", function () {
        show("asking the API server for a dry run …");
        fetch(base + "/preview", {method: "POST"}).then(function (r) { return r.json(); }).then(function (data) {
          const mine = (data.steps || []).filter(function (s) { return s.step === step; })[0];
          if (!mine) { show(data.detail || "no such step in the current plan"); return; }
          const p = mine.preview;
          show(p.accepted ? "dry run accepted; it would change:\n" + (p.diff.join("\n") || "(nothing)")
                          : "dry run refused (HTTP " + p.status + "): " + p.error);
        }, function () { show("the preview could not be fetched"); });
      });
    }
    const form = box.querySelector("form.apply");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        const token = form.elements.token.value;
        form.elements.token.value = "";
        show("applying …");
        fetch(base + "/apply?step=" + encodeURIComponent(step),
              {method: "POST", headers: {"Authorization": "Bearer " + token}})
          .then(function (r) { return r.json(); })
          .then(function (data) { show(data.outcome ? data.outcome + ": " + data.detail : (data.error || "failed")); },
                function () { show("the request failed"); });
      });
    }
  });
  function fallback(text) {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
})();
