// The customer's signature on the sign-off page (service_orders/technician/sign_off.html), with
// the vendored signature_pad. The drawing goes into the form's hidden "signature" field as a PNG
// after every stroke; the server checks it is neither empty nor tiny.
document.addEventListener("DOMContentLoaded", function () {
  const canvas = document.querySelector("canvas[data-fl-signature-pad]");
  if (!canvas || !window.SignaturePad) return;
  const form = canvas.closest("form");
  const field = form.querySelector("input[name=signature]");
  const pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });
  let width = 0;

  function keep() {
    field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
  }
  function fit() {
    // Sharp on high-density screens; only when the width changed (a phone's address bar
    // showing or hiding changes the height alone and must not wipe the signature).
    if (canvas.offsetWidth === width) return;
    width = canvas.offsetWidth;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
    keep();
  }
  pad.addEventListener("endStroke", keep);
  window.addEventListener("resize", fit);
  fit();
  form.querySelector("[data-fl-signature-clear]").addEventListener("click", function () {
    pad.clear();
    keep();
  });
  form.addEventListener("submit", keep);
});
