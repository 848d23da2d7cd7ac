// simreg pages: CSRF for htmx, photo previews, zoom and rotate, keyboard shortcuts.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf;

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (csrf) { event.detail.headers["X-CSRF-Token"] = csrf; }
  });

  // Show what the camera took before the form is sent.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    input.addEventListener("change", function () {
      var img = document.getElementById(input.dataset.preview);
      if (!img) { return; }
      var file = input.files && input.files[0];
      if (!file) { img.hidden = true; return; }
      img.src = URL.createObjectURL(file);
      img.hidden = false;
    });
  });

  // Zoom and rotate every document photo together, so front and back stay comparable.
  var scale = 1, turn = 0;
  function applyPhotoTransform() {
    document.querySelectorAll("img[data-zoomable]").forEach(function (img) {
      img.style.transform = "scale(" + scale + ") rotate(" + turn + "deg)";
    });
  }
  var photoActions = {
    "zoom-in": function () { scale = Math.min(scale * 1.25, 6); },
    "zoom-out": function () { scale = Math.max(scale / 1.25, 0.5); },
    "rotate": function () { turn = (turn + 90) % 360; },
    "reset": function () { scale = 1; turn = 0; }
  };
  document.querySelectorAll("[data-photo]").forEach(function (button) {
    button.addEventListener("click", function () {
      photoActions[button.dataset.photo]();
      applyPhotoTransform();
    });
  });

  // Single-key shortcuts, never while typing.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    var keyed = { "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "o": "rotate" };
    if (keyed[key] && document.querySelector("[data-photo]")) {
      photoActions[keyed[key]]();
      applyPhotoTransform();
      event.preventDefault();
      return;
    }
    var focus = document.querySelector("[data-key-focus='" + key + "']");
    if (focus) { focus.focus(); event.preventDefault(); return; }
    var button = document.querySelector("button[data-key='" + key + "']");
    if (button) { event.preventDefault(); button.click(); }
  });
})();
