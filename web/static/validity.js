// The form's own validation messages, in the page's language (docs/web.md). The form
// has `novalidate`, so the browser never shows its own bubble (in the browser's
// language, "Please match the requested format."); instead the page checks the fields'
// constraints here and names the problem with the page's strings. The server checks
// the same things for the no-JavaScript form and answers in the page's language too.
//
// Must never: read or report what a witness typed (messages name the field, not its
// value), or block a field the tip schema accepts.

/** Which page string explains a field's failed constraint; null when it is valid. */
export function problemKey(el) {
  const v = el && el.validity;
  if (!v || v.valid) return null;
  if (v.badInput || v.rangeOverflow || v.rangeUnderflow || v.stepMismatch) return 'err_number';
  if (v.patternMismatch) return el.classList.contains('date') ? 'err_date' : 'err_field';
  if (v.tooLong) return 'err_too_long';
  return 'err_field';
}

/** The first field of `form` whose constraints fail, as { el, key }, or null. */
export function firstInvalid(form) {
  for (const el of form.elements) {
    if (!el.willValidate) continue;
    const key = problemKey(el);
    if (key) return { el, key };
  }
  return null;
}

// Unicode isolates (LRI … PDI): a date like 2024-03-15 inside a right-to-left sentence
// reads as written, as <bdi dir="ltr"> does for the server's pages.
const LRI = '\u2066';
const PDI = '\u2069';

/** `text` with every run of digits and hyphens isolated left to right. */
export function isolateLtr(text) {
  return String(text).replace(/\d[\d-]*\d|\d/g, (m) => `${LRI}${m}${PDI}`);
}

/**
 * The localized file button: the native control (which speaks the browser's language)
 * stays focusable and keyboard-operable but is hidden visually; its <label> is the
 * button. Without JavaScript the native control stays, so a witness sees what they chose.
 */
export function localizeFileButton(input, button) {
  if (!input || !button) return;
  input.classList.add('visually-hidden');
  button.hidden = false;
  input.addEventListener('focus', () => button.classList.add('focused'));
  input.addEventListener('blur', () => button.classList.remove('focused'));
}
