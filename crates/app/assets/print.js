// Shows "Print this page" buttons (hidden without JavaScript, where the browser's own Print
// works) and makes them print. A file rather than inline script, for the Content-Security-Policy.
document.querySelectorAll('[data-print]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
