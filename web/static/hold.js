// Holds an early press of a form's submit button until the page's own script (app.js,
// followup.js) has taken over: on a slow link the module scripts arrive a few round trips
// after the HTML, and without this a press in between would post to the no-JavaScript
// route and let the server seal what the browser was about to seal. Loaded as a small
// parser-blocking script inside the form, before its buttons, so no button exists
// before it has run. Without JavaScript it never runs and the form posts as usual.
//
// Must never: send anything, or hold the explicit "let the server lock it" button
// (name="sealed_by"): that choice is the witness's, and it says so on the receipt.
(function () {
  var script = document.currentScript;
  var form = script && script.closest('form');
  if (!form) return;
  form.addEventListener('submit', function (ev) {
    if (form.dataset.crypto) return; // the page's script has taken over
    if (ev.submitter && ev.submitter.name === 'sealed_by') {
      delete form.dataset.held; // the witness chose the server path instead: send once
      return;
    }
    ev.preventDefault();
    form.dataset.held = '1'; // the page's script sends it once it is ready
    var ids = ['js-status', 'send-server', 'send-server-hint'];
    for (var i = 0; i < ids.length; i++) {
      var el = document.getElementById(ids[i]);
      if (el) el.hidden = false;
    }
  });
})();
