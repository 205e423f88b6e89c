// A form the server refused comes back filled in: put what was typed back into the form it
// was sent from, show the reason just above it, and take the reader to the field it names.
(function () {
  const note = document.getElementById("kept-error");
  const kept = document.getElementById("kept-form");
  if (!note || !kept) return;
  const values = JSON.parse(kept.textContent);
  const action = note.dataset.action;
  const form = Array.from(document.forms).find(
    (f) => new URL(f.action, location.href).pathname === action
  );
  if (!form) return; // the reason stays at the top of the page
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements.namedItem(name);
    if (!field || field.type === "hidden" || field.type === "password") continue;
    if (field.type === "checkbox" || field.type === "radio") field.checked = true;
    else field.value = value;
  }
  form.prepend(note);
  const named = note.dataset.field && form.elements.namedItem(note.dataset.field);
  const target = named && named.focus ? named : form;
  target.scrollIntoView({ block: "center" });
  if (named && named.focus) {
    named.setAttribute("aria-invalid", "true");
    named.focus();
  }
})();
