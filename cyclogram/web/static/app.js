// Cyclogram — the little script the pages need (no inline scripts: the CSP forbids them).
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const done = () => { button.textContent = "Скопировано"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");  // plain http: the clipboard API is not offered; the field stays selected
    done();
  }
});
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});

// --- sign-in, users, calendar links, audit (auth/admin/audit pages) ---
// A form with data-confirm asks before it is sent (disabling an account, revoking a calendar link).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// --- stage pages opened from reminders (web/links.py) ---
// A file over the form's limit is refused before it is sent (the server refuses it too, with 413).
document.addEventListener("change", (event) => {
  const input = event.target.closest("input[type=file][data-max-bytes]");
  if (!input) return;
  const limit = Number(input.dataset.maxBytes);
  const file = input.files && input.files[0];
  const tooBig = file && file.size > limit;
  input.setCustomValidity(tooBig ? `Файл больше ${Math.round(limit / 1048576)} МБ: выберите файл поменьше или укажите ссылку.` : "");
  if (tooBig) input.reportValidity();
});
// A form with data-once is sent once: a double click does not send it twice.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-once]");
  if (!form || event.defaultPrevented) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = true; });
});
// Back to a page kept by the browser: its forms can be sent again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-once]").forEach((form) => {
    delete form.dataset.sent;
    form.querySelectorAll("button[type=submit]").forEach((button) => { button.disabled = false; });
  });
});
