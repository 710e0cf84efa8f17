// The docs page's only script, inlined and static (no data is ever interpolated into it): it
// filters the index as you type and wires the copy buttons. Without it the page works the same
// through query parameters; the filter rule mirrors `matches` in catalog.ts.
export const SCRIPT = `
(function () {
  'use strict';
  function countText(shown, total) {
    if (shown === total) return total + (total === 1 ? ' model' : ' models');
    return shown + ' of ' + total + (total === 1 ? ' model' : ' models');
  }
  var form = document.getElementById('filters');
  if (form) {
    var cards = Array.prototype.slice.call(document.querySelectorAll('[data-model]'));
    var count = document.getElementById('count');
    var none = document.getElementById('no-match');
    var apply = function () {
      var data = new FormData(form);
      var q = String(data.get('q') || '').trim().toLowerCase();
      var terms = q.split(/\\s+/).filter(Boolean);
      var task = String(data.get('task') || '');
      var label = String(data.get('label') || '');
      var placement = String(data.get('placement') || '');
      var shown = 0;
      cards.forEach(function (card) {
        var text = card.getAttribute('data-search') || '';
        var labels = JSON.parse(card.getAttribute('data-labels') || '[]');
        var ok = terms.every(function (t) { return text.indexOf(t) >= 0; })
          && (!task || card.getAttribute('data-task') === task)
          && (!label || labels.indexOf(label) >= 0)
          && (!placement || card.getAttribute('data-placement') === placement);
        card.hidden = !ok;
        if (ok) shown++;
      });
      if (count) count.textContent = countText(shown, cards.length);
      if (none) none.hidden = shown !== 0;
      var params = new URLSearchParams();
      if (q) params.set('q', String(data.get('q')).trim());
      if (task) params.set('task', task);
      if (label) params.set('label', label);
      if (placement) params.set('placement', placement);
      var qs = params.toString();
      history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
    };
    form.addEventListener('input', apply);
    form.addEventListener('change', apply);
    form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
    var reset = document.getElementById('clear-filters');
    if (reset) reset.addEventListener('click', function (e) { e.preventDefault(); form.reset();
      Array.prototype.forEach.call(form.elements, function (el) { if ('value' in el && el.type !== 'submit') el.value = ''; });
      apply(); });
    document.documentElement.classList.add('js');
  }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source) return;
      var text = source.textContent || '';
      var done = function (ok) {
        var old = button.getAttribute('data-label') || button.textContent;
        button.setAttribute('data-label', old);
        button.textContent = ok ? 'Copied' : 'Select and copy';
        setTimeout(function () { button.textContent = old; }, 2000);
      };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        var ok = false;
        try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
        done(ok);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
`;
