// Notices of forum-dev's GraphiQL page: a red banner for errors that persist (a broken
// --watch-sql file), and a dock of toasts (schema updates, a JWT to use). The dock is part of
// the page layout below GraphiQL, never laid over it, so a notice cannot hide the editors.
(function () {
  'use strict';

  var banners = {};

  function setBanner(kind, text) {
    if (text) banners[kind] = text;
    else delete banners[kind];
    var el = document.getElementById('forum-dev-banner');
    var kinds = Object.keys(banners);
    el.textContent = '';
    kinds.forEach(function (k) {
      var line = document.createElement('div');
      line.className = 'forum-dev-banner-line';
      line.setAttribute('data-kind', k);
      line.textContent = banners[k];
      el.appendChild(line);
    });
    el.hidden = kinds.length === 0;
  }

  function syncDock(box) {
    box.hidden = box.children.length === 0;
  }

  /**
   * Shows `text` in the dock; `action` ({label, run}) adds a button that runs it and closes the
   * notice. Notices with a `key` replace the previous one of that key. Returns the element.
   */
  function toast(text, options) {
    var opts = options || {};
    var box = document.getElementById('forum-dev-toasts');
    if (opts.key) {
      var old = box.querySelector('[data-key="' + opts.key + '"]');
      if (old) box.removeChild(old);
    }
    var item = document.createElement('div');
    item.className = 'forum-dev-toast';
    if (opts.key) item.setAttribute('data-key', opts.key);
    var label = document.createElement('span');
    label.className = 'forum-dev-toast-text';
    label.textContent = text;
    item.appendChild(label);
    var remove = function () {
      if (item.parentNode) item.parentNode.removeChild(item);
      syncDock(box);
    };
    if (opts.action) {
      var act = document.createElement('button');
      act.type = 'button';
      act.className = 'forum-dev-toast-action';
      act.textContent = opts.action.label;
      act.addEventListener('click', function () {
        if (opts.action.run() !== false) remove();
      });
      item.appendChild(act);
    }
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'forum-dev-toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '\u00d7';
    close.addEventListener('click', remove);
    item.appendChild(close);
    box.appendChild(item);
    while (box.children.length > 3) box.removeChild(box.firstChild);
    syncDock(box);
    if (!opts.sticky) setTimeout(remove, 15000);
    return item;
  }

  window.ForumDevNotices = { setBanner: setBanner, toast: toast };
})();
